"""The lab's figures as a student sees them: each page played in Debian's headless Chromium
(selenium), reading the rates the page itself shows, sampled once a second.

    python benchmarks/lab_browser.py [--seconds 10]

GAN page: update rounds/s and frames drawn/s while playing (targets >= 50 and >= 10).
RL page: env steps/s in "very fast" mode, learning on (target >= 2,000).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

from kgen import lab  # noqa: E402
from tests.lab_client import running  # noqa: E402


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1000"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"))


def sample(driver, ids, seconds):
    """Once a second for `seconds` (after 2 s of warm-up), the numbers shown in `ids`."""
    time.sleep(2)
    readings = {name: [] for name in ids}
    for _ in range(int(seconds)):
        time.sleep(1)
        for name in ids:
            readings[name].append(float(driver.find_element(By.ID, name).text))
    return {name: statistics.median(values) for name, values in readings.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    driver = browser()
    try:
        with running(lab.default_pages()) as server:
            driver.get(server.url + "#gan")
            time.sleep(3)
            driver.find_element(By.ID, "gan-play").click()
            gan = sample(driver, ["gan-rate", "gan-fps"], args.seconds)
            driver.find_element(By.ID, "gan-pause").click()
            driver.get(server.url + "#rl")
            time.sleep(2)
            Select(driver.find_element(By.ID, "rl-speed")).select_by_value("very fast")
            driver.find_element(By.ID, "rl-play").click()
            rl = sample(driver, ["rl-rate"], args.seconds)
            driver.find_element(By.ID, "rl-pause").click()
    finally:
        driver.quit()
    print(f"GAN page: {gan['gan-rate']:.1f} update rounds/s (target >= 50), {gan['gan-fps']:.0f} frames drawn/s "
          f"(target >= 10); RL page, very fast: {rl['rl-rate']:.0f} env steps/s (target >= 2,000); "
          f"medians of {int(args.seconds)} one-second readings")


if __name__ == "__main__":
    main()
