"""A small fake Hugging Face Hub server for offline tests.

`HubServer` serves model repositories stored as plain folders
(`root_dir/<owner>/<name>/`, holding the files of the current revision) over
the subset of the Hub HTTP API that `huggingface_hub` uses to download
(`snapshot_download`, `hf_hub_download`) and upload (`create_repo`,
`upload_folder`) models. It needs only the standard library.

Every file is served as a regular git blob: its ETag and tree `oid` are the
git-sha1 of its content, no LFS or Xet metadata is ever advertised (so
`huggingface_hub` falls back to plain HTTP downloads), and uploads are always
answered with the "regular" upload mode (file content inlined in the commit).
The commit hash of a repository is derived from its file contents only.

`huggingface_hub` reads its environment variables into module-level constants
at import time: `hub_environment` and `set_offline` patch both the variables
and the constants, so a test can point an already imported `huggingface_hub`
(and `keras.saving.load_model("hf://...")`) at the server.

Example:
    ```python
    def test_download(tmp_path, monkeypatch):
        with HubServer(tmp_path / "hub") as server:
            hub_environment(monkeypatch, server.url, tmp_path / "hf_home")
            path = huggingface_hub.snapshot_download("owner/name")
    ```
"""

import base64
import hashlib
import json
import os
import re
import threading
import uuid
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_BRANCH = "main"
USER_NAME = "test-user"
FAKE_TOKEN = "hf_fake_test_token"

_SEGMENT = r"[^/]+"
_REPO = rf"(?P<owner>{_SEGMENT})/(?P<name>{_SEGMENT})"
# (HTTP methods, path regex, name of the `HubServer` method answering it), tried in order.
_ROUTES = (
    (("GET",), r"/api/whoami-v2", "_whoami"),
    (("POST",), r"/api/repos/create", "_create_repo"),
    (("POST",), r"/api/validate-yaml", "_validate_yaml"),
    (("GET",), rf"/api/models/{_REPO}(?:/revision/(?P<revision>{_SEGMENT}))?", "_model_info"),
    (("GET",), rf"/api/models/{_REPO}/tree/(?P<revision>{_SEGMENT})(?:/(?P<path>.+))?", "_tree"),
    (("POST",), rf"/api/models/{_REPO}/preupload/(?P<revision>{_SEGMENT})", "_preupload"),
    (("POST",), rf"/api/models/{_REPO}/commit/(?P<revision>{_SEGMENT})", "_commit"),
    (("GET", "HEAD"), rf"/{_REPO}/resolve/(?P<revision>{_SEGMENT})/(?P<path>.+)", "_resolve"),
)
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


@dataclass
class _Request:
    """An HTTP request as seen by the route handlers."""

    query: dict[str, list[str]]
    headers: Message
    body: bytes

    def json(self):
        """Decodes the body as JSON."""
        return json.loads(self.body or b"{}")


@dataclass
class _Reply:
    """An HTTP response produced by a route handler."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class _HubError(Exception):
    """An error answered the way the Hub does, so `hf_raise_for_status` can classify it.

    Args:
        status: HTTP status code.
        message: Human-readable message, sent as `X-Error-Message` and as JSON `error`.
        code: Optional `X-Error-Code` value (`RepoNotFound`, `RevisionNotFound`,
            `EntryNotFound`), which selects the `huggingface_hub` exception type.
        headers: Extra response headers.
    """

    def __init__(self, status, message, code=None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}

    def reply(self):
        """Returns the `_Reply` describing this error."""
        # http.server encodes headers as latin-1: escape anything else.
        header_message = self.message.encode("ascii", "backslashreplace").decode()
        headers = {"X-Error-Message": header_message, **self.headers}
        if self.code is not None:
            headers["X-Error-Code"] = self.code
        return _json_reply({"error": self.message}, status=self.status, headers=headers)


def _json_reply(payload, status=200, headers=None):
    """Builds a JSON `_Reply`."""
    headers = {"Content-Type": "application/json", **(headers or {})}
    return _Reply(status, json.dumps(payload).encode(), headers)


def git_blob_sha1(data):
    """Returns the git object id of a blob, as the Hub reports for non-LFS files.

    Args:
        data: File content.

    Returns:
        The 40-hex git-sha1 of `data`.
    """
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _listing_sha1(files):
    """Returns a deterministic 40-hex hash of a `{path: content}` mapping."""
    digest = hashlib.sha1()
    for path in sorted(files):
        digest.update(f"{path}\0{git_blob_sha1(files[path])}\n".encode())
    return digest.hexdigest()


def _is_segment(value):
    """Whether `value` is usable as a single path segment (owner or repository name)."""
    return bool(value) and "/" not in value and value not in (".", "..")


def _relative_path(path):
    """Validates a repository-relative POSIX path and returns it normalized.

    Raises:
        _HubError: 400 if the path is empty, absolute or escapes the repository.
    """
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or any(part in (".", "..") for part in parts):
        raise _HubError(400, f"Invalid path in repository: {path!r}")
    return "/".join(parts)


def _write_atomically(target, data):
    """Writes `data` to `target` through a temporary file and `os.replace`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def _byte_range(range_header, size):
    """Parses a `Range: bytes=start-[end]` header.

    Args:
        range_header: The header value, or None.
        size: Size of the full content.

    Returns:
        `(start, stop)` slice bounds, or None to serve the full content.

    Raises:
        _HubError: 416 if the range starts past the end of the content.
    """
    match = _RANGE.fullmatch(range_header or "")
    if match is None:
        return None
    start = int(match.group(1))
    if start >= size:
        raise _HubError(416, "Range not satisfiable", headers={"Content-Range": f"bytes */{size}"})
    stop = min(int(match.group(2)) + 1, size) if match.group(2) else size
    return start, stop


class _Handler(BaseHTTPRequestHandler):
    """Forwards every request to the `HubServer` attached to the HTTP server."""

    def do_GET(self):
        self._forward()

    def do_HEAD(self):
        self._forward()

    def do_POST(self):
        self._forward()

    def log_message(self, format, *args):
        """Keeps test output quiet."""

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.hub.handle(self.command, self.path, self.headers, body)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)


class HubServer:
    """Fake Hugging Face Hub serving the model repositories found under a folder.

    Each `root_dir/<owner>/<name>/` folder is a repository whose files are the
    current (and only) revision, reachable as branch `main` or by its commit
    hash. Uploads write into these folders. Use it as a context manager, or
    call `start()` / `stop()`.

    Args:
        root_dir: Folder holding the repositories; created if missing.

    Attributes:
        root_dir: The repositories folder, as a `Path`.
        requests: `(method, path)` of every request handled, query string removed,
            in arrival order (e.g. `("HEAD", "/owner/name/resolve/main/config.json")`).
    """

    def __init__(self, root_dir):
        self.root_dir = Path(root_dir)
        self.requests = []
        self._lock = threading.RLock()
        self._httpd = None
        self._thread = None
        self._routes = [
            (methods, re.compile(pattern), getattr(self, handler))
            for methods, pattern, handler in _ROUTES
        ]

    @property
    def url(self):
        """Base URL of the running server, e.g. `http://127.0.0.1:54321`."""
        if self._httpd is None:
            raise RuntimeError("HubServer is not running.")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        """Starts serving on a free port of 127.0.0.1, in a daemon thread.

        Returns:
            The server itself.
        """
        self.root_dir.mkdir(parents=True, exist_ok=True)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.hub = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long `stop()` may wait
            name="fake-hf-hub",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        """Stops the server and waits for its thread to finish."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        self._httpd = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def handle(self, method, raw_path, headers, body):
        """Routes one HTTP request and returns the reply to send.

        Args:
            method: HTTP method.
            raw_path: Request target, URL-encoded, possibly with a query string.
            headers: Request headers.
            body: Request body.

        Returns:
            The `_Reply` to send.
        """
        url = urlsplit(raw_path)
        with self._lock:
            self.requests.append((method, url.path))
        request = _Request(parse_qs(url.query), headers, body)
        for methods, pattern, handler in self._routes:
            match = pattern.fullmatch(url.path)
            if match and method in methods:
                params = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                try:
                    return handler(request, **params)
                except _HubError as error:
                    return error.reply()
                except Exception as error:  # a 5xx would make huggingface_hub retry for seconds
                    return _HubError(400, f"Fake Hub cannot handle this request: {error!r}").reply()
        return _HubError(404, f"Not found: {method} {url.path}").reply()

    # Repository storage.

    def _repo_dir(self, owner, name):
        """Returns the folder of an existing repository.

        Raises:
            _HubError: 404 `RepoNotFound` if there is no such repository.
        """
        repo_dir = self.root_dir / owner / name
        if not (_is_segment(owner) and _is_segment(name) and repo_dir.is_dir()):
            raise _HubError(404, "Repository not found", code="RepoNotFound")
        return repo_dir

    def _snapshot(self, owner, name, revision=DEFAULT_BRANCH):
        """Reads a repository at a revision.

        Args:
            owner: Repository namespace.
            name: Repository name.
            revision: `main` or the current commit hash.

        Returns:
            `(commit_sha, files)` with `files` mapping POSIX paths to contents.

        Raises:
            _HubError: 404 `RepoNotFound` or `RevisionNotFound`.
        """
        repo_dir = self._repo_dir(owner, name)
        with self._lock:
            files = {
                path.relative_to(repo_dir).as_posix(): path.read_bytes()
                for path in repo_dir.rglob("*")
                if path.is_file()
            }
        commit_sha = _listing_sha1(files)
        if revision not in (DEFAULT_BRANCH, commit_sha):
            raise _HubError(404, f"Invalid rev id: {revision}", code="RevisionNotFound")
        return commit_sha, files

    # Download routes.

    def _model_info(self, request, owner, name, revision=DEFAULT_BRANCH):
        """`GET /api/models/{repo_id}[/revision/{revision}]`, used by `repo_info`."""
        commit_sha, files = self._snapshot(owner, name, revision)
        siblings = [
            {"rfilename": path, "size": len(data), "blobId": git_blob_sha1(data)}
            for path, data in sorted(files.items())
        ]
        return _json_reply(
            {
                "id": f"{owner}/{name}",
                "modelId": f"{owner}/{name}",
                "author": owner,
                "sha": commit_sha,
                "private": False,
                "disabled": False,
                "gated": False,
                "tags": [],
                "siblings": siblings,
            }
        )

    def _tree(self, request, owner, name, revision, path=""):
        """`GET /api/models/{repo_id}/tree/{revision}[/{path}]?recursive=...`."""
        _, files = self._snapshot(owner, name, revision)
        folder = path.strip("/")
        prefix = f"{folder}/" if folder else ""
        if folder and not any(file.startswith(prefix) for file in files):
            raise _HubError(404, f"{folder} does not exist on {revision}", code="EntryNotFound")
        recursive = request.query.get("recursive", ["false"])[0].lower() in ("1", "true")
        listed = [
            entry
            for entry in _tree_entries(files)
            if entry["path"].startswith(prefix)
            and (recursive or "/" not in entry["path"][len(prefix) :])
        ]
        return _json_reply(listed)

    def _resolve(self, request, owner, name, revision, path):
        """`HEAD` / `GET /{repo_id}/resolve/{revision}/{path}`: file metadata and content."""
        commit_sha, files = self._snapshot(owner, name, revision)
        if path not in files:
            raise _HubError(
                404,
                "Entry not found",
                code="EntryNotFound",
                headers={"X-Repo-Commit": commit_sha},
            )
        data = files[path]
        headers = {
            "X-Repo-Commit": commit_sha,
            "ETag": f'"{git_blob_sha1(data)}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        byte_range = _byte_range(request.headers.get("Range"), len(data))
        if byte_range is None:
            return _Reply(200, data, headers)
        start, stop = byte_range
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{len(data)}"
        return _Reply(206, data[start:stop], headers)

    # Upload routes.

    def _whoami(self, request):
        """`GET /api/whoami-v2`: any bearer token is the write token of `USER_NAME`."""
        _require_token(request)
        return _json_reply(
            {
                "type": "user",
                "name": USER_NAME,
                "fullname": "Test User",
                "orgs": [],
                "auth": {"type": "access_token", "accessToken": {"role": "write"}},
            }
        )

    def _create_repo(self, request):
        """`POST /api/repos/create` (model repositories only)."""
        _require_token(request)
        payload = request.json()
        if payload.get("type", "model") != "model":
            raise _HubError(400, "The fake Hub only supports model repositories")
        owner = payload.get("organization") or USER_NAME
        name = payload["name"]
        if not (_is_segment(owner) and _is_segment(name)):
            raise _HubError(400, f"Invalid repo id: {owner}/{name}")
        url = f"{self.url}/{owner}/{name}"
        with self._lock:
            repo_dir = self.root_dir / owner / name
            if repo_dir.is_dir():
                return _json_reply(
                    {"error": "You already created this model repo", "url": url}, status=409
                )
            repo_dir.mkdir(parents=True)
        return _json_reply({"url": url, "name": f"{owner}/{name}", "id": f"{owner}/{name}"})

    def _validate_yaml(self, request):
        """`POST /api/validate-yaml`: every README.md is accepted."""
        return _json_reply({"errors": [], "warnings": []})

    def _preupload(self, request, owner, name, revision):
        """`POST /api/models/{repo_id}/preupload/{revision}`: always the "regular" mode."""
        _require_token(request)
        _require_branch(revision)
        commit_sha, files = self._snapshot(owner, name)
        answers = []
        for file in request.json()["files"]:
            existing = files.get(file["path"])
            answers.append(
                {
                    "path": file["path"],
                    "uploadMode": "regular",
                    "shouldIgnore": False,
                    "oid": None if existing is None else git_blob_sha1(existing),
                }
            )
        return _json_reply({"files": answers, "commitOid": commit_sha})

    def _commit(self, request, owner, name, revision):
        """`POST /api/models/{repo_id}/commit/{revision}`: applies an NDJSON commit payload."""
        _require_token(request)
        _require_branch(revision)
        if request.query.get("create_pr"):
            raise _HubError(400, "The fake Hub does not support pull requests")
        lines = [json.loads(line) for line in request.body.splitlines() if line.strip()]
        with self._lock:
            commit_sha, files = self._snapshot(owner, name)
            header = next((line["value"] for line in lines if line["key"] == "header"), {})
            parent = header.get("parentCommit")
            if parent is not None and parent != commit_sha:
                raise _HubError(412, f"Parent commit {parent} is not the head of {revision}")
            new_files = dict(files)
            for line in lines:
                _apply_operation(new_files, line["key"], line["value"])
            _sync_folder(self._repo_dir(owner, name), files, new_files)
            commit_sha = _listing_sha1(new_files)
        return _json_reply(
            {
                "success": True,
                "commitOid": commit_sha,
                "commitUrl": f"{self.url}/{owner}/{name}/commit/{commit_sha}",
                "hookOutput": "",
            }
        )


def _tree_entries(files):
    """Lists the files and directories of a snapshot, as `/api/.../tree` entries.

    Args:
        files: Mapping of POSIX paths to contents.

    Returns:
        Directory entries (with a hash of their content as `oid`) then file entries.
    """
    directories = sorted(
        {str(parent) for path in files for parent in PurePosixPath(path).parents} - {"."}
    )
    entries = [
        {
            "type": "directory",
            "path": directory,
            "size": 0,
            "oid": _listing_sha1({p: d for p, d in files.items() if p.startswith(f"{directory}/")}),
        }
        for directory in directories
    ]
    entries += [
        {"type": "file", "path": path, "size": len(data), "oid": git_blob_sha1(data)}
        for path, data in sorted(files.items())
    ]
    return entries


def _apply_operation(files, key, value):
    """Applies one line of a commit payload to an in-memory snapshot.

    Args:
        files: Mapping of POSIX paths to contents, updated in place.
        key: Operation kind: `header`, `file`, `deletedFile` or `deletedFolder`.
        value: Operation details.

    Raises:
        _HubError: 400 for LFS or unknown operations, 404 when deleting a missing file.
    """
    if key == "header":
        return
    if key not in ("file", "deletedFile", "deletedFolder"):
        raise _HubError(400, f"Unsupported commit operation {key!r} (the fake Hub has no LFS)")
    path = _relative_path(value["path"].rstrip("/"))
    if key == "file":
        files[path] = base64.b64decode(value["content"])
    elif key == "deletedFile":
        if files.pop(path, None) is None:
            raise _HubError(404, "A file with this name doesn't exist", code="EntryNotFound")
    else:
        for deleted in [p for p in files if p.startswith(f"{path}/")]:
            del files[deleted]


def _sync_folder(repo_dir, old_files, new_files):
    """Makes a repository folder go from one snapshot to another.

    Removed files are deleted first (with the folders they leave empty), then
    new or changed files are written atomically.

    Args:
        repo_dir: Repository folder.
        old_files: Current `{path: content}` of the folder.
        new_files: Wanted `{path: content}`.
    """
    for path in old_files.keys() - new_files.keys():
        target = repo_dir / path
        target.unlink()
        for parent in target.parents:
            if parent == repo_dir or any(parent.iterdir()):
                break
            parent.rmdir()
    for path, data in new_files.items():
        if old_files.get(path) != data:
            _write_atomically(repo_dir / path, data)


def _require_token(request):
    """Rejects write calls without a bearer token, like the Hub (401)."""
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        raise _HubError(401, "Invalid username or password.")


def _require_branch(revision):
    """Rejects commits to anything but the default branch (404 `RevisionNotFound`)."""
    if revision != DEFAULT_BRANCH:
        raise _HubError(404, f"Invalid rev id: {revision}", code="RevisionNotFound")


# Test environment helpers.

# `huggingface_hub.constants` values derived from `HF_HOME`, relative to it.
_HOME_PATHS = {
    "HF_HOME": "",
    "HF_HUB_CACHE": "hub",
    "HUGGINGFACE_HUB_CACHE": "hub",
    "HF_ASSETS_CACHE": "assets",
    "HUGGINGFACE_ASSETS_CACHE": "assets",
    "HF_XET_CACHE": "xet",
    "HF_TOKEN_PATH": "token",
    "HF_STORED_TOKENS_PATH": "stored_tokens",
    "AGENT_HARNESSES_PATH": ".agent_harnesses.json",
    "CHECK_FOR_UPDATE_DONE_PATH": ".check_for_update_done",
    "CHECK_FOR_SKILL_UPDATE_DONE_PATH": ".check_for_skill_update_done",
}
# Environment variables naming the same folders, which would override `HF_HOME`.
_HOME_ENV_VARS = ("HF_HUB_CACHE", "HF_ASSETS_CACHE", "HF_XET_CACHE", "HF_TOKEN_PATH")


def hub_environment(monkeypatch, server_url, hf_home, token=FAKE_TOKEN):
    """Points `huggingface_hub` (already imported or not) at a fake Hub, for one test.

    Sets the `HF_*` environment variables (for subprocesses and late imports)
    and patches the `huggingface_hub` constants computed from them at import
    time: the endpoint (`ENDPOINT`, `HUGGINGFACE_CO_URL_TEMPLATE`,
    `HF_URL_HOSTS`), every cache/token path derived from `HF_HOME` (including
    the copies imported by `utils._cache_manager` and `utils._cache_assets`),
    and `HF_HUB_OFFLINE=False`. Telemetry is disabled: otherwise the first
    request of the process also fetches `/api/agent-harnesses` for the
    user-agent. `HF_TOKEN` is set so that token-less callers such as
    `keras.saving.save_model(model, "hf://...")` can upload.

    Args:
        monkeypatch: The pytest `monkeypatch` fixture; everything is undone after the test.
        server_url: Base URL of the fake Hub (`HubServer.url`).
        hf_home: Folder to use as `HF_HOME` (cache under `hf_home/hub`).
        token: Token sent with every request.
    """
    from huggingface_hub import constants

    hf_home = Path(hf_home)
    monkeypatch.setenv("HF_ENDPOINT", server_url)
    monkeypatch.setenv("HF_HOME", str(hf_home))
    for env_var in _HOME_ENV_VARS:
        monkeypatch.setenv(env_var, str(hf_home / _HOME_PATHS[env_var]))
    monkeypatch.setenv("HF_TOKEN", token)
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")

    monkeypatch.setattr(constants, "ENDPOINT", server_url)
    monkeypatch.setattr(
        constants,
        "HUGGINGFACE_CO_URL_TEMPLATE",
        server_url + "/{repo_id}/resolve/{revision}/{filename}",
    )
    monkeypatch.setattr(
        constants, "HF_URL_HOSTS", constants.HF_URL_HOSTS | {urlsplit(server_url).hostname}
    )
    for constant, relative in _HOME_PATHS.items():
        monkeypatch.setattr(constants, constant, str(hf_home / relative))
    monkeypatch.setattr("huggingface_hub.utils._cache_manager.HF_HUB_CACHE", str(hf_home / "hub"))
    monkeypatch.setattr(
        "huggingface_hub.utils._cache_assets.HF_ASSETS_CACHE", str(hf_home / "assets")
    )
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    set_offline(monkeypatch, False)


def set_offline(monkeypatch, offline=True):
    """Turns `huggingface_hub` offline mode (`HF_HUB_OFFLINE`) on or off, for one test.

    In offline mode every `huggingface_hub` HTTP call raises `OfflineModeIsEnabled`
    before reaching the network; downloads fall back to the cache.

    Args:
        monkeypatch: The pytest `monkeypatch` fixture.
        offline: Whether to enable offline mode.
    """
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1" if offline else "0")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", offline)
