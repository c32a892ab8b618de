"""The lab's HTTP server: the bundled single-page app, each page's state as Server-Sent Events,
and controls as JSON posts. Standard library only; it answers only requests addressed to itself."""

import http.server
import json
import mimetypes
import threading
import time
from importlib import resources
from urllib.parse import urlsplit

from kgen.core.errors import KgenError

MAX_BODY_BYTES = 1 << 20
"""The largest control a page may post (a drawn data set or an uploaded image fits easily)."""
KEEPALIVE_SECONDS = 15.0
"""A stream with no new state sends a comment this often, so proxies and browsers keep it open."""
STATIC = resources.files("kgen.lab") / "static"


class LabServer(http.server.ThreadingHTTPServer):
    """Serves `pages` ({name: LabPage}) on (host, port); port 0 picks a free one (see `url`).

    Requests whose Host header is not this server's address, or whose Origin (when sent)
    is not this server's own, get 403: another web page cannot drive the lab, even
    through a DNS name rebound to 127.0.0.1.
    """

    daemon_threads = True

    def __init__(self, pages, host="127.0.0.1", port=0):
        self.pages = dict(pages)
        self.closing = threading.Event()
        super().__init__((host, port), LabHandler)
        bound_port = self.server_address[1]
        names = {host, "127.0.0.1", "localhost"} if host in ("127.0.0.1", "localhost") else {host}
        self.allowed_hosts = {f"{name}:{bound_port}" for name in names}
        self.url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{bound_port}/"
        if host in ("0.0.0.0", ""):
            self.allowed_hosts |= {f"127.0.0.1:{bound_port}", f"localhost:{bound_port}"}

    def allow_host(self, name):
        """Also accept requests addressed to `name` (a host name the server is reached by)."""
        self.allowed_hosts.add(f"{name}:{self.server_address[1]}")

    def close(self):
        """Stop serving, end the streams and stop every page's worker thread."""
        self.closing.set()
        self.shutdown()
        self.server_close()
        for page in self.pages.values():
            page.close()


class LabHandler(http.server.BaseHTTPRequestHandler):
    server_version = "kgen-lab"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # the terminal shows the URL, not every request
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser left (a page closed or reloaded) before the reply was written

    # ------------------------------------------------------------------ routing

    def do_GET(self):
        if not self._trusted():
            return
        path = urlsplit(self.path).path
        if path == "/":
            return self._static("index.html")
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        if path == "/api/pages":
            return self._json(200, {"pages": list(self.server.pages)})
        page, endpoint = self._page(path)
        if page is None:
            return
        if endpoint == "state":
            version, state = page.latest()
            return self._json(200, {"version": version, **state})
        if endpoint == "stream":
            return self._stream(page)
        self._json(404, {"error": f"no endpoint {path}"})

    def do_POST(self):
        if not self._trusted():
            return
        page, endpoint = self._page(urlsplit(self.path).path)
        if page is None:
            return
        if endpoint != "control":
            return self._json(404, {"error": f"POST goes to /api/{page.name}/control"})
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return self._json(413, {"error": f"a control is at most {MAX_BODY_BYTES} bytes; got {length}"})
        if "application/json" not in (self.headers.get("Content-Type") or ""):
            return self._json(415, {"error": "controls are JSON: send Content-Type: application/json"})
        try:
            payload = json.loads(self.rfile.read(length) or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            return self._json(400, {"error": f"the control is not valid JSON: {error}"})
        try:
            return self._json(200, page.control(payload))
        except KgenError as error:
            return self._json(400, {"error": str(error)})

    # ------------------------------------------------------------------ parts

    def _trusted(self):
        """Whether the request is addressed to this server (Host) and, when a browser says
        where it comes from (Origin), comes from this server's own pages."""
        host = self.headers.get("Host", "")
        origin = self.headers.get("Origin")
        if host not in self.server.allowed_hosts:
            self._json(403, {"error": f"Host {host!r} is not this lab server"})
            return False
        if origin is not None and origin not in {f"http://{allowed}" for allowed in self.server.allowed_hosts}:
            self._json(403, {"error": f"Origin {origin!r} is not this lab server"})
            return False
        return True

    def _page(self, path):
        parts = path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "api" or parts[1] not in self.server.pages:
            self._json(404, {"error": f"no endpoint {path}; pages: {', '.join(self.server.pages)}"})
            return None, None
        return self.server.pages[parts[1]], parts[2]

    def _static(self, name):
        asset = STATIC / name
        if "/" in name or "\\" in name or name.startswith(".") or not asset.is_file():
            return self._json(404, {"error": f"no asset {name!r}"})
        body = asset.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", mimetypes.guess_type(name)[0] or "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, page):
        """Server-Sent Events: each new state of the page as one `data:` line of JSON."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        version, quiet_since = -1, time.monotonic()
        try:
            while not self.server.closing.is_set():
                new_version, state = page.latest(after_version=version, timeout=1.0)
                if new_version > version:
                    version = new_version
                    self.wfile.write(b"data: " + json.dumps({"version": version, **state}).encode() + b"\n\n")
                    self.wfile.flush()
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                    self.wfile.write(b": keepalive\n\n")
                    self.wfile.flush()
                    quiet_since = time.monotonic()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded
