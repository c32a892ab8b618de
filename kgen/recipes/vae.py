"""The `vae_fashion_mnist` recipe: a conv VAE on dynamically binarized images, KL warm-up,
Adam with a cosine-decayed learning rate; scored by ELBO, IWAE NLL and sample quality."""

import dataclasses
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
from kgen.viz.images import image_grid, interpolation_strip

SAMPLES = 10_000
"""Generated images the sample-quality scores are measured on."""


@dataclasses.dataclass(frozen=True)
class VAEFashionMNIST(ImageRecipe):
    """`kgen.models.VAE` with kgen's conv encoder and decoder and a Bernoulli likelihood.

    Examples:
        >>> recipe = kgen.recipes.VAEFashionMNIST(latent_dim=4, epochs=10)
        >>> recipe.hyperparameters()["latent_dim"], recipe.num_samples    # IWAE samples when scoring
        (4, 1000)
        >>> data = kgen.recipes.ImageData(np.zeros((8, 32, 32, 3), "float32"), features=None)
        >>> recipe.build(data).image_shape               # the network is sized for the data
        (32, 32, 3)

    Reference:
        Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014; Burda, Grosse and
        Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016.
    """

    preset = "vae_fashion_mnist"
    model_class = "VAE"
    family = "vae"
    summary = "Conv VAE, 16-d latent, Bernoulli likelihood on dynamically binarized Fashion-MNIST"
    headline_metrics = ("test_nll_iwae_k1000", "test_elbo", "fd_test")

    epochs: int = hyperparameter(50, "passes over the training set")
    latent_dim: int = hyperparameter(16, "size of the Gaussian latent")
    batch_size: int = hyperparameter(128, "images per step")
    learning_rate: float = hyperparameter(1e-3, "initial learning rate, cosine-decayed to 0")
    warmup_epochs: float = hyperparameter(None, "epochs of linear KL warm-up (none: a tenth of the epochs, at least 1)")
    num_samples: int = hyperparameter(1000, "importance samples k of the IWAE NLL it is scored by", score=True)

    def __post_init__(self):
        super().__post_init__()
        check_int("epochs", self.epochs, minimum=1)
        check_int("latent_dim", self.latent_dim, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_number("learning_rate", self.learning_rate, minimum=0.0, low_open=True)
        if self.warmup_epochs is not None:
            check_number("warmup_epochs", self.warmup_epochs, minimum=0.0)
        check_int("num_samples", self.num_samples, minimum=1)

    @property
    def warmup(self):
        """The KL warm-up length in epochs that `fit` uses."""
        return max(1, self.epochs // 10) if self.warmup_epochs is None else self.warmup_epochs

    def new_model(self, data):
        from kgen.models import VAE
        from kgen.models import vae_networks as nets

        keras.utils.set_random_seed(self.seed)
        shape = data.x_train.shape[1:]
        encoder = nets.conv_encoder(shape, latent_dim=self.latent_dim)
        decoder = nets.conv_decoder(shape, latent_dim=self.latent_dim)
        return VAE(encoder, decoder, self.latent_dim, likelihood="bernoulli", binarize=True, seed=self.seed)

    def compile(self, model, data):
        steps = self.epochs * steps_per_epoch(len(data.x_train), self.batch_size)
        schedule = keras.optimizers.schedules.CosineDecay(self.learning_rate * self.learning_rate_scale, steps)
        model.compile(optimizer=Adam(schedule), precision=self.precision)

    def fit(self, model, data, callbacks=(), verbose=1, checkpoint=None):
        from kgen.callbacks import KLWarmup

        self.ensure_compiled(model, data)
        steps = steps_per_epoch(len(data.x_train), self.batch_size)
        warmup = [KLWarmup(epochs=self.warmup, steps_per_epoch=steps)] if self.warmup else []
        return fit_epochs(model, (data.x_train,), self.batch_size, self.epochs, self.seed, warmup + list(callbacks),
                          verbose, checkpoint)

    def score(self, model, data, limit=None):
        x_test, _ = data.test(limit)
        metrics = scores.vae_scores(model, datasets.binarize(x_test, seed=0), num_samples=self.num_samples)
        features = data.feature_model()
        if features is not None:
            count = data.sample_count(SAMPLES)
            metrics.update(scores.sample_quality(model.sample(count, seed=0), x_test, features, data.x_train[:count]))
        return metrics

    def picture_names(self):
        return {
            "64 samples from the prior": "samples.png",
            "test images (odd columns) and their reconstructions (even columns)": "reconstructions.png",
            "slerp between the posterior means of test images": "interpolation.png",
        }

    def pictures(self, model, data, folder):
        originals = data.x_test[:16]
        image_grid(model.sample(64, seed=0), os.path.join(folder, "samples.png"), nrow=8)
        pairs = np.stack([originals, model.reconstruct(originals)], axis=1).reshape((-1, *originals.shape[1:]))
        image_grid(pairs, os.path.join(folder, "reconstructions.png"), nrow=8)
        ends = data.x_test[:6]
        strips = np.stack([model.interpolate(a, b, steps=10) for a, b in zip(ends[::2], ends[1::2])])
        interpolation_strip(strips, os.path.join(folder, "interpolation.png"))

    def describe(self, model, scores, history=None, data=None):
        data = FASHION_MNIST if data is None else data
        name = "Fashion-MNIST" if data.source is None else "images"
        return dict(
            description=(
                f"A convolutional VAE with a {self.latent_dim}-dimensional Gaussian latent and a Bernoulli "
                f"likelihood on dynamically binarized {name}. Its posterior, prior and likelihood "
                "are TensorFlow Probability distributions."
            ),
            training=(
                f"`fit` on {data.train_phrase} for {self.epochs} epochs, batch {self.batch_size}, images "
                "binarized afresh at every step (x_b ~ Bernoulli(x)), single-sample reparameterized ELBO "
                f"with analytic KL, {describe_optimizer(model.optimizer)}, linear KL warm-up over the first "
                f"{self.warmup:g} epoch(s), seed {self.seed}. Likelihood scores are on {data.test_phrase} "
                "binarized once with seed 0, never seen in training: ELBO with 10 samples per image, NLL as "
                f"the IWAE bound with k = {self.num_samples}; `_sem` entries are standard errors over images. "
                + data.sample_quality_sentence(data.sample_count(SAMPLES), "decoded means of prior latents, seed 0")
            ),
            datasets=data.dataset_names,
            tags=["vae", "generative"],
        )
