"""Exceptions raised by kgen.

Every error kgen raises on bad input is a `KgenError`. The concrete classes also
subclass the matching builtin (`ValueError`, `TypeError`, `FileNotFoundError`,
`ImportError`), so code written against the builtins keeps working.
"""


class KgenError(Exception):
    """Base class of every kgen error.

    Examples:
        >>> try:
        ...     kgen.sampling.classes_in_turn(0, 3)
        ... except kgen.errors.KgenError as error:
        ...     print(error)                   # names the argument, what was given and expected
        n must be an integer >= 1; got 0.
    """


class KgenValueError(KgenError, ValueError):
    """An argument has the right type but a wrong value.

    Examples:
        >>> try:
        ...     kgen.sampling.lerp(np.zeros(2), np.ones(2), steps=1)
        ... except ValueError as error:        # a KgenValueError is a ValueError too
        ...     print(type(error).__name__, error)
        KgenValueError steps must be an integer >= 2; got 1.
    """


class KgenTypeError(KgenError, TypeError):
    """An argument has the wrong type.

    Examples:
        >>> try:
        ...     kgen.metrics.embed(np.zeros((2, 28, 28, 1)), features="pixels")
        ... except TypeError as error:         # a KgenTypeError is a TypeError too
        ...     print(type(error).__name__, error)
        KgenTypeError features must be a feature model: ... got 'pixels'.
    """


class DataNotFoundError(KgenError, FileNotFoundError):
    """A dataset was looked for in every known place and not found.

    Examples:
        >>> try:
        ...     kgen.datasets.load_images("no_such_folder")
        ... except FileNotFoundError as error:  # a DataNotFoundError is a FileNotFoundError too
        ...     print(type(error).__name__, error)
        DataNotFoundError path 'no_such_folder' does not exist: give a folder of images or an .npz/.npy file.
    """


class DataFormatError(KgenValueError):
    """A data file exists but is corrupt, truncated or of the wrong kind.

    Examples:
        >>> with open("labels.idx", "wb") as f:
        ...     _ = f.write(b"not an IDX file")
        >>> try:
        ...     kgen.datasets.read_idx("labels.idx")
        ... except kgen.errors.DataFormatError as error:
        ...     print(error)
        labels.idx is not an IDX file: its magic number is 6e6f7420, expected 0000 followed by ...
    """


class PresetError(KgenValueError):
    """A preset cannot be resolved, downloaded or loaded.

    Examples:
        >>> try:
        ...     kgen.presets.read_metadata(".")       # a folder that is not a preset
        ... except kgen.errors.PresetError as error:
        ...     print(error)
        preset folder . has no metadata.json; re-save it with save_to_preset.
    """


class PresetNotFoundError(PresetError):
    """A preset name, directory or Hub repository does not exist.

    Examples:
        >>> try:
        ...     kgen.models.VAE.from_preset("vae_mnist")
        ... except kgen.errors.PresetNotFoundError as error:
        ...     print(error)
        preset must be a registered name (...), an existing folder, or 'hf://owner/name'; got 'vae_mnist'. ...
    """


class ChecksumError(PresetError):
    """A preset's weights file does not match the sha256 in its metadata.

    Examples:
        >>> import shutil
        >>> folder = shutil.copytree(kgen.presets.resolve("dqn_cartpole"), "dqn")
        >>> with open("dqn/model.weights.h5", "ab") as f:
        ...     _ = f.write(b"damage")
        >>> try:
        ...     kgen.rl.DQNAgent.from_preset("dqn")
        ... except kgen.errors.ChecksumError as error:
        ...     print(error)
        dqn/model.weights.h5 has sha256 ..., but metadata.json records ...: the file is damaged or was changed. ...
    """


class MissingDependencyError(KgenError, ImportError):
    """An optional dependency is needed for this feature and not installed.

    Examples:
        >>> from kgen.core.optional import require
        >>> try:
        ...     require("no_such_package", "Plotting", extra="plot")   # what kgen does before an optional import
        ... except ImportError as error:         # a MissingDependencyError is an ImportError too
        ...     print(error)
        Plotting needs the 'no_such_package' package, which is not installed. Install it with: pip install 'kgen[plot]'
    """


__all__ = [
    "ChecksumError",
    "DataFormatError",
    "DataNotFoundError",
    "KgenError",
    "KgenTypeError",
    "KgenValueError",
    "MissingDependencyError",
    "PresetError",
    "PresetNotFoundError",
]
