"""kgen's loss functions; they live in `kgen.ops.losses` (one file per family)."""

from kgen.ops.losses import *  # noqa: F403
from kgen.ops.losses import __all__  # noqa: F401
