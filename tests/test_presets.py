import json
import os

import keras
import numpy as np
import pytest

import kgen
from kgen import presets
from kgen.errors import ChecksumError, PresetError, PresetNotFoundError
from kgen.models import Classifier


@pytest.fixture
def saved(tmp_path, tiny_classifier):
    path = tiny_classifier.save_to_preset(
        tmp_path / "tiny",
        description="A tiny test classifier.",
        training="Not trained.",
        command="pytest",
        metrics={"test_accuracy": 0.1},
        datasets=["fashion_mnist"],
    )
    return tiny_classifier, path


def test_round_trip_gives_identical_predictions(saved, images):
    model, path = saved
    loaded = Classifier.from_preset(path)
    np.testing.assert_array_equal(loaded(images), model(images))
    assert loaded.get_config() == model.get_config()


def test_preset_files_and_metadata(saved):
    model, path = saved
    assert sorted(os.listdir(path)) == ["README.md", "config.json", "metadata.json", "model.weights.h5"]
    metadata = presets.read_metadata(path)
    assert metadata["parameter_count"] == model.count_params()
    assert metadata["keras_version"] == keras.__version__
    assert metadata["kgen_version"] == kgen.__version__
    assert metadata["metrics"] == {"test_accuracy": 0.1}
    assert len(metadata["weights_sha256"]) == 64
    card = open(os.path.join(path, "README.md")).read()
    assert card.startswith("---\nlibrary_name: keras\n")
    assert "- fashion_mnist" in card and "- test_accuracy" in card and "```bash\npytest\n```" in card


def test_probe_matches_after_load_and_detects_change(saved):
    _, path = saved
    loaded = Classifier.from_preset(path)
    assert presets.check_probe(loaded, path) <= presets.PROBE_ATOL
    fresh = Classifier.from_preset(path, load_weights=False)
    with pytest.raises(PresetError, match="differ from those recorded"):
        presets.check_probe(fresh, path)


def test_checksum_mismatch_is_caught(saved):
    _, path = saved
    weights = os.path.join(path, "model.weights.h5")
    data = bytearray(open(weights, "rb").read())
    data[-10] ^= 0xFF
    open(weights, "wb").write(bytes(data))
    with pytest.raises(ChecksumError, match="sha256"):
        Classifier.from_preset(path)


def test_missing_weights(saved):
    _, path = saved
    os.remove(os.path.join(path, "model.weights.h5"))
    with pytest.raises(PresetError, match="has no model.weights.h5"):
        Classifier.from_preset(path)


def test_unknown_name_lists_registered_names():
    with pytest.raises(PresetNotFoundError, match="fashion_mnist_classifier") as info:
        Classifier.from_preset("no_such_preset")
    assert "'no_such_preset'" in str(info.value)


def test_wrong_class_is_refused(saved):
    _, path = saved

    class Other(presets.PresetMixin, keras.Model):
        pass

    with pytest.raises(PresetError, match="holds a 'Classifier', not a Other"):
        Other.from_preset(path)


def test_not_a_preset_folder(tmp_path):
    with pytest.raises(PresetError, match="has no config.json"):
        Classifier.from_preset(tmp_path)


def test_keras_load_model_reads_a_preset_folder(saved, images):
    model, path = saved
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, Classifier)
    np.testing.assert_array_equal(loaded(images), model(images))


def test_keras_file_round_trip(tmp_path, tiny_classifier, images):
    tiny_classifier.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded(images), tiny_classifier(images))


def test_config_round_trip(tiny_classifier):
    config = tiny_classifier.get_config()
    clone = Classifier.from_config(config)
    assert clone.get_config() == config
    assert clone.count_params() == tiny_classifier.count_params()


def test_failed_save_keeps_the_old_preset(saved, monkeypatch, tiny_classifier):
    _, path = saved
    before = {name: open(os.path.join(path, name), "rb").read() for name in os.listdir(path)}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Classifier, "save_weights", broken)
    with pytest.raises(OSError, match="disk full"):
        tiny_classifier.save_to_preset(path)
    after = {name: open(os.path.join(path, name), "rb").read() for name in os.listdir(path)}
    assert after == before
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".tmp")]


def test_presets_class_attribute():
    assert "fashion_mnist_classifier" in Classifier.presets
    assert Classifier.presets["fashion_mnist_classifier"].class_name == "Classifier"


@pytest.mark.parametrize("info", presets.list_presets(), ids=lambda info: info.name)
def test_shipped_preset_matches_registry_and_probe(info):
    assert os.path.isfile(os.path.join(info.local_dir, "config.json")), f"{info.name} not in weights/"
    metadata = presets.read_metadata(info.local_dir)
    assert info.metrics and {k: metadata["metrics"][k] for k in info.metrics} == info.metrics
    assert metadata["parameter_count"] == info.params
    assert metadata["class_name"] == info.class_name
    model = keras.saving.get_registered_object(f"kgen>{info.class_name}").from_preset(info.name)
    assert presets.check_probe(model, info.local_dir) <= presets.PROBE_ATOL
    card = open(os.path.join(info.local_dir, "README.md")).read()
    assert "Reproduce with:" in card
    with open(os.path.join(info.local_dir, "config.json")) as f:
        assert json.load(f)["registered_name"] == f"kgen>{info.class_name}"


def test_card_pictures_and_sections(saved, images):
    from kgen import plot

    model, path = saved
    plot.image_grid(images, os.path.join(path, "grid.png"))
    model.save_to_preset(path, images={"a grid": "grid.png"}, sections={"Comparison": "Better than X."})
    card = open(os.path.join(path, "README.md")).read()
    assert "![a grid](grid.png)" in card and "## Comparison\n\nBetter than X." in card
    assert os.path.isfile(os.path.join(path, "grid.png"))
    with pytest.raises(PresetError, match="images\\['missing'\\] names nowhere.png"):
        model.save_to_preset(path, images={"missing": "nowhere.png"})


@pytest.mark.parametrize("file, damage, message", [
    ("config.json", lambda text: text[: len(text) // 2], "config.json is not valid JSON"),
    ("config.json", lambda text: "[1, 2]", "config.json must hold a JSON object; it holds a list"),
    ("config.json", lambda text: text.replace('"registered_name"', '"registered"'), "config.json is missing 'registered_name'"),
    ("metadata.json", lambda text: "\xff{", "metadata.json is not valid JSON"),
    ("metadata.json", lambda text: text.replace('"weights_sha256"', '"sha"'), "metadata.json is missing 'weights_sha256'"),
    ("metadata.json", lambda text: text.replace(f'"kgen_version": "{kgen.__version__}"', '"kgen_version": "99.0.0"'),
     "was written by kgen 99.0.0; this is kgen " + kgen.__version__.replace(".", r"\.")),
    ("config.json", lambda text: text.replace('"filters": [', '"filters": ["x", '), "filters must be an integer"),
    ("config.json", lambda text: text.replace('"dense_units": 8', '"dense_units": 9'), "does not hold a loadable Classifier"),
])
def test_damaged_preset_files_get_preset_errors(saved, file, damage, message):
    _, path = saved
    target = os.path.join(path, file)
    text = open(target, encoding="utf-8").read()
    with open(target, "w", encoding="utf-8") as f:
        f.write(damage(text))
    with pytest.raises(kgen.errors.KgenError, match=message):
        Classifier.from_preset(path)


def test_truncated_weights_are_refused(saved):
    _, path = saved
    weights = os.path.join(path, "model.weights.h5")
    data = open(weights, "rb").read()
    open(weights, "wb").write(data[: len(data) // 3])
    with pytest.raises(ChecksumError, match="sha256"):
        Classifier.from_preset(path)
