"""Small Keras layers of kgen's networks; they live in `kgen.models.layers`."""

from kgen.models.layers import DepthToSpace, SpaceToDepth

__all__ = ["DepthToSpace", "SpaceToDepth"]
