"""Presets on the Hugging Face Hub: download an `hf://owner/name` handle, upload a preset folder."""

import os

from kgen.core.errors import PresetError, PresetNotFoundError
from kgen.core.optional import require
from kgen.presets.io import CARD_FILE, CONFIG_FILE, verify_weights
from kgen.presets.registry import HF_PREFIX, PRESET_NAMES
from kgen.version import __version__


def download(handle):
    """Snapshot an `hf://owner/name` repository into the HF cache; return the folder."""
    hub = require("huggingface_hub", f"Loading {handle}", package="huggingface-hub")
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
            f"({', '.join(PRESET_NAMES)}) or a local folder."
        ) from error
    except hub_errors.LocalEntryNotFoundError as error:
        raise PresetError(
            f"preset {handle!r} could not be downloaded from {hub.constants.ENDPOINT} and is not in "
            f"the Hugging Face cache ({hub.constants.HF_HUB_CACHE}). Connect to the network "
            "(and unset HF_HUB_OFFLINE) once to cache it, or load it from a local folder."
        ) from error
    except (hub_errors.HfHubHTTPError, OSError) as error:
        raise PresetError(f"preset {handle!r} could not be downloaded: {error}") from error




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

    Examples:
        >>> model = kgen.models.Classifier(filters=(4,), dense_units=8)
        >>> folder = model.save_to_preset("my_preset")
        >>> kgen.presets.upload_preset("hf://me/my_preset", folder)   # doctest: +SKIP
        'https://huggingface.co/me/my_preset/commit/...'

        The handle is checked before anything is sent:

        >>> kgen.presets.upload_preset("me/my_preset", folder)
        Traceback (most recent call last):
        kgen.core.errors.PresetError: handle must be 'hf://owner/name'; got 'me/my_preset'.
    """
    hub = require("huggingface_hub", "Uploading a preset", package="huggingface-hub")
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
