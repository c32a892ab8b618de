"""What every kgen model shares: presets (`from_preset`, `save_to_preset`), and compile
defaults that survive `.keras` files."""

import keras

from kgen.presets.io import save
from kgen.presets.loading import load
from kgen.presets.registry import list_presets


class _PresetsOfClass:
    """Class attribute `Cls.presets`: the registry entries that load as `Cls`."""

    def __get__(self, instance, owner):
        return {info.name: info for info in list_presets(owner.__name__)}


class PresetMixin:
    """Adds `presets`, `from_preset` and `save_to_preset` to a kgen model class."""

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


class KgenModel(PresetMixin, keras.Model):
    """Base of kgen's models: `presets`, `from_preset`, `save_to_preset`, and a
    `compile_from_config` that replays the subclass's own `compile` (with its
    defaults), so a compiled model saved to `.keras` loads compiled."""

    def compile_from_config(self, config):
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built and getattr(self, "optimizer", None) is not None:
            self.optimizer.build(self.trainable_variables)
