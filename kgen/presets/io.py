"""A preset folder on disk: write it atomically, read and verify its metadata and weights.

A preset is a folder holding ``config.json`` (the model's Keras serialization),
``model.weights.h5``, ``metadata.json`` (versions, parameter count, date, the
weights' sha256, the metrics it scores, the recipe that made it and a probe of its
outputs) and a ``README.md`` model card. Keras reads the same folder, so
``keras.saving.load_model("hf://owner/name")`` loads a kgen preset once kgen is
imported.
"""

import datetime
import hashlib
import json
import os
import shutil

import numpy as np

from kgen.core import files
from kgen.core.errors import ChecksumError, PresetError
from kgen.presets.card import WEIGHTS_FILE, card_text
from kgen.presets.jsonfile import read_json
from kgen.presets.registry import METADATA_FILE
from kgen.version import __version__

CONFIG_FILE = "config.json"
CARD_FILE = "README.md"
PROBE_ATOL = 1e-4
CARD_FIELDS = ("title", "description", "training", "command", "datasets", "tags", "images", "sections")
"""What `card_text` takes besides the model and its metadata."""


def sha256_of(path):
    """The hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


METADATA_KEYS = ("kgen_version", "class_name", "weights_sha256", "metrics")
CONFIG_KEYS = ("registered_name", "config")


def _version(text):
    """"0.1.0" -> (0, 1, 0); None for what is not a dotted version."""
    try:
        return tuple(int(part) for part in str(text).split("."))
    except ValueError:
        return None


def read_metadata(preset_dir):
    """The parsed `metadata.json` of a preset folder, checked: its keys, and that no newer kgen wrote it.

    Args:
        preset_dir: str, a preset folder.

    Returns:
        dict.

    Examples:
        >>> metadata = kgen.presets.read_metadata(kgen.presets.resolve("dqn_cartpole"))
        >>> metadata["class_name"], len(metadata["weights_sha256"])
        ('DQNAgent', 64)
    """
    path = os.path.join(preset_dir, METADATA_FILE)
    if not os.path.isfile(path):
        raise PresetError(f"preset folder {preset_dir} has no {METADATA_FILE}; re-save it with save_to_preset.")
    metadata = read_json(path, METADATA_KEYS)
    written, running = _version(metadata["kgen_version"]), _version(__version__)
    if written is None or written > running:
        raise PresetError(
            f"{path} was written by kgen {metadata['kgen_version']}; this is kgen {__version__}, which may not "
            "read it correctly. Upgrade kgen (pip install -U kgen) to load this preset."
        )
    return metadata


def verify_weights(preset_dir, metadata=None):
    """Check the weights file against the sha256 recorded in the metadata.

    Args:
        preset_dir: str, a preset folder.
        metadata: optional dict, its metadata if already read.

    Returns:
        str, the sha256 checked.

    Raises:
        PresetError: the weights file is missing.
        ChecksumError: its sha256 differs from the recorded one.

    Examples:
        >>> folder = kgen.presets.resolve("dqn_cartpole")
        >>> kgen.presets.verify_weights(folder) == kgen.presets.read_metadata(folder)["weights_sha256"]
        True
    """
    metadata = read_metadata(preset_dir) if metadata is None else metadata
    path = os.path.join(preset_dir, WEIGHTS_FILE)
    if not os.path.isfile(path):
        raise PresetError(
            f"preset folder {preset_dir} has no {WEIGHTS_FILE}: download it again (delete its folder "
            "in the Hugging Face cache), restore it from version control, or re-save it with save_to_preset."
        )
    actual = sha256_of(path)
    if actual != metadata.get("weights_sha256"):
        raise ChecksumError(
            f"{path} has sha256 {actual}, but {METADATA_FILE} records "
            f"{metadata.get('weights_sha256')}: the file is damaged or was changed. Download it "
            "again (delete its folder in the Hugging Face cache) or restore it from version control."
        )
    return actual


def _card_metadata(metrics, summary, headline_metrics, recipe, sections):
    """The metadata entries that come from the card fields rather than from the model."""
    entries = {"metrics": dict(metrics or {})}
    if summary:
        entries["summary"] = summary
    if headline_metrics:
        missing = [name for name in headline_metrics if name not in entries["metrics"]]
        if missing:
            raise PresetError(f"headline_metrics names {missing}, which are not in metrics.")
        entries["headline_metrics"] = list(headline_metrics)
    if recipe:
        entries["recipe"] = recipe
    if sections:
        entries["sections"] = dict(sections)
    return entries


def _write_card(model, folder, metadata, card, pictures_dir):
    for alt, relative in (card.get("images") or {}).items():
        if not os.path.isfile(os.path.join(pictures_dir, relative)):
            raise PresetError(f"images[{alt!r}] names {relative}, which is not in the preset folder.")
    with open(os.path.join(folder, METADATA_FILE), "w", encoding="utf-8") as f:
        json.dump(metadata, f, indent=2)
    card = {**card, "sections": metadata.get("sections")}
    with open(os.path.join(folder, CARD_FILE), "w", encoding="utf-8") as f:
        f.write(card_text(model, metadata, **card))


def save(model, preset_dir, metrics=None, summary=None, headline_metrics=None, recipe=None, **card):
    """Write `model` as a preset folder, atomically; the body of `save_to_preset`.

    Args:
        model: a built kgen model.
        preset_dir: str, the folder (replaced atomically if it exists; its extra
            files, such as pictures, are kept).
        metrics: dict of name to value, the scores.
        summary: str or None, one line for the preset table.
        headline_metrics: names in `metrics` for the preset table (default all).
        recipe: dict {"name", "hyperparameters"} or None, the recipe that trained it.
        **card: the model card's fields (`CARD_FIELDS`).

    Returns:
        The folder written.

    Examples:
        >>> model = kgen.models.Classifier(filters=(4,), dense_units=8)
        >>> kgen.presets.save(model, "tiny_classifier", metrics={"accuracy": 0.1}, summary="An untrained toy")
        '.../tiny_classifier'
        >>> kgen.presets.read_metadata("tiny_classifier")["summary"]
        'An untrained toy'
    """
    import keras

    if not model.built:
        raise PresetError(f"{type(model).__name__} must be built (called once) before saving a preset.")
    unknown = sorted(set(card) - set(CARD_FIELDS))
    if unknown:
        raise PresetError(f"unknown model card fields {unknown}; expected some of {list(CARD_FIELDS)}.")
    preset_dir = os.path.abspath(os.fspath(preset_dir))
    card["title"] = card.get("title") or os.path.basename(preset_dir)
    with files.atomic_directory(preset_dir) as tmp:
        # A preset holds the model, not its training state: no compile config, no optimizer.
        config = keras.saving.serialize_keras_object(model)
        config["compile_config"] = None
        with open(os.path.join(tmp, CONFIG_FILE), "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)
        inference_model = keras.saving.deserialize_keras_object(config)
        inference_model.set_weights(model.get_weights())
        inference_model.save_weights(os.path.join(tmp, WEIGHTS_FILE))
        metadata = {
            "kgen_version": __version__,
            "keras_version": keras.__version__,
            "class_name": type(model).__name__,
            "parameter_count": int(model.count_params()),
            "date_saved": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d@%H:%M:%S"),
            "weights_sha256": sha256_of(os.path.join(tmp, WEIGHTS_FILE)),
            **_card_metadata(metrics, summary, headline_metrics, recipe, card.pop("sections", None)),
        }
        probe = getattr(inference_model, "preset_probe", None)
        if probe is not None:
            metadata["probe"] = np.asarray(probe(), dtype="float64").round(6).ravel().tolist()
        _write_card(model, tmp, metadata, card, preset_dir)
        _keep_extra_files(preset_dir, tmp)
    return preset_dir


def rewrite_card(model, preset_dir, metrics=None, summary=None, headline_metrics=None, recipe=None, **card):
    """Rewrite the metadata and model card of an existing preset folder, keeping its weights.

    What identifies the weights (sha256, parameter count, probe, versions, date)
    stays; the card's entries are replaced. Sections given replace those of the
    same heading; the folder's other sections (such as a benchmark's comparison,
    measured after training) are kept. Both files are written atomically.

    Args:
        model: the model loaded from `preset_dir` (for its class).
        preset_dir: str, a preset folder.
        metrics: as for `save`.
        summary: as for `save`.
        headline_metrics: as for `save`.
        recipe: as for `save`.
        **card: as for `save`.

    Returns:
        The folder.

    Examples:
        >>> model = kgen.models.Classifier(filters=(4,), dense_units=8)
        >>> folder = model.save_to_preset("tiny_classifier", metrics={"accuracy": 0.1})
        >>> _ = kgen.presets.rewrite_card(model, folder, metrics={"accuracy": 0.2}, summary="Rescored")
        >>> kgen.presets.read_metadata(folder)["metrics"]
        {'accuracy': 0.2}
    """
    verify_weights(preset_dir)
    old = read_metadata(preset_dir)
    sections = {**old.get("sections", {}), **(card.pop("sections", None) or {})}
    entries = _card_metadata(metrics, summary, headline_metrics, recipe, sections)
    kept = {k: v for k, v in old.items() if k not in ("metrics", "summary", "headline_metrics", "recipe", "sections")}
    metadata = {**kept, **entries}
    card["title"] = card.get("title") or os.path.basename(os.path.abspath(preset_dir))
    files.write_text(os.path.join(preset_dir, METADATA_FILE), json.dumps(metadata, indent=2))
    files.write_text(os.path.join(preset_dir, CARD_FILE), card_text(model, metadata, **{**card, "sections": sections}))
    return preset_dir


def _keep_extra_files(old_dir, new_dir):
    """Carry pictures and other extra files of an existing preset folder over to its new version."""
    if not os.path.isdir(old_dir):
        return
    own = {CONFIG_FILE, WEIGHTS_FILE, METADATA_FILE, CARD_FILE}
    for name in os.listdir(old_dir):
        if name in own or name.startswith("."):
            continue
        source, target = os.path.join(old_dir, name), os.path.join(new_dir, name)
        if os.path.isdir(source):
            shutil.copytree(source, target, dirs_exist_ok=True)
        elif not os.path.exists(target):
            shutil.copy2(source, target)


def check_probe(model, preset_dir):
    """Compare `model.preset_probe()` with the probe recorded at save time.

    Args:
        model: the model loaded from `preset_dir`.
        preset_dir: str, the preset folder.

    Returns:
        float, the largest absolute difference.

    Raises:
        PresetError: the difference is past `PROBE_ATOL`, or no probe is recorded.

    Examples:
        >>> folder = kgen.presets.resolve("fashion_mnist_classifier")
        >>> model = kgen.models.Classifier.from_preset(folder)
        >>> kgen.presets.check_probe(model, folder) <= kgen.presets.PROBE_ATOL
        True
    """
    recorded = read_metadata(preset_dir).get("probe")
    if recorded is None:
        raise PresetError(f"preset folder {preset_dir} records no output probe.")
    actual = np.asarray(model.preset_probe(), dtype="float64").ravel()
    difference = float(np.max(np.abs(actual - np.asarray(recorded))))
    if actual.shape != (len(recorded),) or difference > PROBE_ATOL:
        raise PresetError(
            f"the outputs of {preset_dir} differ from those recorded at save time "
            f"(max difference {difference:.3g} > {PROBE_ATOL})."
        )
    return difference
