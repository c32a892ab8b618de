import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.errors import KgenTypeError, KgenValueError
from kgen.models import PixelCNN
from kgen.models.pixelcnn_layers import MaskedConv2D, causal_mask

SHAPE = (5, 5, 1)


def tiny(**kwargs):
    settings = dict(image_shape=SHAPE, filters=4, num_layers=3, kernel_size=3, first_kernel_size=3, seed=0)
    settings.update(kwargs)
    return PixelCNN(**settings)


def binary(n, shape=SHAPE, seed=0):
    return (np.random.default_rng(seed).random((n,) + shape) < 0.4).astype("float32")


def raster(shape):
    return [(i, j) for i in range(shape[0]) for j in range(shape[1])]


def test_masks_keep_only_the_causal_past():
    np.testing.assert_array_equal(causal_mask((3, 3), "vertical", False), [[1, 1, 1], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(causal_mask((3, 3), "vertical", True), [[1, 1, 1], [1, 1, 1], [0, 0, 0]])
    np.testing.assert_array_equal(causal_mask((1, 5), "horizontal", False), [[1, 1, 0, 0, 0]])
    np.testing.assert_array_equal(causal_mask((1, 5), "horizontal", True), [[1, 1, 1, 0, 0]])


def test_masked_conv_equals_a_same_convolution_with_the_masked_kernel():
    layer = MaskedConv2D(3, (3, 3), "vertical", include_center=True)
    x = tf.random.stateless_normal((2, 6, 7, 2), seed=(1, 2))
    layer.build(x.shape)
    kernel = layer.kernel * causal_mask((3, 3), "vertical", True)[:, :, None, None]
    expected = tf.nn.conv2d(x, kernel, 1, "SAME") + layer.bias
    np.testing.assert_allclose(layer(x), expected, atol=1e-5)


def test_changing_a_pixel_never_changes_the_conditional_of_it_or_any_pixel_before_it():
    model = tiny()
    x = binary(1)
    base = model.network(x).numpy()[0, ..., 0]
    order = raster(SHAPE)
    for k, (i, j) in enumerate(order):
        flipped = x.copy()
        flipped[0, i, j, 0] = 1 - flipped[0, i, j, 0]
        changed = model.network(flipped).numpy()[0, ..., 0] != base
        for earlier in order[: k + 1]:
            assert not changed[earlier], f"flipping pixel {(i, j)} changed the conditional of {earlier}"


def test_no_blind_spot_every_earlier_pixel_reaches_the_last_conditional():
    model = tiny(num_layers=4)
    x = tf.constant(binary(1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        last = model.network(x)[0, -1, -1, 0]
    influence = np.abs(tape.gradient(last, x).numpy()[0, ..., 0]) > 0
    expected = np.ones(SHAPE[:2], bool)
    expected[-1, -1] = False
    np.testing.assert_array_equal(influence, expected)


@pytest.mark.parametrize("likelihood", ["bernoulli", "categorical"])
def test_log_prob_is_the_sum_of_the_conditionals_computed_pixel_by_pixel(likelihood):
    model = tiny(likelihood=likelihood)
    rng = np.random.default_rng(1)
    x = binary(2) if likelihood == "bernoulli" else (rng.integers(0, 256, (2,) + SHAPE) / 255).astype("float32")
    total = np.zeros(2)
    for i, j in raster(SHAPE):
        past = np.zeros_like(x)  # only the pixels before (i, j) are filled in
        past[:, :i] = x[:, :i]
        past[:, i, :j] = x[:, i, :j]
        logits = model.network(past).numpy()[:, i, j, 0]
        if likelihood == "bernoulli":
            p = 1 / (1 + np.exp(-logits.astype("float64")))
            total += np.where(x[:, i, j, 0] == 1, np.log(p), np.log1p(-p))
        else:
            log_softmax = logits - np.log(np.exp(logits.astype("float64")).sum(-1, keepdims=True))
            total += log_softmax[np.arange(2), np.round(x[:, i, j, 0] * 255).astype(int)]
    np.testing.assert_allclose(model.log_prob(x), total, rtol=1e-5)
    np.testing.assert_allclose(model.bits_per_dim(x), -total / (np.prod(SHAPE) * math.log(2)), rtol=1e-5)


@pytest.mark.parametrize("settings", [
    dict(),
    dict(likelihood="categorical", image_shape=(4, 5, 2)),
    dict(num_classes=3),
    dict(first_kernel_size=5, kernel_size=5, image_shape=(7, 6, 1)),
], ids=["bernoulli", "categorical_rgb_like", "conditional", "wide_kernels"])
def test_cached_sampler_draws_exactly_the_naive_samplers_images(settings):
    model = tiny(**settings)
    labels = np.array([0, 2, 1, 2]) if model.num_classes else None
    naive = model.sample(4, seed=7, labels=labels, method="naive")
    np.testing.assert_array_equal(model.sample(4, seed=7, labels=labels), naive)
    if labels is None:
        x = model.sample(4, seed=1)
        np.testing.assert_array_equal(model.complete(x, 2, seed=3), model.complete(x, 2, seed=3, method="naive"))


def test_sample_shapes_ranges_and_reproducibility():
    model = tiny()
    images = model.sample(6, seed=0)
    assert images.shape == (6,) + SHAPE and set(np.unique(images)) <= {0.0, 1.0}
    np.testing.assert_array_equal(images, model.sample(6, seed=0))
    assert not np.array_equal(images, model.sample(6, seed=1))
    categorical = tiny(likelihood="categorical").sample(3, seed=0)
    levels = categorical * 255
    assert categorical.min() >= 0 and categorical.max() <= 1 and np.allclose(levels, np.round(levels), atol=1e-4)
    conditional = tiny(num_classes=3)
    assert conditional.sample(labels=[0, 1, 2, 0], seed=0).shape == (4,) + SHAPE
    assert conditional.sample(2, seed=0, labels=1).shape == (2,) + SHAPE


def test_complete_keeps_the_observed_rows():
    model = tiny()
    x = binary(3)
    filled = model.complete(x, observed_rows=2, seed=0)
    np.testing.assert_array_equal(filled[:, :2], x[:, :2])
    assert set(np.unique(filled)) <= {0.0, 1.0}
    np.testing.assert_array_equal(model.complete(x, observed_rows=SHAPE[0], seed=0), x)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_a_few_train_steps_lower_the_loss_on_a_fixed_batch(precision):
    model = tiny(binarize=False)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), precision=precision)
    x = binary(16)
    before = model.log_prob(x).mean()
    history = model.fit(x, batch_size=16, epochs=15, verbose=0)
    assert set(history.history) == {"loss", "bits_per_dim"}
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.log_prob(x).mean() > before
    np.testing.assert_allclose(history.history["bits_per_dim"][0],
                               history.history["loss"][0] / (np.prod(SHAPE) * math.log(2)), rtol=1e-5)


def test_conditional_fit_uses_the_labels():
    model = tiny(num_classes=2, binarize=False)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    x = np.concatenate([np.zeros((8,) + SHAPE), np.ones((8,) + SHAPE)]).astype("float32")
    y = np.repeat([0, 1], 8)
    model.fit(x, y, batch_size=16, epochs=30, verbose=0)
    assert model.log_prob(x[:1], labels=0)[0] > model.log_prob(x[:1], labels=1)[0]


def test_config_and_keras_file_round_trips_give_identical_outputs(tmp_path):
    model = tiny(num_classes=3)
    model.compile(precision="bfloat16")
    x, labels = binary(4), np.array([0, 1, 2, 0])
    clone = PixelCNN.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.log_prob(x, labels), model.log_prob(x, labels))
    path = str(tmp_path / "pixelcnn.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, PixelCNN) and loaded.precision == "bfloat16"
    np.testing.assert_array_equal(loaded.log_prob(x, labels), model.log_prob(x, labels))
    np.testing.assert_array_equal(loaded.sample(labels=labels, seed=0), model.sample(labels=labels, seed=0))


def test_bad_input_names_the_argument():
    model = tiny()
    with pytest.raises(KgenValueError, match="x must be binary"):
        model.log_prob(np.full((1,) + SHAPE, 0.5, "float32"))
    with pytest.raises(KgenValueError, match=r"x must have values in \[0.0, 1.0\]"):
        model.log_prob(np.full((1,) + SHAPE, 2.0, "float32"))
    with pytest.raises(KgenValueError, match=r"x must be a batch of images of shape \(n, 5, 5, 1\)"):
        model.log_prob(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(KgenValueError, match="x must be binary"):
        tiny(binarize=False).fit(np.full((2,) + SHAPE, 0.5, "float32"), verbose=0)
    with pytest.raises(KgenValueError, match="n must be an integer >= 1"):
        model.sample(0)
    with pytest.raises(KgenValueError, match="labels must be None"):
        model.sample(2, labels=[0, 1])
    with pytest.raises(KgenValueError, match="likelihood must be one of"):
        tiny(likelihood="gaussian")
    with pytest.raises(KgenValueError, match="method must be one of"):
        model.sample(1, method="fast")
    with pytest.raises(KgenValueError, match="kernel_size must be an odd integer"):
        tiny(kernel_size=4)
    with pytest.raises(KgenValueError, match="precision must be one of"):
        model.compile(precision="float16")
    conditional = tiny(num_classes=3)
    with pytest.raises(KgenValueError, match="labels must be class labels"):
        conditional.sample(2)
    with pytest.raises(KgenValueError, match=r"labels must be class labels in \[0, 3\)"):
        conditional.sample(2, labels=[0, 3])
    with pytest.raises(KgenTypeError, match="observed_rows must be an integer"):
        model.complete(binary(1), observed_rows=1.5)
    with pytest.raises(KgenValueError, match="x must be 8-bit images"):
        tiny(likelihood="categorical").log_prob(np.full((1,) + SHAPE, 0.1234, "float32"))
