"""Import optional dependencies where they are used, with an install hint when missing."""

import importlib

from kgen.errors import MissingDependencyError


def require(module, extra, feature):
    """Import and return `module`, or raise naming the pip extra that provides it.

    Args:
        module: str, the module to import, e.g. "gymnasium".
        extra: str, the kgen extra that installs it, e.g. "rl".
        feature: str, what the caller was doing, for the message.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingDependencyError(
            f"{feature} needs the '{module}' package, which is not installed. "
            f"Install it with: pip install 'kgen[{extra}]'"
        ) from error
