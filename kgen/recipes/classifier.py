"""The `fashion_mnist_classifier` recipe: a small convnet, Adam with a cosine-decayed learning rate."""

import dataclasses

import keras

from kgen.core.adam import Adam
from kgen.core.validation import check_int, check_number, fail
from kgen.eval import scores
from kgen.recipes.base import describe_optimizer, hyperparameter
from kgen.recipes.data import FASHION_MNIST
from kgen.recipes.image_recipe import ImageRecipe
from kgen.recipes.training import fit_epochs, steps_per_epoch


@dataclasses.dataclass(frozen=True)
class FashionMNISTClassifier(ImageRecipe):
    """`kgen.models.Classifier` on the 60,000 Fashion-MNIST training images, scored on the 10,000 test images
    (or on your own labelled images: one subfolder per class).

    Examples:
        >>> recipe = kgen.recipes.FashionMNISTClassifier(epochs=3)
        >>> recipe.preset, recipe.epochs, recipe.learning_rate
        ('fashion_mnist_classifier', 3, 0.001)
        >>> recipe.command("my_classifier", data="my_photos/")      # on your own labelled images
        'kgen train classifier --epochs 3 --data my_photos/ --out my_classifier'
    """

    preset = "fashion_mnist_classifier"
    model_class = "Classifier"
    family = "classifier"
    summary = "Small convnet for Fashion-MNIST; features() feed the Frechet distance"
    headline_metrics = ("test_accuracy", "test_loss")

    epochs: int = hyperparameter(15, "passes over the training set")
    batch_size: int = hyperparameter(128, "images per step")
    learning_rate: float = hyperparameter(1e-3, "initial learning rate, cosine-decayed to 0")

    def __post_init__(self):
        super().__post_init__()
        check_int("epochs", self.epochs, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_number("learning_rate", self.learning_rate, minimum=0.0, low_open=True)

    def prepare(self, data):
        if data.y_train is None:
            fail("data", (data.source or {}).get("path"), "labelled images (one subfolder per class, or an .npz "
                 "with labels): a classifier learns the labels")
        return data

    def new_model(self, data):
        from kgen.models import Classifier

        keras.utils.set_random_seed(self.seed)
        return Classifier(num_classes=data.num_classes, image_shape=data.x_train.shape[1:], seed=self.seed)

    def compile(self, model, data):
        steps = self.epochs * steps_per_epoch(len(data.x_train), self.batch_size)
        schedule = keras.optimizers.schedules.CosineDecay(self.learning_rate * self.learning_rate_scale, steps)
        model.compile(optimizer=Adam(schedule), precision=self.precision)

    def fit(self, model, data, callbacks=(), verbose=1, checkpoint=None):
        self.ensure_compiled(model, data)
        return fit_epochs(model, (data.x_train, data.y_train), self.batch_size, self.epochs, self.seed, callbacks,
                          verbose, checkpoint)

    def score(self, model, data, limit=None):
        return scores.classifier_scores(model, *data.test(limit))

    def describe(self, model, scores, history=None, data=None):
        data = FASHION_MNIST if data is None else data
        if data.source is not None:
            return dict(
                description=(f"A small convnet (two blocks of two 3x3 convolutions with batch norm, then a 128-unit "
                             f"feature layer) classifying {model.num_classes} classes of your own images. Its "
                             "features can score samples of generators trained on the same images "
                             "(`kgen train ... --features`)."),
                training=(f"`fit` on {data.train_phrase} for {self.epochs} epochs, batch {self.batch_size}, "
                          f"{describe_optimizer(model.optimizer)}, seed {self.seed}, no augmentation. Scores are "
                          f"on {data.test_phrase}."),
                datasets=[],
                tags=["image-classification"],
            )
        return dict(
            description=(
                "A small convnet (two blocks of two 3x3 convolutions with batch norm, then a "
                "128-unit feature layer) classifying the 10 Fashion-MNIST classes. Its 128-d "
                "features are the feature model of kgen's sample-quality metrics (Frechet distance, "
                "classifier score) for generated Fashion-MNIST images."
            ),
            training=(
                f"`fit` on the 60,000 Fashion-MNIST training images for {self.epochs} epochs, batch "
                f"{self.batch_size}, {describe_optimizer(model.optimizer)}, seed {self.seed}, no "
                "augmentation. Scores are on the 10,000 test images, never seen in training."
            ),
            datasets=["fashion_mnist"],
            tags=["image-classification"],
        )
