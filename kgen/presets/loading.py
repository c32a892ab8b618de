"""Preset handles: a registered name, a local folder or `hf://owner/name`, resolved and loaded.

A preset handle is one of:
- a registered name such as ``"fashion_mnist_classifier"``: the folder
  ``weights/<name>/`` of a source checkout, or else its Hub repository;
- a local directory;
- ``"hf://owner/name"``: downloaded with `huggingface_hub.snapshot_download` into
  the Hugging Face cache, so ``HF_HUB_OFFLINE=1`` loads it from there.
"""

import os

from kgen.core.errors import KgenError, KgenTypeError, PresetError, PresetNotFoundError
from kgen.presets.card import WEIGHTS_FILE
from kgen.presets.hub import download
from kgen.presets.io import CONFIG_FILE, CONFIG_KEYS, read_metadata, verify_weights
from kgen.presets.jsonfile import read_json
from kgen.presets.registry import HF_PREFIX, PRESET_NAMES, REGISTRY


def resolve(handle):
    """Turn a preset handle into a local folder, downloading it if needed.

    Args:
        handle: str, a registered name, a local folder, or "hf://owner/name".

    Returns:
        str, the folder holding the preset's files.

    Examples:
        >>> import os
        >>> folder = kgen.presets.resolve("vae_fashion_mnist")   # this checkout's weights/, else the Hub
        >>> os.path.basename(folder), os.path.isfile(os.path.join(folder, "config.json"))
        ('vae_fashion_mnist', True)
    """
    if not isinstance(handle, (str, os.PathLike)):
        raise KgenTypeError(
            f"preset must be a registered name, a folder or 'hf://owner/name'; got {handle!r}."
        )
    handle = os.fspath(handle)
    if handle.startswith(HF_PREFIX):
        return download(handle)
    if handle in REGISTRY:
        info = REGISTRY[handle]
        if os.path.isfile(os.path.join(info.local_dir, CONFIG_FILE)):
            return info.local_dir
        return download(info.hf_handle)
    if os.path.isdir(handle):
        return handle
    raise PresetNotFoundError(
        f"preset must be a registered name ({', '.join(PRESET_NAMES)}), an existing folder, "
        f"or 'hf://owner/name'; got {handle!r}. `kgen presets` lists the registered names."
    )


def load(cls, handle, load_weights=True):
    """Build a `cls` (or a subclass) from a preset; the body of `Cls.from_preset`.

    Args:
        cls: a kgen model class; the preset must hold it or a subclass (`keras.Model`: any).
        handle: str, a registered name, a folder or "hf://owner/name".
        load_weights: bool, load the weights (checked against their sha256) or only the config.

    Returns:
        The model.

    Examples:
        >>> vae = kgen.presets.load(kgen.models.VAE, "vae_fashion_mnist")   # = VAE.from_preset(...)
        >>> type(vae).__name__, vae.latent_dim
        ('VAE', 16)
        >>> fresh = kgen.presets.load(kgen.models.VAE, "vae_fashion_mnist", load_weights=False)
    """
    import keras

    preset_dir = resolve(handle)
    config_path = os.path.join(preset_dir, CONFIG_FILE)
    if not os.path.isfile(config_path):
        raise PresetError(f"preset {handle!r}: {preset_dir} has no {CONFIG_FILE}; it is not a kgen preset.")
    config = read_json(config_path, CONFIG_KEYS)
    stored = keras.saving.get_registered_object(config.get("registered_name", ""))
    if stored is None or not issubclass(stored, cls):
        raise PresetError(
            f"preset {handle!r} holds a {config.get('class_name')!r}, not a {cls.__name__}; "
            f"load it with the class it was saved from."
        )
    if load_weights:
        verify_weights(preset_dir, read_metadata(preset_dir))
    try:
        model = keras.saving.deserialize_keras_object(config)
        if load_weights:
            model.load_weights(os.path.join(preset_dir, WEIGHTS_FILE))
    except KgenError:
        raise
    except Exception as error:  # Keras and h5py raise many kinds for a config or weights file that does not fit
        raise PresetError(
            f"preset {handle!r}: {preset_dir} does not hold a loadable {stored.__name__} ({type(error).__name__}: "
            f"{error}); restore its files or re-save the preset."
        ) from error
    return model
