"""The presets kgen ships: their names, and what each one's `metadata.json` says it is and scores.

A preset's facts live in its folder (`weights/<name>/metadata.json`, written by
its recipe); the registry only names the presets and reads those files.
"""

import dataclasses
import functools
import os

from kgen.presets.jsonfile import read_json

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "weights")
HF_PREFIX = "hf://"
HF_OWNER = "kgen"
"""The Hugging Face account the registered presets are published under."""
METADATA_FILE = "metadata.json"
PRESET_NAMES = (
    "cdcgan_fashion_mnist",
    "dcgan_fashion_mnist",
    "dqn_acrobot",
    "dqn_cartpole",
    "fashion_mnist_classifier",
    "mbrl_cartpole",
    "mbrl_pendulum",
    "pixelcnn_fashion_mnist",
    "reinforce_cartpole",
    "vae_fashion_mnist",
)


@dataclasses.dataclass(frozen=True)
class PresetInfo:
    """A registry entry. Everything but the name is read from the preset's `metadata.json`
    in this checkout's `weights/` (empty when the folder is absent, e.g. in an installed wheel).

    Attributes:
        name: str, the registered name.

    Examples:
        >>> info = kgen.presets.REGISTRY["vae_fashion_mnist"]
        >>> info.class_name, info.hf_handle
        ('VAE', 'hf://kgen/vae_fashion_mnist')
        >>> info.params > 0 and isinstance(info.metrics, dict)
        True
    """

    name: str

    @property
    def local_dir(self):
        """The folder in this checkout's `weights/`, whether or not it exists."""
        return os.path.join(WEIGHTS_DIR, self.name)

    @property
    def hf_handle(self):
        """The Hugging Face repository it is published as, "hf://kgen/<name>"."""
        return f"{HF_PREFIX}{HF_OWNER}/{self.name}"

    @property
    def metadata(self):
        """The parsed `metadata.json` of the local folder, or {} when there is none."""
        return _local_metadata(self.local_dir)

    @property
    def class_name(self):
        """str or None, the kgen class it loads as, e.g. "Classifier"."""
        return self.metadata.get("class_name")

    @property
    def description(self):
        """str, one line for the preset table."""
        return self.metadata.get("summary", "")

    @property
    def params(self):
        """int or None, the parameter count."""
        return self.metadata.get("parameter_count")

    @property
    def metrics(self):
        """dict of str to float: the headline metrics (a subset of its model card's)."""
        metrics = self.metadata.get("metrics", {})
        return {name: metrics[name] for name in self.metadata.get("headline_metrics", metrics)}


@functools.cache
def _read_json(path, mtime):
    return read_json(path)


def _local_metadata(folder):
    path = os.path.join(folder, METADATA_FILE)
    if not os.path.isfile(path):
        return {}
    return _read_json(path, os.path.getmtime(path))


REGISTRY = {name: PresetInfo(name) for name in PRESET_NAMES}


def list_presets(class_name=None):
    """The registry entries, all or those of one class, sorted by name.

    Args:
        class_name: optional str, e.g. "VAE" (default: every class).

    Returns:
        list of `PresetInfo`.

    Examples:
        >>> kgen.presets.list_presets("VAE")[0].name
        'vae_fashion_mnist'
        >>> [info.name for info in kgen.presets.list_presets("DQNAgent")]
        ['dqn_acrobot', 'dqn_cartpole']
    """
    return [
        REGISTRY[name]
        for name in sorted(REGISTRY)
        if class_name is None or REGISTRY[name].class_name == class_name
    ]
