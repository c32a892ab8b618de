"""kgen: generative models and reinforcement-learning agents for Keras 3.

Importing kgen registers its model classes with Keras serialization, so
`keras.saving.load_model` reads kgen presets and `.keras` files without
`custom_objects`. Optional dependencies (gymnasium, huggingface_hub,
matplotlib) are imported only where they are used.
"""

from kgen import (
    callbacks,
    clustering,
    datasets,
    errors,
    estimators,
    evaluation,
    layers,
    losses,
    metrics,
    models,
    plot,
    presets,
    rl,
    sampling,
    training,
)
from kgen.version import __version__

__all__ = [
    "__version__",
    "callbacks",
    "clustering",
    "datasets",
    "errors",
    "estimators",
    "evaluation",
    "layers",
    "losses",
    "metrics",
    "models",
    "plot",
    "presets",
    "rl",
    "sampling",
    "training",
]
