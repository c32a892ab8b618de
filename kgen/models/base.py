"""What every kgen model shares: presets, and compile defaults that survive `.keras` files."""

import keras

from kgen.presets import PresetMixin


class KgenModel(PresetMixin, keras.Model):
    """Base of kgen's models: `presets`, `from_preset`, `save_to_preset`, and a
    `compile_from_config` that replays the subclass's own `compile` (with its
    defaults), so a compiled model saved to `.keras` loads compiled."""

    def compile_from_config(self, config):
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built and getattr(self, "optimizer", None) is not None:
            self.optimizer.build(self.trainable_variables)
