"""kgen's optimizers; they live in `kgen.core` (`kgen.core.adam`)."""

from kgen.core.adam import Adam

__all__ = ["Adam"]
