"""Exceptions raised by kgen.

Every error kgen raises on bad input is a `KgenError`. The concrete classes also
subclass the matching builtin (`ValueError`, `TypeError`, `FileNotFoundError`,
`ImportError`), so code written against the builtins keeps working.
"""


class KgenError(Exception):
    """Base class of every kgen error."""


class KgenValueError(KgenError, ValueError):
    """An argument has the right type but a wrong value."""


class KgenTypeError(KgenError, TypeError):
    """An argument has the wrong type."""


class DataNotFoundError(KgenError, FileNotFoundError):
    """A dataset was looked for in every known place and not found."""


class DataFormatError(KgenValueError):
    """A data file exists but is corrupt, truncated or of the wrong kind."""


class PresetError(KgenValueError):
    """A preset cannot be resolved, downloaded or loaded."""


class PresetNotFoundError(PresetError):
    """A preset name, directory or Hub repository does not exist."""


class ChecksumError(PresetError):
    """A preset's weights file does not match the sha256 in its metadata."""


class MissingDependencyError(KgenError, ImportError):
    """An optional dependency is needed for this feature and not installed."""


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
