"""The `pixelcnn_fashion_mnist` recipe: a gated PixelCNN on dynamically binarized images,
trained in bfloat16 with Adam and a cosine-decayed learning rate; scored by its exact
test NLL on the binarized test split the VAE card uses, and by sample quality."""

import dataclasses
import math
import os

import keras
import numpy as np

from kgen import datasets
from kgen.core.adam import Adam
from kgen.core.validation import check_int, check_number
from kgen.eval import scores
from kgen.recipes.base import describe_optimizer, hyperparameter
from kgen.recipes.data import FASHION_MNIST
from kgen.recipes.image_recipe import ImageRecipe
from kgen.recipes.training import fit_epochs, steps_per_epoch
from kgen.viz.images import image_grid

SAMPLES = 10_000
"""Generated images the sample-quality scores are measured on."""
COMPLETIONS = 8
"""Test images whose bottom halves the completion picture fills in, each four times."""


@dataclasses.dataclass(frozen=True)
class PixelCNNFashionMNIST(ImageRecipe):
    """`kgen.models.PixelCNN` with a Bernoulli likelihood on dynamically binarized Fashion-MNIST.

    Examples:
        >>> recipe = kgen.recipes.PixelCNNFashionMNIST(filters=64, epochs=9)
        >>> recipe.command("runs/pixelcnn64")
        'kgen train pixelcnn --epochs 9 --filters 64 --out runs/pixelcnn64'

    Reference:
        van den Oord et al., "Conditional Image Generation with PixelCNN Decoders", NeurIPS 2016.
    """

    preset = "pixelcnn_fashion_mnist"
    model_class = "PixelCNN"
    family = "pixelcnn"
    summary = "Gated PixelCNN, Bernoulli likelihood on dynamically binarized Fashion-MNIST, exact NLL"
    headline_metrics = ("test_nll", "bits_per_dim", "fd_test")

    epochs: int = hyperparameter(7, "passes over the training set")
    filters: int = hyperparameter(48, "channels of each stack")
    num_layers: int = hyperparameter(12, "gated blocks")
    batch_size: int = hyperparameter(64, "images per step")
    learning_rate: float = hyperparameter(1e-3, "initial learning rate, cosine-decayed to 0")
    precision: str = hyperparameter("bfloat16", "what the training steps compute in (float32 or bfloat16)")

    def __post_init__(self):
        super().__post_init__()
        check_int("epochs", self.epochs, minimum=1)
        check_int("filters", self.filters, minimum=1)
        check_int("num_layers", self.num_layers, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_number("learning_rate", self.learning_rate, minimum=0.0, low_open=True)

    def new_model(self, data):
        from kgen.models import PixelCNN

        keras.utils.set_random_seed(self.seed)
        return PixelCNN(image_shape=data.x_train.shape[1:], likelihood="bernoulli", filters=self.filters,
                        num_layers=self.num_layers, binarize=True, seed=self.seed)

    def compile(self, model, data):
        steps = self.epochs * steps_per_epoch(len(data.x_train), self.batch_size)
        schedule = keras.optimizers.schedules.CosineDecay(self.learning_rate * self.learning_rate_scale, steps)
        model.compile(optimizer=Adam(schedule), precision=self.precision)

    def fit(self, model, data, callbacks=(), verbose=1, checkpoint=None):
        self.ensure_compiled(model, data)
        return fit_epochs(model, (data.x_train,), self.batch_size, self.epochs, self.seed, list(callbacks),
                          verbose, checkpoint)

    def score(self, model, data, limit=None):
        x_test, _ = data.test(limit)
        binary_test = datasets.binarize(x_test, seed=0)
        log_prob = model.log_prob(binary_test)
        nll = -log_prob
        metrics = {
            "test_nll": round(float(nll.mean()), 2),
            "test_nll_sem": round(float(nll.std(ddof=1) / math.sqrt(len(nll))), 2),
            "bits_per_dim": round(float(nll.mean() / (model.dimensions * math.log(2.0))), 4),
        }
        features = data.feature_model()
        if features is None:
            return metrics
        count = min(SAMPLES, len(x_test))
        samples = model.sample(count, seed=0)
        metrics.update(scores.sample_quality(samples, x_test, features, data.x_train[:count]))
        binary_train = datasets.binarize(data.x_train[:count], seed=1)
        binary = scores.sample_quality(samples, binary_test, features, binary_train)
        metrics.update(fd_binarized_test=binary["fd_test"], fd_binarized_floor=binary["fd_floor"])
        return metrics

    def picture_names(self):
        return {
            "64 samples (cached sampler, seed 0)": "samples.png",
            "binarized test images (first column), their top halves (second) and four completions of each": "completions.png",
        }

    def pictures(self, model, data, folder):
        image_grid(model.sample(64, seed=0), os.path.join(folder, "samples.png"), nrow=8)
        originals = datasets.binarize(data.x_test[:COMPLETIONS], seed=0)
        completions = [model.complete(originals, seed=seed) for seed in range(4)]
        half = originals.copy()
        half[:, half.shape[1] // 2:] = 0.5
        rows = np.stack([originals, half] + completions, axis=1).reshape((-1,) + originals.shape[1:])
        image_grid(rows, os.path.join(folder, "completions.png"), nrow=len(completions) + 2)

    def describe(self, model, scores, history=None, data=None):
        data = FASHION_MNIST if data is None else data
        name = "Fashion-MNIST" if data.source is None else "images"
        pixels = int(np.prod(model.image_shape))
        count = data.sample_count(SAMPLES)
        if data.features is None:
            quality = " " + data.sample_quality_sentence(count, "")
        else:
            quality = (
                f" `fd_test` is the Frechet distance, on the `{data.features}` features, between {count:,} samples "
                f"(seed 0; binary images) and {data.test_phrase}, `fd_floor` the same distance between {count:,} "
                "training images and those images; `fd_binarized_test` and `fd_binarized_floor` are the "
                "same two distances with the test and training images binarized (the samples' own kind of "
                "image). `classifier_score` is the Inception-score analogue of the samples.")
        return dict(
            description=(
                f"A gated PixelCNN ({self.num_layers} blocks of vertical and horizontal stacks with "
                f"{self.filters} channels, residual and skip connections, no blind spot) with a Bernoulli "
                f"likelihood on dynamically binarized {name}. Its likelihood is exact: "
                f"log p(x) = sum_i log p(x_i | x_<i) over the {pixels:,} pixel values in raster order."
            ),
            training=(
                f"`fit` on {data.train_phrase} (never the test split) for {self.epochs} epochs, batch "
                f"{self.batch_size}, the network reading images binarized afresh at every step (x_b ~ "
                "Bernoulli(x)) and the exact negative log-likelihood taking the grey values as targets (the "
                f"expectation of each pixel's own draw: the same expected gradient, less variance), {describe_optimizer(model.optimizer)}, training steps computed in "
                f"{self.precision} (weights and loss in float32), seed {self.seed}. `test_nll` is the exact "
                f"negative log-likelihood in nats of {data.test_phrase} binarized once with seed 0"
                + (" (the images the VAE card's IWAE bound is measured on)" if data.source is None else "")
                + ", computed in float32; `test_nll_sem` its standard error over images; `bits_per_dim` is "
                f"test_nll / ({pixels:,} ln 2)." + quality
            ),
            datasets=data.dataset_names,
            tags=["pixelcnn", "autoregressive", "generative"],
        )
