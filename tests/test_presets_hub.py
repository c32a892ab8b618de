"""Presets through `hf://`, against the loopback Hub server of hub_server.py."""

import os
import shutil

import keras
import numpy as np
import pytest
from hub_server import HubServer, hub_environment, set_offline

from kgen import presets
from kgen.errors import ChecksumError, PresetError, PresetNotFoundError
from kgen.models import Classifier


@pytest.fixture
def hub(tmp_path, monkeypatch, tiny_classifier):
    """A Hub holding the tiny classifier as owner/tiny, and that classifier."""
    with HubServer(tmp_path / "hub") as server:
        hub_environment(monkeypatch, server.url, tmp_path / "hf_home")
        local = tiny_classifier.save_to_preset(tmp_path / "tiny", command="pytest")
        shutil.copytree(local, tmp_path / "hub" / "owner" / "tiny")
        yield server, tiny_classifier


def test_from_preset_downloads_then_works_offline_from_cache(hub, monkeypatch, images):
    server, model = hub
    loaded = Classifier.from_preset("hf://owner/tiny")
    np.testing.assert_array_equal(loaded(images), model(images))
    assert ("GET", "/owner/tiny/resolve/" + server.requests[-1][1].split("/")[4] + "/model.weights.h5") in server.requests

    server.requests.clear()
    set_offline(monkeypatch, True)
    cached = Classifier.from_preset("hf://owner/tiny")
    np.testing.assert_array_equal(cached(images), model(images))
    assert server.requests == []


def test_keras_load_model_reads_hf_preset_without_custom_objects(hub, monkeypatch, images):
    _, model = hub
    loaded = keras.saving.load_model("hf://owner/tiny")
    assert isinstance(loaded, Classifier)
    np.testing.assert_array_equal(loaded(images), model(images))
    set_offline(monkeypatch, True)
    np.testing.assert_array_equal(keras.saving.load_model("hf://owner/tiny")(images), model(images))


def test_offline_without_cache_is_a_clear_error(hub, monkeypatch):
    server, _ = hub
    set_offline(monkeypatch, True)
    with pytest.raises(PresetError, match="not in the Hugging Face cache") as info:
        Classifier.from_preset("hf://owner/tiny")
    assert "hf://owner/tiny" in str(info.value)
    assert server.requests == []


def test_unknown_repository(hub):
    with pytest.raises(PresetNotFoundError, match="'hf://owner/missing': no such repository"):
        Classifier.from_preset("hf://owner/missing")


def test_malformed_handle():
    with pytest.raises(PresetNotFoundError, match="hf://owner/name"):
        Classifier.from_preset("hf://just-a-name")


def test_upload_then_download_round_trip(hub, tmp_path, images):
    server, model = hub
    url = presets.upload_preset("hf://someone/uploaded", tmp_path / "tiny")
    assert "someone/uploaded" in url
    assert sorted(p.name for p in (tmp_path / "hub" / "someone" / "uploaded").iterdir()) == [
        "README.md",
        "config.json",
        "metadata.json",
        "model.weights.h5",
    ]
    loaded = Classifier.from_preset("hf://someone/uploaded")
    np.testing.assert_array_equal(loaded(images), model(images))


def test_kgen_upload_and_kgen_download_round_trip(hub, tmp_path, capsys):
    from kgen import cli

    assert cli.main(["upload", str(tmp_path / "tiny"), "hf://someone/by_cli", "--message", "from the CLI"]) == 0
    assert "someone/by_cli" in capsys.readouterr().out
    assert cli.main(["download", "hf://someone/by_cli"]) == 0
    folder = capsys.readouterr().out.strip()
    assert (tmp_path / "hf_home").as_posix() in folder and os.path.isfile(os.path.join(folder, "model.weights.h5"))
    assert cli.main(["download", "hf://someone/missing"]) == 1
    assert "no such repository" in capsys.readouterr().err


def test_upload_refuses_a_damaged_preset(hub, tmp_path):
    weights = tmp_path / "tiny" / "model.weights.h5"
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ChecksumError):
        presets.upload_preset("hf://someone/damaged", tmp_path / "tiny")
    with pytest.raises(PresetError, match="handle must be 'hf://owner/name'"):
        presets.upload_preset("someone/damaged", tmp_path / "tiny")


@pytest.mark.parametrize("info", presets.list_presets(), ids=lambda info: info.name)
def test_every_preset_loads_through_the_hub(tmp_path, monkeypatch, info):
    """A registered name with no local folder falls back to its hf:// repository."""

    owner, name = info.hf_handle[len("hf://"):].split("/")
    with HubServer(tmp_path / "hub") as server:
        hub_environment(monkeypatch, server.url, tmp_path / "hf_home")
        shutil.copytree(info.local_dir, tmp_path / "hub" / owner / name)
        cls = keras.saving.get_registered_object(f"kgen>{info.class_name}")
        monkeypatch.setattr(presets.registry, "WEIGHTS_DIR", str(tmp_path / "no_weights_here"))
        model = cls.from_preset(info.name)
        assert any(path.startswith(f"/{owner}/{name}/resolve/") for _, path in server.requests)
        assert presets.check_probe(model, presets.resolve(info.hf_handle)) <= presets.PROBE_ATOL
