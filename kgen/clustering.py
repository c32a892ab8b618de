"""k-means for self-conditioned GANs; it lives in `kgen.ops.clustering`."""

from kgen.ops.clustering import *  # noqa: F403
from kgen.ops.clustering import __all__  # noqa: F401
