"""What every kgen model shares: presets (`from_preset`, `save_to_preset`), and compile
defaults that survive `.keras` files."""

import functools

import keras
import tensorflow as tf

from kgen.presets.export import export_model
from kgen.presets.io import save
from kgen.presets.loading import load
from kgen.presets.registry import list_presets


class _PresetsOfClass:
    """Class attribute `Cls.presets`: the registry entries that load as `Cls`."""

    def __get__(self, instance, owner):
        return {info.name: info for info in list_presets(owner.__name__)}


class PresetMixin:
    """Adds `presets`, `from_preset` and `save_to_preset` to a kgen model class.

    Examples:
        >>> sorted(kgen.models.DCGAN.presets)          # the registered presets of one class
        ['cdcgan_fashion_mnist', 'dcgan_fashion_mnist']
        >>> model = kgen.models.Classifier.from_preset("fashion_mnist_classifier")
        >>> model.save_to_preset("my_classifier", metrics={"accuracy": 0.9})
        '.../my_classifier'
        >>> kgen.models.Classifier.from_preset("my_classifier").count_params() == model.count_params()
        True
    """

    presets = _PresetsOfClass()

    @classmethod
    def from_preset(cls, preset, load_weights=True):
        """Build the model from a preset.

        Args:
            preset: str, a registered name (see `Cls.presets`), a local folder,
                or "hf://owner/name".
            load_weights: bool, load the pretrained weights (default True); when
                False the architecture is built with fresh weights.

        Returns:
            The model.

        Raises:
            PresetNotFoundError: unknown name, folder or Hub repository.
            ChecksumError: the weights do not match their recorded sha256.
            PresetError: other problems (offline with no cache, wrong class, ...).
        """
        return load(cls, preset, load_weights=load_weights)

    def save_to_preset(self, preset_dir, **card):
        """Save as a preset folder: config, weights, metadata and a model card.

        Args:
            preset_dir: str, the folder to write (replaced atomically if it exists).
            **card: model card fields, all optional: `title`, `description`,
                `training` (how it was trained), `command` (that reproduces it),
                `metrics` (dict of name to value), `datasets`, `tags`, `images`
                (dict of alt text to a picture's path inside the folder), `sections`
                (dict of heading to markdown, e.g. a comparison with a baseline),
                `summary` (one line for the preset table), `headline_metrics`
                (names in `metrics` for that table) and `recipe` (a dict with the
                recipe's "name" and "hyperparameters", as `kgen.recipes` writes it).
        """
        return save(self, preset_dir, **card)


def _scalar_logs_as_rows(train_step):
    """`train_step` whose scalar logs are shape [1] under a MultiWorkerMirroredStrategy.

    Keras 3's `fit` reduces each log across workers with `strategy.reduce("MEAN", v, axis=0)`,
    which fails on scalars ("Invalid reduction dimension 0 for input with 0 dimensions",
    tensorflow/tensorflow#72388); a one-row log reduces to the scalar mean.
    """

    @functools.wraps(train_step)
    def step(self, *args, **kwargs):
        logs = train_step(self, *args, **kwargs)
        if isinstance(self.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy) and isinstance(logs, dict):
            logs = {name: tf.reshape(value, [1]) if tf.is_tensor(value) and value.shape.rank == 0 else value
                    for name, value in logs.items()}
        return logs

    return step


class KgenModel(PresetMixin, keras.Model):
    """Base of kgen's models: `presets`, `from_preset`, `save_to_preset`, a
    `compile_from_config` that replays the subclass's own `compile` (with its
    defaults), so a compiled model saved to `.keras` loads compiled, and a `train_step`
    (its own or Keras's) that `fit` can run under a MultiWorkerMirroredStrategy.

    Examples:
        >>> model = kgen.models.Classifier(filters=(4,), dense_units=8)
        >>> isinstance(model, kgen.presets.KgenModel), isinstance(model, keras.Model)
        (True, True)
        >>> model.compile()                            # Classifier's own defaults: Adam, cross-entropy
        >>> model.save("classifier.keras")
        >>> type(keras.saving.load_model("classifier.keras").optimizer).__name__   # loads compiled
        'Adam'
    """

    train_step = _scalar_logs_as_rows(keras.Model.train_step)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras reduces the first batch in one `strategy.reduce` call, which a multi-worker
        # strategy cannot do for a tuple such as (images, labels): reduce each part instead.
        if iterator is not None and isinstance(self.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
            for _, _, batches in iterator:
                first = next(batches)
                data_batch = tf.nest.map_structure(
                    lambda part: self.distribute_strategy.reduce("MEAN", part, axis=None), first)
                break
            iterator = None
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "train_step" in vars(cls):
            cls.train_step = _scalar_logs_as_rows(vars(cls)["train_step"])

    def get_compile_config(self):
        config = super().get_compile_config()
        if config and getattr(self, "precision", None) is not None:  # a family's compile(precision=...)
            config["precision"] = self.precision
        return config

    def compile_from_config(self, config):
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built and getattr(self, "optimizer", None) is not None:
            self.optimizer.build(self.trainable_variables)

    def serving_functions(self):
        """What `export` writes: a list of `kgen.presets.ServingFunction` (none for this base class;
        each family declares its own).

        Returns:
            list of ServingFunction.
        """
        return []

    def export(self, path, format="saved_model", overwrite=False):
        """Write the model's serving functions for inference without kgen: a SavedModel, TFLite
        files or ONNX files, computed in float32 whatever the training precision.

        `path` becomes a folder. "saved_model": the folder is a SavedModel with one signature per
        serving function (the first is also `serving_default`); "tflite" and "onnx": one
        `<function>.tflite` / `<function>.onnx` file per function. `kgen_export.json` beside them
        lists each function's inputs, outputs and file, and what could not be exported and why.
        docs/export.md shows how to load each kind.

        Args:
            path: str, the folder to write (new or empty, unless `overwrite`).
            format: str, "saved_model", "tflite" or "onnx" (Keras's names "tf_saved_model" and
                "litert" work too; default "saved_model").
            overwrite: bool, replace a non-empty folder at `path` (default False).

        Returns:
            dict, the manifest written to `path`/kgen_export.json.

        Examples:
            >>> model = kgen.models.Classifier(filters=(4,), dense_units=8)
            >>> manifest = model.export("classifier_export", format="saved_model")
            >>> manifest["functions"]["classify"]["outputs"]["probabilities"]
            {'shape': [None, 10], 'dtype': 'float32'}
            >>> served = tf.saved_model.load("classifier_export").signatures["classify"]
            >>> served(images=tf.zeros((2, 28, 28, 1)))["logits"].shape
            TensorShape([2, 10])
        """
        return export_model(self, path, format=format, overwrite=overwrite)
