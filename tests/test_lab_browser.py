"""The lab's three pages in a real browser (Debian's headless Chromium through selenium).

Skips, with the reason, where Chromium, its driver or selenium is missing (`make test`
installs them where apt is available). Each test saves a screenshot of its page in its
temporary folder, and also in $KGEN_LAB_SCREENSHOTS when set (`make docs-images`).
"""

import os
import shutil
import time

import pytest

from kgen import lab
from tests.lab_client import running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip("Chromium and ChromeDriver are not installed (apt-get install chromium chromium-driver)",
                allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # the machine has no network: without these Chromium keeps trying to reach Google's hosts
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def server():
    with running(lab.default_pages()) as lab_server:
        yield lab_server


def wait_for(browser, condition, timeout=30, message=""):
    return WebDriverWait(browser, timeout, poll_frequency=0.05).until(lambda _: condition(), message)


def text(browser, element_id):
    return browser.find_element(By.ID, element_id).text


def screenshot(browser, tmp_path, name):
    path = tmp_path / f"lab_{name}.png"
    browser.save_screenshot(str(path))
    folder = os.environ.get("KGEN_LAB_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        shutil.copy(path, os.path.join(folder, path.name))
    assert path.stat().st_size > 10_000


def settled(browser, element_id, quiet=0.4):
    """The integer in `element_id` once it has stopped changing for `quiet` seconds."""
    value, since = int(text(browser, element_id)), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.05)
        now = int(text(browser, element_id))
        if now != value:
            value, since = now, time.monotonic()
    return value


def test_gan_page_plays_pauses_steps_and_switches_loss(browser, server, tmp_path):
    browser.get(server.url + "#gan")
    wait_for(browser, lambda: text(browser, "gan-round").isdigit(), message="the GAN page never drew a state")
    heatmap = lambda: browser.execute_script("return document.getElementById('gan-plane').toDataURL()")  # noqa: E731
    labels = lambda: browser.find_element(By.ID, "gan-loss-chart").get_attribute("data-labels")  # noqa: E731
    others = ["density", "real", "fake", "gradients", "manifold"]
    for layer in others:  # the plane shows D's heat map alone
        browser.find_element(By.ID, f"gan-show-{layer}").click()
    before = heatmap()
    browser.find_element(By.ID, "gan-play").click()
    wait_for(browser, lambda: int(text(browser, "gan-round")) >= 30, message="the round counter did not rise")
    assert heatmap() != before, "the heat map did not change as D trained"
    for layer in others:
        browser.find_element(By.ID, f"gan-show-{layer}").click()
    browser.find_element(By.ID, "gan-pause").click()
    paused = settled(browser, "gan-round")
    time.sleep(0.5)
    assert int(text(browser, "gan-round")) == paused
    browser.find_element(By.ID, "gan-step").click()
    wait_for(browser, lambda: int(text(browser, "gan-round")) == paused + 1)
    assert settled(browser, "gan-round") == paused + 1
    assert "non_saturating" in labels()
    Select(browser.find_element(By.ID, "gan-loss")).select_by_value("minimax")
    wait_for(browser, lambda: "minimax" in (labels() or ""), message="the loss curve's label did not change")
    browser.find_element(By.ID, "gan-play").click()
    wait_for(browser, lambda: int(text(browser, "gan-round")) >= paused + 40)
    screenshot(browser, tmp_path, "gan")
    browser.find_element(By.ID, "gan-pause").click()


def test_rl_page_return_chart_updates(browser, server, tmp_path):
    browser.get(server.url + "#rl")
    wait_for(browser, lambda: text(browser, "rl-steps").isdigit(), message="the RL page never drew a state")
    points = lambda: int(browser.find_element(By.ID, "rl-return-chart").get_attribute("data-points") or 0)  # noqa: E731
    start = points()
    Select(browser.find_element(By.ID, "rl-speed")).select_by_value("fast")
    browser.find_element(By.ID, "rl-play").click()
    wait_for(browser, lambda: points() >= start + 3, timeout=40, message="the return chart did not update")
    assert int(text(browser, "rl-steps")) > 0
    screenshot(browser, tmp_path, "rl")
    browser.find_element(By.ID, "rl-pause").click()


def test_latent_explorer_image_follows_a_slider(browser, server, tmp_path):
    browser.get(server.url + "#latent")
    image = lambda: browser.find_element(By.ID, "latent-image").get_attribute("src") or ""  # noqa: E731
    wait_for(browser, lambda: image().startswith("data:image/png"), timeout=60, message="no image was drawn")
    before = image()
    browser.execute_script(
        "const s = document.getElementById('latent-slider-0'); s.value = s.max;"
        "s.dispatchEvent(new Event('input', {bubbles: true})); s.dispatchEvent(new Event('change', {bubbles: true}));")
    wait_for(browser, lambda: image() != before, message="the image did not change when the slider moved")
    screenshot(browser, tmp_path, "latent")
