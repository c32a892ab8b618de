"""The DCGAN recipes: `dcgan_fashion_mnist` (self-conditioned on k-means clusters, no labels)
and `cdcgan_fashion_mnist` (class-conditional); both average the generator's weights."""

import dataclasses
import os

import keras
import numpy as np

from kgen.core.validation import check_int, check_number, fail
from kgen.eval import scores
from kgen.ops.clustering import cluster_labels
from kgen.ops.sampling import classes_in_turn
from kgen.recipes.base import describe_optimizer, hyperparameter, redefault
from kgen.recipes.data import FASHION_MNIST
from kgen.recipes.image_recipe import ImageRecipe
from kgen.recipes.training import fit_epochs
from kgen.viz.images import image_grid, interpolation_strip
from kgen.viz.neighbors import nearest_neighbor_grid

SAMPLES = 10_000
"""Generated images the sample-quality scores are measured on."""
PER_CLASS = 1_000
"""Samples per requested class for the conditional GAN's class accuracy."""


@dataclasses.dataclass(frozen=True)
class DCGANFashionMNIST(ImageRecipe):
    """`kgen.models.DCGAN` for 28x28 Fashion-MNIST, trained with `fit` on a shuffled `tf.data`
    pipeline that drops the last partial batch (so the compiled step is traced once).

    Unconditional training self-conditions (Liu et al. 2020): the training images are
    split into `clusters` k-means clusters in pixel space, the networks are conditioned
    on the cluster id as a conditional GAN's are on classes, and the cluster frequencies
    become the GAN's `class_prior`, from which `generate` draws the ids. No class labels
    are used. `clusters=None` trains the plain unconditional GAN.

    Examples:
        >>> recipe = kgen.recipes.DCGANFashionMNIST(epochs=5, clusters=None)   # the plain unconditional GAN
        >>> recipe.preset, recipe.epochs, recipe.loss
        ('dcgan_fashion_mnist', 5, 'non_saturating')
        >>> recipe.command("my_dcgan")                  # the same run from the command line
        'kgen train dcgan --epochs 5 --clusters none --out my_dcgan'

    Reference:
        Radford, Metz and Chintala, "Unsupervised Representation Learning with Deep Convolutional
        Generative Adversarial Networks", ICLR 2016; Liu et al., "Diverse Image Generation via
        Self-Conditioned GANs", CVPR 2020.
    """

    preset = "dcgan_fashion_mnist"
    family = "dcgan"
    model_class = "GAN"
    summary = "DCGAN self-conditioned on 50 k-means clusters, non-saturating loss, EMA 0.999, 64-d latent"
    headline_metrics = ("fd_test", "classifier_score")
    conditional = False

    epochs: int = hyperparameter(20, "passes over the training set")
    loss: str = hyperparameter("non_saturating", "GAN loss: minimax, non_saturating, least_squares, wgan-gp, hinge")
    ema: float = hyperparameter(0.999, "decay of the generator weight average that generate samples (none: off)")
    batch_size: int = hyperparameter(128, "images per step")
    latent_dim: int = hyperparameter(64, "size of the latent z")
    clusters: int = hyperparameter(50, "k-means clusters to self-condition on (none: plain unconditional GAN)")

    @classmethod
    def accepts(cls, model):
        return super().accepts(model) and model.labels_required == cls.conditional

    def __post_init__(self):
        super().__post_init__()
        check_int("epochs", self.epochs, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_int("latent_dim", self.latent_dim, minimum=1)
        if self.ema is not None:
            check_number("ema", self.ema, minimum=0.0, maximum=1.0, low_open=True, high_open=True)
        if self.clusters is not None:
            check_int("clusters", self.clusters, minimum=2)
            if self.conditional:
                fail("clusters", self.clusters, "None: this recipe conditions on the class labels")

    def prepare(self, data):
        """The labels the networks are conditioned on: the classes, or k-means cluster ids and their frequencies."""
        if self.conditional:
            if data.y_train is None:
                fail("data", (data.source or {}).get("path"), "labelled images (one subfolder per class, or an "
                     ".npz with labels): this recipe is conditional")
            return dataclasses.replace(data, conditioning=np.asarray(data.y_train, "int32"))
        if self.clusters is None:
            return data
        k = check_int("clusters", self.clusters, minimum=2, maximum=len(data.x_train))
        labels, prior = cluster_labels(data.x_train, k, seed=self.seed)
        return dataclasses.replace(data, conditioning=labels, class_prior=prior)

    def new_model(self, data):
        from kgen.models import DCGAN

        keras.utils.set_random_seed(self.seed)
        num_classes = None if data.conditioning is None else (
            len(data.class_prior) if data.class_prior is not None else int(np.max(data.conditioning)) + 1)
        return DCGAN(latent_dim=self.latent_dim, image_shape=data.x_train.shape[1:], num_classes=num_classes,
                     loss=self.loss, ema=self.ema, seed=self.seed, class_prior=data.class_prior)

    def compile(self, model, data):
        model.compile(precision=self.precision)
        if self.learning_rate_scale != 1.0:
            for optimizer in (model.d_optimizer, model.g_optimizer):
                optimizer.learning_rate = float(optimizer.learning_rate) * self.learning_rate_scale

    def fit(self, model, data, callbacks=(), verbose=1, checkpoint=None):
        self.ensure_compiled(model, data)
        examples = (data.x_train,) if data.conditioning is None else (data.x_train, data.conditioning)
        return fit_epochs(model, examples, self.batch_size, self.epochs, self.seed, callbacks, verbose, checkpoint)

    def score(self, model, data, limit=None):
        x_test, _ = data.test(limit)
        classifier = data.feature_model()
        if classifier is None:
            return {}
        count = min(SAMPLES, len(x_test))
        metrics = scores.sample_quality(scores.gan_samples(model, count, seed=0), x_test, classifier,
                                        data.x_train[:count])
        if self.conditional:
            metrics.update(scores.class_accuracy(model, classifier, per_class=min(PER_CLASS, count)))
        return metrics

    def picture_names(self):
        return {
            "64 samples" + (" (row k: class k)" if self.conditional else ""): "samples.png",
            "slerp between latents": "interpolation.png",
            "samples (first column) and their 3 nearest training images in pixel space": "nearest_neighbors.png",
        }

    def pictures(self, model, data, folder):
        conditional = self.conditional
        classes = model.num_classes if conditional else None
        grid_labels = np.repeat(np.arange(classes), 8) if conditional else None
        samples = model.generate(labels=grid_labels, seed=1) if conditional else model.generate(64, seed=1)
        image_grid(samples, os.path.join(folder, "samples.png"), nrow=8)
        z = model.sample_latent(8, seed=2)
        strips = np.stack([model.interpolate(z[i], z[i + 1], steps=10, labels=i % classes if conditional else None)
                           for i in range(0, 8, 2)])
        interpolation_strip(strips, os.path.join(folder, "interpolation.png"))
        neighbours = model.generate(labels=classes_in_turn(8, classes), seed=3) if conditional else model.generate(8, seed=3)
        nearest_neighbor_grid(neighbours, data.x_train, os.path.join(folder, "nearest_neighbors.png"), k=3)

    def _additions(self):
        """The card's sentence on what the recipe adds to the plain DCGAN recipe."""
        additions = []
        if not self.conditional and self.clusters:
            additions.append(
                f"self-conditioning (Liu et al. 2020): the training images are split into {self.clusters} k-means "
                "clusters in pixel space (`kgen.clustering.kmeans`), the networks are conditioned on the "
                "cluster id (label embedding in G, projection discriminator), and `generate` draws the ids from "
                "the cluster frequencies (`class_prior`), so the model is sampled as an unconditional one; no "
                "class labels are used"
            )
        if self.ema:
            additions.append(f"an exponential moving average of the generator weights (decay {self.ema}) is what "
                             "`generate` samples from")
        return "; ".join(additions) + "." if additions else "none."

    def describe(self, model, scores, history=None, data=None):
        data = FASHION_MNIST if data is None else data
        conditional = self.conditional
        kind = "class-conditional DCGAN (label embedding in G, projection discriminator)" if conditional else "DCGAN"
        optimizers = (f"{describe_optimizer(model.d_optimizer)} for the discriminator and "
                      f"{describe_optimizer(model.g_optimizer)} for the generator")
        return dict(
            description=(
                f"A {kind} for {'x'.join(map(str, model.image_shape[:2]))} "
                f"{'Fashion-MNIST' if data.source is None else 'images'}: Radford-style transposed-convolution generator "
                f"with batch norm and a strided-convolution discriminator, {self.latent_dim}-d latent."
            ),
            training=(
                f"`fit` on {data.train_phrase}{' and their labels' if conditional else ''} for "
                f"{self.epochs} epochs, batch {self.batch_size}, {model.loss_name} loss, {model.d_steps} "
                f"discriminator update(s) per generator update, {optimizers}, seed {self.seed}. kgen additions "
                "over the plain DCGAN recipe: " + self._additions()
                + " " + data.sample_quality_sentence(data.sample_count(SAMPLES), "seed 0")
                + (f" `class_accuracy_mean` is that classifier's accuracy on {PER_CLASS:,} samples of "
                   f"each requested class, averaged over the {model.num_classes} classes (`class_accuracy_<k>` "
                   "per class)." if conditional and data.features else "")
            ),
            datasets=data.dataset_names,
            tags=["gan", "dcgan", "generative"] + (["conditional"] if conditional else [])
            + (["self-conditioned"] if not conditional and self.clusters else []),
        )


@dataclasses.dataclass(frozen=True)
class CDCGANFashionMNIST(DCGANFashionMNIST):
    """The class-conditional DCGAN: `generate(n, labels=k)` draws class k.

    Examples:
        >>> recipe = kgen.recipes.CDCGANFashionMNIST()
        >>> recipe.preset, recipe.clusters, recipe.ema      # conditioned on the labels, not on clusters
        ('cdcgan_fashion_mnist', None, 0.999)

    Reference:
        Mirza and Osindero, "Conditional Generative Adversarial Nets", arXiv:1411.1784, 2014;
        Miyato and Koyama, "cGANs with Projection Discriminator", ICLR 2018.
    """

    preset = "cdcgan_fashion_mnist"
    family = "cdcgan"
    summary = "Class-conditional DCGAN (label embedding in G, projection D), EMA 0.999"
    headline_metrics = ("fd_test", "classifier_score", "class_accuracy_mean")
    conditional = True

    clusters: int = redefault(DCGANFashionMNIST, "clusters", None)
