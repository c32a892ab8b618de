"""Score-function and pathwise gradient estimators and their variance study: the math lives in
`kgen.ops.estimators`, the table and the plot in `kgen.viz.estimators`."""

from kgen.ops.estimators import *  # noqa: F403
from kgen.ops.estimators import __all__ as _math
from kgen.viz.estimators import *  # noqa: F403
from kgen.viz.estimators import __all__ as _views

__all__ = [*_math, *_views]
