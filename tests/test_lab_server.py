"""The lab's server and page framework, on a counting page (no models): assets, the state
stream, controls, bad input, Host/Origin checks and clean shutdown."""

import http.client
import json
import re
import time
import urllib.request

import pytest

from kgen.core.validation import check_int
from kgen.lab import server as lab_server
from kgen.lab.page import LabPage
from tests.lab_client import control, request, running, state


class CountingPage(LabPage):
    name = "count"
    actions = {"play": "_play", "pause": "_pause", "step": "_step"}

    def setup(self):
        self.count = 0

    def _play(self):
        return lambda: setattr(self, "running", True)

    def _pause(self):
        return lambda: setattr(self, "running", False)

    def _step(self, by=1):
        by = check_int("by", by, 1, 100)

        def apply():
            self.count += by
        return apply

    def advance(self):
        self.count += 1
        time.sleep(0.001)
        return True

    def snapshot(self):
        return {"count": self.count}


@pytest.fixture
def lab():
    with running({"count": CountingPage()}) as server:
        yield server


def test_serves_the_app_and_its_bundled_assets(lab):
    status, html = request(lab, "/")
    assert status == 200 and "/static/lab.js" in html
    for name in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
        status, body = request(lab, f"/static/{name}")
        assert status == 200, name
    assert request(lab, "/api/pages") == (200, {"pages": ["count"]})


def test_assets_load_nothing_from_outside():
    for asset in lab_server.STATIC.iterdir():
        text = asset.read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|import\s.*https?:""", text), asset.name


@pytest.mark.parametrize("path", ["/static/../server.py", "/static/.hidden", "/static/nothing.js", "/api/nothing/state",
                                  "/api/count/nothing"])
def test_unknown_paths_get_404(lab, path):
    assert request(lab, path)[0] == 404


def test_step_advances_exactly_and_play_pause_holds(lab):
    assert state(lab, "count")["count"] == 0
    assert control(lab, "count", action="step")[0] == 200
    assert state(lab, "count")["count"] == 1
    control(lab, "count", action="step", by=5)
    assert state(lab, "count")["count"] == 6
    control(lab, "count", action="play")
    deadline = time.monotonic() + 10
    while state(lab, "count")["count"] < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    control(lab, "count", action="pause")
    paused = state(lab, "count")
    assert paused["count"] >= 20 and not paused["running"]
    time.sleep(0.3)
    assert state(lab, "count")["count"] == paused["count"]


@pytest.mark.parametrize("payload, named", [
    ({"action": "jump"}, "action"),
    ({"action": "step", "by": 0}, "by"),
    ({"action": "step", "by": "two"}, "by"),
    ({"action": "step", "speed": 3}, "parameters"),
    ([1, 2], "control"),
])
def test_bad_controls_get_400_naming_the_argument_and_the_page_goes_on(lab, payload, named):
    status, reply = request(lab, "/api/count/control", payload)
    assert status == 400 and named in reply["error"], reply
    control(lab, "count", action="step")
    assert state(lab, "count")["count"] == 1


def test_malformed_posts_are_refused(lab):
    url = "/api/count/control"
    assert request(lab, url, data=b"{not json", headers={"Content-Type": "application/json"})[0] == 400
    assert request(lab, url, data=b'{"action": "step"}', headers={"Content-Type": "text/plain"})[0] == 415
    assert too_large_a_post(lab, url) == 413


def too_large_a_post(server, url):
    """The status of a POST announcing one byte more than the server takes, sent as headers only:
    the server answers from Content-Length, and a real oversized body would race its close."""
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=60)
    try:
        connection.putrequest("POST", url)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(lab_server.MAX_BODY_BYTES + 1))
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def test_requests_for_another_host_or_from_another_origin_are_refused(lab):
    port = lab.server_address[1]
    assert request(lab, "/api/count/state", headers={"Host": f"attacker.example:{port}"})[0] == 403
    assert request(lab, "/", headers={"Host": "127.0.0.1:1"})[0] == 403
    status, reply = request(lab, "/api/count/control", {"action": "step"}, headers={"Origin": "http://attacker.example"})
    assert status == 403 and "Origin" in reply["error"]
    assert state(lab, "count")["count"] == 0
    assert request(lab, "/api/count/control", {"action": "step"}, headers={"Origin": f"http://localhost:{port}"})[0] == 200


def test_the_stream_sends_each_new_state_as_an_event(lab):
    control(lab, "count", action="play")
    with urllib.request.urlopen(lab.url + "api/count/stream", timeout=10) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        events = []
        while len(events) < 3:
            line = stream.readline().decode()
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: "):]))
    versions = [event["version"] for event in events]
    assert versions == sorted(set(versions)) and events[-1]["count"] >= events[0]["count"]


def test_close_stops_the_worker_threads():
    page = CountingPage()
    with running({"count": page}) as server:
        control(server, "count", action="play")
    assert not page._thread.is_alive()


def test_kgen_lab_serves_until_ctrl_c_and_then_exits_cleanly():
    import os
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from kgen.cli import main; sys.exit(main(sys.argv[1:]))",
         "lab", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        # a suite started in the background inherits SIGINT ignored, and so would `kgen lab`: a terminal's Ctrl-C
        # is what is tested
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url + "api/pages", timeout=30) as response:
            assert json.loads(response.read())["pages"] == ["gan", "rl", "latent"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # a page's worker has built its models
            with urllib.request.urlopen(url + "api/gan/state", timeout=60) as response:
                if json.loads(response.read()).get("loading") is not True:
                    break
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert "stopping" in process.stdout.read()
    finally:
        process.kill()
