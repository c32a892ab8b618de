"""Inference copies: folded batch norms and tap-sum transposed convolutions compute what the model computes."""

import keras
import numpy as np
import pytest

from kgen.errors import KgenTypeError
from kgen.models.dcgan import dcgan_discriminator, dcgan_generator
from kgen.models.inference import InferenceCopy, TapSumConvTranspose


def randomize_batch_norms(model, seed=0):
    """Non-trivial moving statistics, scales and offsets, so folding has something to fold."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            shape = layer.moving_mean.shape
            layer.moving_mean.assign(rng.normal(size=shape))
            layer.moving_variance.assign(rng.random(shape) + 0.5)
            layer.gamma.assign(rng.normal(size=shape))
            layer.beta.assign(rng.normal(size=shape))


@pytest.mark.parametrize("image_shape, num_classes, pairs", [((28, 28, 1), None, 2), ((32, 32, 3), 3, 3)])
def test_folded_generator_matches(image_shape, num_classes, pairs):
    generator = dcgan_generator(8, image_shape, num_classes, base_filters=8)
    randomize_batch_norms(generator)
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, 8)).astype("float32")
    inputs = z if num_classes is None else [z, np.arange(6) % num_classes]
    folded = InferenceCopy(generator)
    assert folded.folded == pairs  # Dense -> Reshape -> BN, and each hidden Conv2DTranspose -> BN
    assert folded.tap_sum == 1  # the last layer, to the image's channels
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in folded.model.layers)
    np.testing.assert_allclose(folded.sync()(inputs, training=False), generator(inputs, training=False), atol=1e-5)


def test_folded_discriminator_matches_and_follows_new_weights():
    discriminator = dcgan_discriminator((28, 28, 1), base_filters=4)
    folded = InferenceCopy(discriminator)
    images = np.random.default_rng(2).random((4, 28, 28, 1), dtype="float32")
    np.testing.assert_allclose(folded.sync()(images), discriminator(images, training=False), atol=1e-5)
    randomize_batch_norms(discriminator, seed=3)  # as training would move them
    before = folded.model(images).numpy()
    np.testing.assert_allclose(folded.sync()(images), discriminator(images, training=False), atol=1e-5)
    assert not np.allclose(before, folded.model(images))


def test_batch_norms_that_cannot_be_folded_stay():
    inputs = keras.Input((4,))
    relu = keras.layers.Dense(5, activation="relu")(inputs)       # nonlinear: BN after it cannot fold
    after_relu = keras.layers.BatchNormalization()(relu)
    shared = keras.layers.Dense(5)                                 # output used twice: folding would change both
    branch = shared(after_relu)
    normalized = keras.layers.BatchNormalization()(branch)
    outputs = keras.layers.Add()([normalized, branch])
    model = keras.Model(inputs, outputs)
    randomize_batch_norms(model)
    folded = InferenceCopy(model)
    assert folded.folded == 0
    x = np.random.default_rng(0).random((3, 4), dtype="float32")
    np.testing.assert_allclose(folded.sync()(x), model(x, training=False), atol=1e-6)


def test_bad_model():
    with pytest.raises(KgenTypeError, match="model must be a functional keras.Model"):
        InferenceCopy("generator")


@pytest.mark.parametrize("channels, filters, activation", [(3, 2, "linear"), (5, 1, "tanh"), (4, 4, "sigmoid")])
def test_tap_sum_form_equals_the_transposed_convolution(channels, filters, activation):
    layer = keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same", activation=activation,
                                         bias_initializer="random_normal")
    rng = np.random.default_rng(0)
    for shape in [(2, 5, 6, channels), (3, 7, 7, channels)]:  # odd, even and non-square sides; a new batch size
        x = rng.normal(size=shape).astype("float32")
        expected = layer(x).numpy()
        tap_sum = TapSumConvTranspose(filters, activation)
        tap_sum.build(x.shape)
        tap_sum.set_weights([layer.kernel.numpy(), layer.bias.numpy()])
        assert tap_sum.compute_output_shape(x.shape) == expected.shape
        np.testing.assert_allclose(tap_sum(x), expected, atol=1e-5)


def test_only_small_stride_two_transposed_convolutions_become_tap_sums():
    inputs = keras.Input((4, 4, 8))
    wide = keras.layers.Conv2DTranspose(16, 4, strides=2, padding="same")(inputs)      # too many channels
    odd = keras.layers.Conv2DTranspose(2, 3, strides=2, padding="same")(wide)          # not 4x4
    image = keras.layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="sigmoid", use_bias=False)(odd)
    model = keras.Model(inputs, image)
    copy = InferenceCopy(model)
    assert copy.tap_sum == 1 and copy.folded == 0
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 8)).astype("float32")
    np.testing.assert_allclose(copy.sync()(x), model(x), atol=1e-5)



def test_a_cached_copy_does_not_keep_its_model_alive():
    import gc
    import weakref

    generator = dcgan_generator(8, (28, 28, 1), base_filters=8)
    cache = weakref.WeakKeyDictionary({generator: InferenceCopy(generator)})
    assert cache[generator].source is generator
    del generator
    gc.collect()
    assert len(cache) == 0
