"""DCGAN: Radford-style convolutional generator and discriminator, and the GAN that builds them.

The generator projects z to a small feature map (7x7 for 28x28 images, 4x4 for
32x32 and 64x64) and doubles the resolution with 4x4 stride-2 transposed
convolutions, halving the channels each time, with batch normalization and ReLU,
and a tanh output in [-1, 1]. The discriminator mirrors it with 4x4 stride-2
convolutions and LeakyReLU(0.2), normalization on every layer but the first, and a
dense logit. Weights start from N(0, 0.02) as in the paper.

Conditional variants (num_classes set): the generator concatenates a learned label
embedding to z (Mirza and Osindero 2014); the discriminator is a projection
discriminator, adding the inner product of a label embedding with its last
features to the logit (Miyato and Koyama 2018).
"""

import keras

from kgen.core.errors import KgenTypeError
from kgen.core.serialization import serializable
from kgen.core.validation import check_choice, check_int, fail
from kgen.models.gan import GAN, LOSSES, PENALIZED_LOSSES

START_SIZES = {28: 7, 32: 4, 64: 4}
"""Supported image side -> side of the generator's first feature map."""
NORMALIZATIONS = ("batch", "layer", "none")


def _check_image_shape(image_shape):
    if not isinstance(image_shape, (tuple, list)):
        fail("image_shape", image_shape, "a tuple (height, width, channels)", KgenTypeError)
    shape = tuple(check_int("image_shape", d, minimum=1) for d in image_shape)
    if len(shape) != 3 or shape[0] != shape[1] or shape[0] not in START_SIZES:
        fail("image_shape", image_shape, "(28, 28, c), (32, 32, c) or (64, 64, c) for any c >= 1")
    return shape


def _stages(side):
    """Number of 2x resolution changes between the first feature map and the image."""
    return (side // START_SIZES[side]).bit_length() - 1


def _init(mean=0.0):
    return keras.initializers.RandomNormal(mean, 0.02)


def _normalize(x, normalization):
    if normalization == "batch":
        # PyTorch's defaults (momentum 0.1 there), as in the reference DCGANs
        # synchronized: under tf.distribute the statistics are the global batch's, as on one device
        return keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, gamma_initializer=_init(1.0),
                                               synchronized=True)(x)
    if normalization == "layer":
        # layer norm over (h, w, c) with a per-channel scale and offset, as in WGAN-GP
        return keras.layers.GroupNormalization(groups=1, epsilon=1e-5)(x)
    return x


def _labels_input():
    return keras.Input((), dtype="int32", name="labels")


def dcgan_generator(
    latent_dim=64,
    image_shape=(28, 28, 1),
    num_classes=None,
    base_filters=64,
    embedding_dim=32,
    name="generator",
):
    """Radford-style DCGAN generator: z (n, latent_dim) -> images (n, h, w, c) in [-1, 1].

    Dense projection to (s, s, base_filters * 2**(k-1)), then k transposed
    convolutions (4x4, stride 2) that double the resolution; batch norm and ReLU
    after all but the last, which has c channels and tanh. s = 7, k = 2 for 28x28;
    s = 4, k = 3 for 32x32; s = 4, k = 4 for 64x64.

    Args:
        latent_dim: int, the latent size (default 64).
        image_shape: tuple, (28, 28, c), (32, 32, c) or (64, 64, c) (default (28, 28, 1)).
        num_classes: int >= 2 or None; when set, the model takes [z, labels] and
            concatenates a label embedding to z (default None).
        base_filters: int, channels of the last hidden layer; earlier layers double
            it (default 64).
        embedding_dim: int, size of the label embedding (default 32).
        name: str.

    Returns:
        A functional `keras.Model`.

    Examples:
        >>> g = kgen.models.dcgan.dcgan_generator(64, (32, 32, 3))
        >>> g(np.zeros((2, 64))).shape
        TensorShape([2, 32, 32, 3])

    Reference:
        Radford, Metz and Chintala, "Unsupervised Representation Learning with Deep
        Convolutional Generative Adversarial Networks", ICLR 2016.
    """
    latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    height, _, channels = _check_image_shape(image_shape)
    base_filters = check_int("base_filters", base_filters, minimum=1)
    z = keras.Input((latent_dim,), name="z")
    inputs, h = z, z
    if num_classes is not None:
        num_classes = check_int("num_classes", num_classes, minimum=2)
        labels = _labels_input()
        embedded = keras.layers.Embedding(
            num_classes, check_int("embedding_dim", embedding_dim, minimum=1), embeddings_initializer=_init()
        )(labels)
        inputs, h = [z, labels], keras.layers.Concatenate()([z, embedded])
    start, stages = START_SIZES[height], _stages(height)
    width = base_filters * 2 ** (stages - 1)
    h = keras.layers.Dense(start * start * width, use_bias=False, kernel_initializer=_init())(h)
    h = keras.layers.ReLU()(_normalize(keras.layers.Reshape((start, start, width))(h), "batch"))
    for _ in range(stages - 1):
        width //= 2
        h = keras.layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False, kernel_initializer=_init())(h)
        h = keras.layers.ReLU()(_normalize(h, "batch"))
    images = keras.layers.Conv2DTranspose(
        channels, 4, strides=2, padding="same", activation="tanh", kernel_initializer=_init()
    )(h)
    return keras.Model(inputs, images, name=name)


def dcgan_discriminator(
    image_shape=(28, 28, 1),
    num_classes=None,
    base_filters=64,
    normalization="batch",
    name="discriminator",
):
    """Radford-style DCGAN discriminator: images (n, h, w, c) in [-1, 1] -> logits (n, 1).

    k convolutions (4x4, stride 2) with base_filters * 2**i channels and
    LeakyReLU(0.2), normalized after all but the first; then a dense logit. k = 2
    for 28x28, 3 for 32x32, 4 for 64x64.

    Args:
        image_shape: tuple, (28, 28, c), (32, 32, c) or (64, 64, c) (default (28, 28, 1)).
        num_classes: int >= 2 or None; when set, the model takes [images, labels] and
            adds the projection <embed(y), features> to the logit (default None).
        base_filters: int, channels of the first convolution (default 64).
        normalization: str, "batch" (DCGAN), "layer" (layer norm over (h, w, c), for
            WGAN-GP, whose per-example penalty rules out batch norm) or "none"
            (default "batch").
        name: str.

    Returns:
        A functional `keras.Model`.

    Examples:
        >>> d = kgen.models.dcgan.dcgan_discriminator((28, 28, 1), num_classes=10)
        >>> d([np.zeros((2, 28, 28, 1)), np.array([3, 7])]).shape
        TensorShape([2, 1])

    Reference:
        Radford, Metz and Chintala, ICLR 2016; Miyato and Koyama, "cGANs with
        Projection Discriminator", ICLR 2018; Gulrajani et al., "Improved Training
        of Wasserstein GANs", NeurIPS 2017 (layer norm in the critic).
    """
    height, _, _ = shape = _check_image_shape(image_shape)
    base_filters = check_int("base_filters", base_filters, minimum=1)
    normalization = check_choice("normalization", normalization, NORMALIZATIONS)
    images = keras.Input(shape, name="images")
    h = images
    for stage in range(_stages(height)):
        normalized = stage > 0 and normalization != "none"
        h = keras.layers.Conv2D(
            base_filters * 2**stage, 4, strides=2, padding="same", use_bias=not normalized, kernel_initializer=_init()
        )(h)
        h = keras.layers.LeakyReLU(0.2)(_normalize(h, normalization) if normalized else h)
    features = keras.layers.Flatten()(h)
    logits = keras.layers.Dense(1, kernel_initializer=_init())(features)
    if num_classes is None:
        return keras.Model(images, logits, name=name)
    labels = _labels_input()
    embedded = keras.layers.Embedding(
        check_int("num_classes", num_classes, minimum=2), features.shape[-1], embeddings_initializer=_init()
    )(labels)
    logits = keras.layers.Add()([logits, keras.layers.Dot(axes=1)([embedded, features])])
    return keras.Model([images, labels], logits, name=name)


@serializable
class DCGAN(GAN):
    """A GAN with Radford-style convolutional networks for 28x28, 32x32 or 64x64 images.

    Builds `dcgan_generator` and `dcgan_discriminator` unless given. For
    "wgan-gp" (alias "wasserstein") the critic uses layer normalization instead of
    batch normalization, since the gradient penalty is per example. Everything
    else (training, sampling, logs, value range) is `GAN`'s.

    Args:
        latent_dim: int, the latent size (default 64).
        image_shape: tuple, (28, 28, c), (32, 32, c) or (64, 64, c) (default (28, 28, 1)).
        num_classes: int >= 2 or None, makes the GAN conditional (default None).
        loss: str, "minimax", "non_saturating", "least_squares", "wgan-gp"
            ("wasserstein") or "hinge" (default "non_saturating").
        base_filters: int, width of the networks (default 64: a 534k-parameter
            generator and 139k-parameter discriminator for 28x28x1 and latent_dim 64).
        d_steps: int >= 1, discriminator updates per generator update (default 1).
        gp_weight: float >= 0, WGAN-GP penalty weight (default 10.0).
        ema: float in (0, 1) or None, generator weight averaging for `generate` (default None).
        seed: int or None, seeds the training noise (default None).
        class_prior: num_classes probabilities or None; labels omitted when
            sampling are drawn from it (self-conditioning, see `GAN`; default None).
        generator: keras.Model or None, replaces the built generator (default None).
        discriminator: keras.Model or None, replaces the built discriminator (default None).

    Examples:
        >>> gan = kgen.models.DCGAN.from_preset("dcgan_fashion_mnist")
        >>> gan.generate(8, seed=0).shape
        (8, 28, 28, 1)
        >>> gan.interpolate(*gan.sample_latent(2, seed=0), steps=8).shape
        (8, 28, 28, 1)

        A new one (`fit` as for `GAN`; it logs d_loss, g_loss, d_real and d_fake):

        >>> gan = kgen.models.DCGAN(latent_dim=16, image_shape=(32, 32, 3), loss="wgan-gp", base_filters=8)
        >>> gan.compile()
        >>> gan.generator.output_shape, gan.d_steps
        ((None, 32, 32, 3), 1)

    Reference:
        Radford, Metz and Chintala, "Unsupervised Representation Learning with Deep
        Convolutional Generative Adversarial Networks", ICLR 2016.
    """

    def __init__(
        self,
        latent_dim=64,
        image_shape=(28, 28, 1),
        num_classes=None,
        loss="non_saturating",
        base_filters=64,
        d_steps=1,
        gp_weight=10.0,
        ema=None,
        seed=None,
        class_prior=None,
        generator=None,
        discriminator=None,
        **kwargs,
    ):
        loss = check_choice("loss", loss, LOSSES)
        image_shape = _check_image_shape(image_shape)
        base_filters = check_int("base_filters", base_filters, minimum=1)
        if generator is None:
            generator = dcgan_generator(latent_dim, image_shape, num_classes, base_filters)
        if discriminator is None:
            normalization = "layer" if loss in PENALIZED_LOSSES else "batch"
            discriminator = dcgan_discriminator(image_shape, num_classes, base_filters, normalization)
        super().__init__(
            generator,
            discriminator,
            latent_dim,
            loss=loss,
            d_steps=d_steps,
            gp_weight=gp_weight,
            num_classes=num_classes,
            seed=seed,
            ema=ema,
            class_prior=class_prior,
            **kwargs,
        )
        if self.image_shape != image_shape:
            fail("generator", generator, f"a model making images of image_shape {image_shape}; "
                 f"it makes {self.image_shape}")
        self.base_filters = base_filters

    def get_config(self):
        config = super().get_config()
        config.update(image_shape=self.image_shape, base_filters=self.base_filters)
        return config
