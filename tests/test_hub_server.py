"""Checks that the fake Hub in `hub_server.py` works with the installed huggingface_hub."""

import random
import urllib.request
from pathlib import Path

import huggingface_hub
import pytest
from hub_server import HubServer, hub_environment, set_offline
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import (
    LocalEntryNotFoundError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
)

REPO_ID = "owner/name"
FILES = {
    "README.md": b"# A test model\n",
    "config.json": b'{"units": 4}',
    "weights/model.weights.bin": random.Random(0).randbytes(100_000),
}


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """A running fake Hub that huggingface_hub talks to, with an empty cache."""
    with HubServer(tmp_path / "hub") as server:
        hub_environment(monkeypatch, server.url, tmp_path / "hf_home")
        yield server


def write_files(folder, files):
    """Writes a `{posix_path: bytes}` mapping under `folder`."""
    for path, data in files.items():
        target = Path(folder, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def read_files(folder):
    """Reads every file under `folder` as a `{posix_path: bytes}` mapping."""
    folder = Path(folder)
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_snapshot_download_returns_identical_files(hub):
    write_files(hub.root_dir / REPO_ID, FILES)
    commit = HfApi().repo_info(REPO_ID).sha
    hub.requests.clear()

    snapshot = huggingface_hub.snapshot_download(REPO_ID)

    assert read_files(snapshot) == FILES
    assert Path(snapshot) == Path(constants.HF_HUB_CACHE, "models--owner--name/snapshots", commit)
    resolve = f"/{REPO_ID}/resolve/{commit}"
    assert sorted(hub.requests) == sorted(
        [
            ("GET", f"/api/models/{REPO_ID}/revision/main"),
            ("GET", f"/api/models/{REPO_ID}/tree/{commit}"),
            *[(method, f"{resolve}/{name}") for name in FILES for method in ("HEAD", "GET")],
        ]
    )


def test_offline_download_uses_cache_without_traffic(hub, monkeypatch):
    write_files(hub.root_dir / REPO_ID, FILES)
    online = huggingface_hub.snapshot_download(REPO_ID)
    hub.requests.clear()

    set_offline(monkeypatch, True)
    offline = huggingface_hub.snapshot_download(REPO_ID)

    assert offline == online
    assert read_files(offline) == FILES
    assert hub.requests == []


def test_offline_without_cache_raises(hub, monkeypatch):
    write_files(hub.root_dir / REPO_ID, FILES)
    set_offline(monkeypatch, True)

    with pytest.raises(LocalEntryNotFoundError):
        huggingface_hub.snapshot_download(REPO_ID)
    with pytest.raises(LocalEntryNotFoundError):
        huggingface_hub.hf_hub_download(REPO_ID, "config.json")
    assert hub.requests == []


def test_unknown_repo_raises_repository_not_found(hub):
    with pytest.raises(RepositoryNotFoundError):
        huggingface_hub.snapshot_download("owner/missing")
    with pytest.raises(RepositoryNotFoundError):
        huggingface_hub.hf_hub_download("owner/missing", "config.json")


def test_unknown_file_raises_entry_not_found(hub):
    write_files(hub.root_dir / REPO_ID, FILES)

    with pytest.raises(RemoteEntryNotFoundError):
        huggingface_hub.hf_hub_download(REPO_ID, "missing.json")


def test_resolve_serves_byte_ranges(hub):
    write_files(hub.root_dir / REPO_ID, FILES)
    url = huggingface_hub.hf_hub_url(REPO_ID, "weights/model.weights.bin")
    request = urllib.request.Request(url, headers={"Range": "bytes=1000-"})

    with urllib.request.urlopen(request) as response:
        assert response.status == 206
        assert response.headers["Content-Range"] == "bytes 1000-99999/100000"
        assert response.read() == FILES["weights/model.weights.bin"][1000:]


@pytest.mark.parametrize("disable_xet", [False, True], ids=["pipelined", "create_commit"])
def test_upload_then_download_round_trip(hub, tmp_path, monkeypatch, disable_xet):
    # With hf_xet installed, upload_folder uses its pipelined uploader, else create_commit.
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", disable_xet)
    folder = tmp_path / "upload"
    write_files(folder, {**FILES, "notes.txt": b"deleted", "extra/notes.txt": b"deleted"})
    api = HfApi(endpoint=hub.url, token="test-token")

    repo_url = api.create_repo("owner/new", exist_ok=True)
    assert api.create_repo("owner/new", exist_ok=True) == repo_url
    api.upload_folder(repo_id="owner/new", folder_path=folder)
    api.delete_file("notes.txt", repo_id="owner/new")
    commit = api.delete_folder("extra", repo_id="owner/new")

    assert read_files(hub.root_dir / "owner/new") == FILES
    assert not (hub.root_dir / "owner/new/extra").exists()
    assert api.repo_info("owner/new").sha == commit.oid
    assert read_files(huggingface_hub.snapshot_download("owner/new")) == FILES
