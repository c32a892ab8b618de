"""kgen: generative models and reinforcement-learning agents for Keras 3.

Importing kgen registers its model classes with Keras serialization, so
`keras.saving.load_model` reads kgen presets and `.keras` files without
`custom_objects`. Optional dependencies (gymnasium, matplotlib) are imported
only where they are used.

The package is layered, imports running only downward: `core` -> `ops` ->
`presets` -> `models` / `rl` / `datasets` -> `eval` -> `viz` -> `callbacks` ->
`recipes` -> `cli`. `losses`, `metrics`, `sampling`, `estimators`, `plot`,
`clustering`, `layers`, `optimizers` and `errors` are the public names of modules that live
in those layers.
"""

from kgen.core import cpu_kernels, quiet_start

cpu_kernels.prefer_onednn()
if quiet_start.running_as_command() and not quiet_start.verbose():
    quiet_start.start_tensorflow_quietly()

from kgen import (  # noqa: E402
    callbacks,
    clustering,
    datasets,
    errors,
    estimators,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    plot,
    presets,
    recipes,
    rl,
    sampling,
)
from kgen.version import __version__  # noqa: E402

__all__ = [
    "__version__",
    "callbacks",
    "clustering",
    "datasets",
    "errors",
    "estimators",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "plot",
    "presets",
    "recipes",
    "rl",
    "sampling",
]
