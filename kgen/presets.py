"""Pretrained presets: the registry, loading and saving, and `hf://` handles.

A preset is a folder holding ``config.json`` (the model's Keras serialization),
``model.weights.h5``, ``metadata.json`` (versions, parameter count, date, the
weights' sha256, the metrics it scores and a probe of its outputs) and a
``README.md`` model card. Keras reads the same folder, so
``keras.saving.load_model("hf://owner/name")`` loads a kgen preset once kgen is
imported.

A preset handle is one of:
- a registered name such as ``"fashion_mnist_classifier"``: the folder
  ``weights/<name>/`` of a source checkout, or else its Hub repository;
- a local directory;
- ``"hf://owner/name"``: downloaded with `huggingface_hub.snapshot_download` into
  the Hugging Face cache, so ``HF_HUB_OFFLINE=1`` loads it from there.
"""

import dataclasses
import datetime
import hashlib
import json
import os
import shutil

import numpy as np

from kgen import files
from kgen.errors import ChecksumError, KgenTypeError, PresetError, PresetNotFoundError
from kgen.optional import require
from kgen.version import __version__

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"
CARD_FILE = "README.md"
WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "weights")
HF_PREFIX = "hf://"
HF_OWNER = "kgen"
"""The Hugging Face account the registered presets are published under."""
PROBE_ATOL = 1e-4


@dataclasses.dataclass(frozen=True)
class PresetInfo:
    """A registry entry: what a preset is and what it scores.

    Attributes:
        name: str, the registered name.
        class_name: str, the kgen class it loads as, e.g. "Classifier".
        description: str, one line for the preset table.
        params: int, the parameter count.
        metrics: dict of str to float, headline metrics: a subset of its model card's.
    """

    name: str
    class_name: str
    description: str
    params: int
    metrics: dict

    @property
    def hf_handle(self):
        """The Hugging Face repository it is published as, "hf://kgen/<name>"."""
        return f"{HF_PREFIX}{HF_OWNER}/{self.name}"

    @property
    def local_dir(self):
        """The folder in this checkout's `weights/`, whether or not it exists."""
        return os.path.join(WEIGHTS_DIR, self.name)


REGISTRY = {
    info.name: info
    for info in (
        PresetInfo(
            name="fashion_mnist_classifier",
            class_name="Classifier",
            description="Small convnet for Fashion-MNIST; features() feed the Frechet distance",
            params=468778,
            metrics={"test_accuracy": 0.9397, "test_loss": 0.179},
        ),
        PresetInfo(
            name="vae_fashion_mnist",
            class_name="VAE",
            description="Conv VAE, 16-d latent, Bernoulli likelihood on dynamically binarized Fashion-MNIST",
            params=838053,
            metrics={"test_nll_iwae_k1000": 231.16, "test_elbo": -233.51, "fd_test": 14.3},
        ),
        PresetInfo(
            name="dcgan_fashion_mnist",
            class_name="DCGAN",
            description="DCGAN self-conditioned on 50 k-means clusters, non-saturating loss, EMA 0.999, 64-d latent",
            params=1925699,
            metrics={"fd_test": 1.98, "classifier_score": 8.109},
        ),
        PresetInfo(
            name="cdcgan_fashion_mnist",
            class_name="DCGAN",
            description="Class-conditional DCGAN (label embedding in G, projection D), EMA 0.999",
            params=1672259,
            metrics={"fd_test": 1.36, "classifier_score": 8.926, "class_accuracy_mean": 0.9509},
        ),
        PresetInfo(
            name="dqn_cartpole",
            class_name="DQNAgent",
            description="Double DQN for gymnasium CartPole-v1, 256x256 MLP, trained 50,000 env steps",
            params=135172,
            metrics={"eval_mean_return": 500.0, "eval_std_return": 0.0},
        ),
        PresetInfo(
            name="reinforce_cartpole",
            class_name="ReinforceAgent",
            description="REINFORCE with a learned value baseline for CartPole-v1, 64x64 MLPs, 200,000 env steps",
            params=9155,
            metrics={"eval_mean_return": 500.0, "eval_std_return": 0.0},
        ),
        PresetInfo(
            name="dqn_acrobot",
            class_name="DQNAgent",
            description="Double DQN for gymnasium Acrobot-v1, 256x256 MLP, trained 100,000 env steps",
            params=136710,
            metrics={"eval_mean_return": -76.97, "eval_std_return": 9.38},
        ),
    )
}


def list_presets(class_name=None):
    """The registry entries, all or those of one class, sorted by name."""
    return [
        REGISTRY[name]
        for name in sorted(REGISTRY)
        if class_name is None or REGISTRY[name].class_name == class_name
    ]


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(handle):
    """Snapshot an `hf://owner/name` repository into the HF cache; return the folder."""
    hub = require("huggingface_hub", "dev", f"Loading {handle}")
    from huggingface_hub import errors as hub_errors

    repo_id = handle[len(HF_PREFIX):].strip("/")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise PresetNotFoundError(
            f"preset must be 'hf://owner/name' for a Hub repository; got {handle!r}."
        )
    try:
        return hub.snapshot_download(repo_id=repo_id, library_name="kgen", library_version=__version__)
    except hub_errors.RepositoryNotFoundError as error:
        raise PresetNotFoundError(
            f"preset {handle!r}: no such repository on {hub.constants.ENDPOINT} (or it is private; "
            "log in with `hf auth login`). Check the owner/name, or pass a registered name "
            f"({', '.join(sorted(REGISTRY))}) or a local folder."
        ) from error
    except hub_errors.LocalEntryNotFoundError as error:
        raise PresetError(
            f"preset {handle!r} could not be downloaded from {hub.constants.ENDPOINT} and is not in "
            f"the Hugging Face cache ({hub.constants.HF_HUB_CACHE}). Connect to the network "
            "(and unset HF_HUB_OFFLINE) once to cache it, or load it from a local folder."
        ) from error
    except (hub_errors.HfHubHTTPError, OSError) as error:
        raise PresetError(f"preset {handle!r} could not be downloaded: {error}") from error


def resolve(handle):
    """Turn a preset handle into a local folder, downloading it if needed.

    Args:
        handle: str, a registered name, a local folder, or "hf://owner/name".

    Returns:
        str, the folder holding the preset's files.
    """
    if not isinstance(handle, (str, os.PathLike)):
        raise KgenTypeError(
            f"preset must be a registered name, a folder or 'hf://owner/name'; got {handle!r}."
        )
    handle = os.fspath(handle)
    if handle.startswith(HF_PREFIX):
        return _download(handle)
    if handle in REGISTRY:
        info = REGISTRY[handle]
        if os.path.isfile(os.path.join(info.local_dir, CONFIG_FILE)):
            return info.local_dir
        return _download(info.hf_handle)
    if os.path.isdir(handle):
        return handle
    raise PresetNotFoundError(
        f"preset must be a registered name ({', '.join(sorted(REGISTRY))}), an existing folder, "
        f"or 'hf://owner/name'; got {handle!r}. `kgen presets` lists the registered names."
    )


def read_metadata(preset_dir):
    """The parsed `metadata.json` of a preset folder."""
    path = os.path.join(preset_dir, METADATA_FILE)
    if not os.path.isfile(path):
        raise PresetError(f"preset folder {preset_dir} has no {METADATA_FILE}; re-save it with save_to_preset.")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def verify_weights(preset_dir, metadata=None):
    """Check the weights file against the sha256 recorded in the metadata.

    Raises:
        PresetError: the weights file is missing.
        ChecksumError: its sha256 differs from the recorded one.
    """
    metadata = read_metadata(preset_dir) if metadata is None else metadata
    path = os.path.join(preset_dir, WEIGHTS_FILE)
    if not os.path.isfile(path):
        raise PresetError(
            f"preset folder {preset_dir} has no {WEIGHTS_FILE}: download it again (delete its folder "
            "in the Hugging Face cache), restore it from version control, or re-save it with save_to_preset."
        )
    actual = _sha256(path)
    if actual != metadata.get("weights_sha256"):
        raise ChecksumError(
            f"{path} has sha256 {actual}, but {METADATA_FILE} records "
            f"{metadata.get('weights_sha256')}: the file is damaged or was changed. Download it "
            "again (delete its folder in the Hugging Face cache) or restore it from version control."
        )
    return actual


def load(cls, handle, load_weights=True):
    """Build a `cls` (or a subclass) from a preset; the body of `Cls.from_preset`."""
    import keras

    preset_dir = resolve(handle)
    config_path = os.path.join(preset_dir, CONFIG_FILE)
    if not os.path.isfile(config_path):
        raise PresetError(f"preset {handle!r}: {preset_dir} has no {CONFIG_FILE}; it is not a kgen preset.")
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    stored = keras.saving.get_registered_object(config.get("registered_name", ""))
    if stored is None or not issubclass(stored, cls):
        raise PresetError(
            f"preset {handle!r} holds a {config.get('class_name')!r}, not a {cls.__name__}; "
            f"load it with the class it was saved from."
        )
    metadata = read_metadata(preset_dir) if load_weights else None
    if load_weights:
        verify_weights(preset_dir, metadata)
    model = keras.saving.deserialize_keras_object(config)
    if load_weights:
        model.load_weights(os.path.join(preset_dir, WEIGHTS_FILE))
    return model


def _card_text(model, metadata, title, description, training, command, datasets, tags, images, sections):
    metrics = metadata.get("metrics", {})
    front = ["---", "library_name: keras", "tags:"]
    front += [f"- {tag}" for tag in ["kgen", "keras", *tags]]
    if datasets:
        front += ["datasets:"] + [f"- {name}" for name in datasets]
    if metrics:
        front += ["metrics:"] + [f"- {name}" for name in metrics]
    front.append("---")
    body = [
        f"# {title}",
        "",
        description or f"A kgen `{type(model).__name__}` preset.",
        "",
        "## Use",
        "",
        "```python",
        "import kgen",
        # kgen.models.<family> -> kgen.models, kgen.rl.<agent> -> kgen.rl: the public package of the class
        f'model = {type(model).__module__.rsplit(".", 1)[0]}.{type(model).__name__}.from_preset("{title}")',
        "```",
        "",
        "## Training",
        "",
        training or "Not stated.",
    ]
    if command:
        body += ["", "Reproduce with:", "", "```bash", command, "```"]
    if metrics:
        body += ["", "## Scores", "", "| metric | value |", "| --- | --- |"]
        body += [f"| {name} | {value} |" for name, value in metrics.items()]
    for heading, text in (sections or {}).items():
        body += ["", f"## {heading}", "", text]
    if images:
        body += ["", "## Pictures", ""] + [f"![{alt}]({path})" for alt, path in images.items()]
    body += [
        "",
        "## Files",
        "",
        f"`{WEIGHTS_FILE}` sha256 `{metadata['weights_sha256']}`; "
        f"{metadata['parameter_count']:,} parameters; kgen {metadata['kgen_version']}, "
        f"Keras {metadata['keras_version']}.",
        "",
    ]
    return "\n".join(front + [""] + body)


def save(
    model,
    preset_dir,
    title=None,
    description=None,
    training=None,
    command=None,
    metrics=None,
    datasets=(),
    tags=(),
    images=None,
    sections=None,
):
    """Write `model` as a preset folder, atomically; the body of `save_to_preset`."""
    import keras

    if not model.built:
        raise PresetError(f"{type(model).__name__} must be built (called once) before saving a preset.")
    preset_dir = os.path.abspath(os.fspath(preset_dir))
    title = title or os.path.basename(preset_dir)
    pictures = dict(images or {})
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
            "weights_sha256": _sha256(os.path.join(tmp, WEIGHTS_FILE)),
            "metrics": dict(metrics or {}),
        }
        probe = getattr(inference_model, "preset_probe", None)
        if probe is not None:
            metadata["probe"] = np.asarray(probe(), dtype="float64").round(6).ravel().tolist()
        with open(os.path.join(tmp, METADATA_FILE), "w", encoding="utf-8") as f:
            json.dump(metadata, f, indent=2)
        for alt, relative in pictures.items():
            if not os.path.isfile(os.path.join(preset_dir, relative)):
                raise PresetError(f"images[{alt!r}] names {relative}, which is not in the preset folder.")
        card = _card_text(
            model, metadata, title, description, training, command, datasets, tags, pictures, sections
        )
        with open(os.path.join(tmp, CARD_FILE), "w", encoding="utf-8") as f:
            f.write(card)
        _keep_extra_files(preset_dir, tmp)
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

    Returns the largest absolute difference; raises `PresetError` past `PROBE_ATOL`.
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


def upload_preset(handle, preset_dir, token=None, private=False, commit_message=None):
    """Push a preset folder to a Hugging Face Hub repository, creating it if needed.

    The folder is checked first (files present, weights matching their sha256).

    Args:
        handle: str, "hf://owner/name".
        preset_dir: str, a folder written by `save_to_preset`.
        token: str or None, a Hub token (default: the logged-in one).
        private: bool, create the repository as private (default False).
        commit_message: str or None.

    Returns:
        str, the URL of the commit.

    Example:
        >>> model.save_to_preset("my_preset")
        >>> kgen.presets.upload_preset("hf://me/my_preset", "my_preset")
    """
    hub = require("huggingface_hub", "dev", "Uploading a preset")
    if not isinstance(handle, str) or not handle.startswith(HF_PREFIX) or handle[len(HF_PREFIX):].count("/") != 1:
        raise PresetError(f"handle must be 'hf://owner/name'; got {handle!r}.")
    preset_dir = os.fspath(preset_dir)
    for name in (CONFIG_FILE, CARD_FILE):
        if not os.path.isfile(os.path.join(preset_dir, name)):
            raise PresetError(f"preset_dir {preset_dir} has no {name}; write it with save_to_preset.")
    verify_weights(preset_dir)
    repo_id = handle[len(HF_PREFIX):]
    api = hub.HfApi(token=token, library_name="kgen", library_version=__version__)
    api.create_repo(repo_id, private=private, exist_ok=True)
    info = api.upload_folder(
        repo_id=repo_id,
        folder_path=preset_dir,
        commit_message=commit_message or f"Upload kgen preset {os.path.basename(os.path.abspath(preset_dir))}",
    )
    return getattr(info, "commit_url", str(info))


class _PresetsOfClass:
    """Class attribute `Cls.presets`: the registry entries that load as `Cls`."""

    def __get__(self, instance, owner):
        return {info.name: info for info in list_presets(owner.__name__)}


class PresetMixin:
    """Adds `presets`, `from_preset` and `save_to_preset` to a kgen model class."""

    presets = _PresetsOfClass()

    @classmethod
    def from_preset(cls, preset, load_weights=True):
        """Build the model from a preset.

        Args:
            preset: str, a registered name (see `Cls.presets`), a local folder,
                or "hf://owner/name".
            load_weights: bool, load the pretrained weights (default True); when
                False the architecture is built with fresh weights.

        Returns:
            The model.

        Raises:
            PresetNotFoundError: unknown name, folder or Hub repository.
            ChecksumError: the weights do not match their recorded sha256.
            PresetError: other problems (offline with no cache, wrong class, ...).
        """
        return load(cls, preset, load_weights=load_weights)

    def save_to_preset(self, preset_dir, **card):
        """Save as a preset folder: config, weights, metadata and a model card.

        Args:
            preset_dir: str, the folder to write (replaced atomically if it exists).
            **card: model card fields, all optional: `title`, `description`,
                `training` (how it was trained), `command` (that reproduces it),
                `metrics` (dict of name to value), `datasets`, `tags`, `images`
                (dict of alt text to a picture's path inside the folder), `sections`
                (dict of heading to markdown, e.g. a comparison with a baseline).
        """
        return save(self, preset_dir, **card)
