"""Import optional dependencies where they are used, with an install hint when missing."""

import importlib

from kgen.core.errors import MissingDependencyError


def require(module, feature, extra=None, package=None):
    """Import and return `module`, or raise saying how to install what provides it.

    Args:
        module: str, the module to import, e.g. "gymnasium".
        feature: str, what the caller was doing, for the message.
        extra: str or None, the kgen extra that installs it, e.g. "rl"; None for
            a package kgen itself depends on (the hint then names the package).
        package: str or None, the pip name when it differs from `module`
            (e.g. "huggingface-hub" for "huggingface_hub").
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        command = f"pip install 'kgen[{extra}]'" if extra else f"pip install '{package or module}'"
        raise MissingDependencyError(
            f"{feature} needs the '{module}' package, which is not installed. Install it with: {command}"
        ) from error
