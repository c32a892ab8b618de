"""A lab server on a free loopback port, and urllib calls to it, for the lab's tests."""

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request

from kgen.lab.server import LabServer


@contextlib.contextmanager
def running(pages):
    """A started LabServer over `pages`; closed (threads stopped) on exit."""
    server = LabServer(pages, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.close()
        thread.join(timeout=10)


def request(server, path, payload=None, headers=None, data=None, timeout=60):
    """(status, parsed JSON or text) of a GET, or of a POST when `payload` or `data` is given."""
    if payload is not None:
        data = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    call = urllib.request.Request(server.url.rstrip("/") + path, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(call, timeout=timeout) as response:
            status, body, kind = response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        status, body, kind = error.code, error.read(), error.headers.get("Content-Type", "")
    return status, json.loads(body) if "json" in kind else body.decode()


def control(server, page, **payload):
    """POST a control; returns (status, reply)."""
    return request(server, f"/api/{page}/control", payload)


def state(server, page, timeout=60):
    """The page's state, once it has built its models."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = request(server, f"/api/{page}/state")
        assert status == 200, body
        if body.get("loading") is not True or time.monotonic() > deadline:
            return body
        time.sleep(0.05)
