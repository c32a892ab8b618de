"""Sampling from uniforms, latent paths and truncation; they live in `kgen.ops.sampling`."""

from kgen.ops.sampling import *  # noqa: F403
from kgen.ops.sampling import __all__  # noqa: F401
