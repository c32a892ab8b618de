"""What the image recipes share: Fashion-MNIST or your own images (`ImageSource`), the
architecture sized from the data, fine-tuning from a preset, and the card's Data section."""

import dataclasses

import keras

from kgen import presets
from kgen.core.precision import check_precision
from kgen.core.validation import fail
from kgen.recipes.base import Recipe, hyperparameter
from kgen.recipes.data import ImageData

FINE_TUNING_SCALE = 0.1
"""How much lower the learning rate is when training starts from a preset's weights (`from_preset`)."""


@dataclasses.dataclass(frozen=True)
class ImageRecipe(Recipe):
    """A recipe whose model learns from images: Fashion-MNIST by default, or your own images
    (`train(..., source=ImageSource(path))`, `kgen train FAMILY --data PATH`), with the
    network built for the data's height, width and channels.

    `from_preset` starts from a preset's weights instead of a fresh network: the
    architecture is the preset's (the data must have its image shape), and every
    learning rate is `FINE_TUNING_SCALE` times the recipe's.

    Examples:
        >>> [recipe.__name__ for recipe in kgen.recipes.ImageRecipe.__subclasses__()]
        ['FashionMNISTClassifier', 'DCGANFashionMNIST', 'PixelCNNFashionMNIST', 'VAEFashionMNIST']
        >>> recipe = kgen.recipes.VAEFashionMNIST(from_preset="vae_fashion_mnist", epochs=2)   # fine-tune
        >>> recipe.command("my_vae", data="my_shoes/")
        'kgen train vae --from-preset vae_fashion_mnist --epochs 2 --data my_shoes/ --out my_vae'
    """

    from_preset: str = hyperparameter(
        None, "start from this preset's weights (its architecture; the data must have its image shape), "
        "at a tenth of the learning rate")
    precision: str = hyperparameter("float32", "what the network computes in: float32, or bfloat16 (float32 "
                                    "weights, optimizer state, losses and output layers)")

    def __post_init__(self):
        super().__post_init__()
        check_precision(self.precision)

    def load_data(self, data_dir=None, train_subset=None, source=None):
        if source is None:
            return ImageData.fashion_mnist(data_dir, train_subset)
        return ImageData.from_source(source, train_subset, seed=self.seed)

    def new_model(self, data):
        """The untrained network for `data` (what `build` returns without `from_preset`)."""
        raise NotImplementedError

    def build(self, data):
        if self.from_preset is None:
            return self.new_model(data)
        model = presets.load(keras.Model, self.from_preset)
        if not self.accepts(model):
            fail("from_preset", self.from_preset, f"a {self.model_class} preset the {self.name} recipe trains; "
                 f"it holds a {type(model).__name__}")
        shape = tuple(data.x_train.shape[1:])
        if tuple(model.image_shape) != shape:
            fail("from_preset", self.from_preset, f"a preset for images of the data's shape {shape}; it takes "
                 f"{tuple(model.image_shape)} (resize with --image-size / --channels, or train without it)")
        return model

    @property
    def learning_rate_scale(self):
        """What the recipe's learning rates are multiplied by: `FINE_TUNING_SCALE` with `from_preset`, else 1."""
        return FINE_TUNING_SCALE if self.from_preset else 1.0

    def card(self, model, scores, command=None, history=None, data=None):
        fields = super().card(model, scores, command, history, data)
        if data is not None:
            fields["datasets"] = data.dataset_names
            fields["sections"] = {**fields.get("sections", {}), **data.card_section()}
        if self.from_preset:
            fields["training"] += (f" Fine-tuned from the `{self.from_preset}` preset's weights, every learning rate "
                                   f"scaled by {FINE_TUNING_SCALE:g}.")
        return fields

    def fingerprint(self, train_subset=None, data=None):
        fingerprint = super().fingerprint(train_subset, data)
        if data is not None and data.source is not None:
            fingerprint["data_sha256"] = data.source["sha256"]
        return fingerprint
