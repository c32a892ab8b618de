"""kgen's exceptions; they live in `kgen.core.errors`."""

from kgen.core.errors import *  # noqa: F403
from kgen.core.errors import __all__  # noqa: F401
