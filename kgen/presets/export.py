"""`model.export(path, format)`: a kgen model's serving functions, computed in float32, written
by `kgen.core.exporter` as a SavedModel, TFLite files or ONNX files.

Each kgen model class declares what it serves in `serving_functions()` (a GAN its generator, a
VAE its encoder and decoder, an agent its policy, ...). A model whose layers compute in another
dtype (a Keras "mixed_bfloat16" or "bfloat16" policy) is exported through a float32 twin: the
same config with every floating dtype policy set to "float32", holding the same weights.
"""

import keras

from kgen.core import exporter
from kgen.core.validation import fail
from kgen.version import __version__

LOW_PRECISION = ("bfloat16", "float16", "mixed_bfloat16", "mixed_float16", "float64")
"""Dtype policies an export replaces by "float32"."""


def computes_in_float32(model):
    """Whether every layer of `model` computes in float32 and keeps float32 (or integer) variables.

    Args:
        model: a keras.Model.

    Returns:
        bool.
    """
    layers = [model, *model._flatten_layers(include_self=False)]
    if any(getattr(layer, "compute_dtype", "float32") != "float32" for layer in layers):
        return False
    return all(not variable.dtype.startswith(("float", "bfloat")) or variable.dtype == "float32"
               for variable in model.variables)


def _float32_config(config):
    """`config` with every floating dtype policy (a name or a DTypePolicy config) set to "float32"."""
    if isinstance(config, list):
        return [_float32_config(item) for item in config]
    if not isinstance(config, dict):
        return config
    if config.get("class_name") in ("DTypePolicy", "FloatDTypePolicy") and isinstance(config.get("config"), dict):
        if config["config"].get("name") in LOW_PRECISION:
            return {**config, "config": {**config["config"], "name": "float32"}}
        return config
    return {key: "float32" if key == "dtype" and value in LOW_PRECISION else _float32_config(value)
            for key, value in config.items()}


def float32_twin(model):
    """`model` itself if it computes in float32, else a copy built from its config with every
    floating dtype policy set to "float32" and its weights (cast to float32).

    Args:
        model: a kgen model (any `keras.Model` whose config round-trips).

    Returns:
        A keras.Model computing in float32.
    """
    if computes_in_float32(model):
        return model
    twin = keras.layers.deserialize(_float32_config(keras.layers.serialize(model)))
    twin.set_weights([weight.astype("float32") if weight.dtype.kind == "f" or weight.dtype.name == "bfloat16"
                      else weight for weight in model.get_weights()])
    return twin


def export_model(model, path, format="saved_model", overwrite=False):
    """The body of `KgenModel.export`: validate, take the float32 twin, write its serving functions.

    Args:
        model: a kgen model with `serving_functions()`.
        path: str, the folder to write.
        format: str, "saved_model", "tflite" or "onnx".
        overwrite: bool, replace a non-empty folder at `path`.

    Returns:
        dict, the export's manifest (see `kgen.core.exporter.export_functions`).
    """
    format = exporter.check_format(format)
    exporter.check_output_path(path, overwrite)
    twin = float32_twin(model)
    functions = list(twin.serving_functions()) if hasattr(twin, "serving_functions") else []
    if not functions:
        fail("model", f"a {type(model).__name__}",
             "a model with something to export (a GAN, VAE, Classifier, PixelCNN or RL agent); "
             f"{type(model).__name__} declares no serving functions")
    about = {"class": type(model).__name__, "computed_in": "float32", "trained_dtype_policy": model.dtype_policy.name}
    if getattr(model, "precision", None) is not None:
        about["trained_precision"] = model.precision
    return exporter.export_functions(functions, path, format, overwrite=overwrite,
                                     info={"kgen_version": __version__, "model": about})
