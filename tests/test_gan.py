"""GAN and DCGAN: shapes, ranges, sampling, training steps, round trips, bad input, callbacks.

Networks are tiny (latent_dim 8, base_filters 8) so the file runs in seconds.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.callbacks import DivergenceGuard, FrechetDistance, SampleGrid
from kgen.errors import KgenTypeError, KgenValueError
from kgen.models import DCGAN, GAN
from kgen.models.dcgan import dcgan_discriminator, dcgan_generator

LATENT = 8
CLASSES = 10


def tiny(image_shape=(28, 28, 1), **kwargs):
    return DCGAN(latent_dim=LATENT, image_shape=image_shape, base_filters=8, seed=0, **kwargs)


@pytest.fixture
def x():
    return np.random.default_rng(0).random((16, 28, 28, 1), dtype="float32")


@pytest.fixture
def y():
    return np.arange(16) % CLASSES


@pytest.fixture(scope="module")
def trained():
    """A conditional DCGAN with weight averaging, compiled and trained for two steps."""
    keras.utils.set_random_seed(0)
    gan = tiny(num_classes=CLASSES, ema=0.9, loss="hinge")
    gan.compile()
    images = np.random.default_rng(0).random((16, 28, 28, 1), dtype="float32")
    gan.fit(images, np.arange(16) % CLASSES, epochs=1, batch_size=8, verbose=0)
    return gan


@pytest.mark.parametrize("image_shape", [(28, 28, 1), (32, 32, 3), (64, 64, 1)])
@pytest.mark.parametrize("num_classes", [None, CLASSES])
def test_shapes_and_ranges(image_shape, num_classes):
    gan = tiny(image_shape, num_classes=num_classes)
    labels = None if num_classes is None else np.arange(5) % num_classes
    images = gan.generate(5, labels=labels, seed=0)
    assert images.shape == (5,) + image_shape and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    real = np.zeros((5,) + image_shape, "float32")
    logits = gan.discriminator(real if labels is None else [real, labels])
    assert tuple(logits.shape) == (5, 1)
    assert gan.preset_probe().shape == (4,) + image_shape


def test_default_sizes_and_optimizers():
    gan = DCGAN()
    assert 500_000 <= gan.generator.count_params() <= 1_000_000
    assert 100_000 <= gan.discriminator.count_params() <= 300_000
    gan.compile()
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(2e-4) and optimizer.beta_1 == 0.5
    wgan = tiny(loss="wgan-gp")
    wgan.compile()
    assert float(wgan.d_optimizer.learning_rate) == pytest.approx(1e-4)
    assert (wgan.d_optimizer.beta_1, wgan.d_optimizer.beta_2) == (0.0, 0.9)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in wgan.discriminator.layers)


def test_sample_latent_and_truncation():
    gan = tiny()
    z = gan.sample_latent(500, seed=0)
    assert z.shape == (500, LATENT) and z.dtype == np.float32 and np.abs(z).max() > 2.0
    np.testing.assert_array_equal(z, gan.sample_latent(500, seed=0))
    assert not np.array_equal(z, gan.sample_latent(500, seed=1))
    for threshold in (0.1, 0.5, 2.0):
        truncated = gan.sample_latent(500, seed=0, truncation=threshold)
        assert truncated.shape == (500, LATENT) and np.abs(truncated).max() <= threshold
    np.testing.assert_array_equal(
        gan.generate(3, seed=0, truncation=0.5), gan.generate(z=gan.sample_latent(3, seed=0, truncation=0.5))
    )


def test_generate_is_reproducible_and_independent_of_batching():
    gan = tiny()
    images = gan.generate(7, seed=3)
    np.testing.assert_array_equal(images, gan.generate(7, seed=3))
    assert not np.array_equal(images, gan.generate(7, seed=4))
    np.testing.assert_allclose(gan.generate(7, seed=3, batch_size=3), images, atol=1e-6)
    np.testing.assert_allclose(gan(gan.sample_latent(7, seed=3)).numpy(), images, atol=1e-6)


@pytest.mark.parametrize("method", ["slerp", "lerp"])
@pytest.mark.parametrize("num_classes", [None, CLASSES])
def test_interpolate_ends_at_the_endpoints(method, num_classes):
    gan = tiny(num_classes=num_classes)
    labels = None if num_classes is None else 4
    z = gan.sample_latent(2, seed=0)
    strip = gan.interpolate(z[0], z[1], steps=6, method=method, labels=labels)
    assert strip.shape == (6, 28, 28, 1)
    np.testing.assert_allclose(strip[[0, -1]], gan.generate(z=z, labels=labels), atol=1e-5)


def weights_of(model):
    return [w.copy() for w in model.get_weights()]


def changed(before, model):
    return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize(
    "loss, kwargs",
    [
        ("minimax", {}),
        ("non_saturating", {}),
        ("least_squares", {}),
        ("wgan-gp", {"d_steps": 2}),
        ("hinge", {"num_classes": CLASSES}),
    ],
)
def test_a_few_steps_move_both_networks(loss, kwargs, x, y):
    gan = tiny(loss=loss, **kwargs)
    gan.compile()
    d_before, g_before = weights_of(gan.discriminator), weights_of(gan.generator)
    labels = y if "num_classes" in kwargs else None
    history = gan.fit(x, labels, epochs=2, batch_size=8, verbose=0).history
    expected = {"d_loss", "g_loss", "d_real", "d_fake"} | ({"gp"} if loss == "wgan-gp" else set())
    assert set(history) == expected
    assert all(np.all(np.isfinite(values)) for values in history.values())
    assert changed(d_before, gan.discriminator) and changed(g_before, gan.generator)
    steps = 4  # 2 epochs of 2 batches
    assert int(gan.g_optimizer.iterations) == steps
    assert int(gan.d_optimizer.iterations) == steps * gan.d_steps
    if loss in ("minimax", "non_saturating"):  # probabilities
        assert all(0 <= v <= 1 for v in history["d_real"] + history["d_fake"])


def test_fit_on_a_dataset_with_labels(x, y):
    gan = tiny(num_classes=CLASSES)
    gan.compile()
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8, drop_remainder=True)
    history = gan.fit(dataset, epochs=1, verbose=0, shuffle=False).history
    assert np.isfinite(history["g_loss"][0])
    scores = gan.evaluate(dataset, verbose=0, return_dict=True)
    assert set(scores) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v) for v in scores.values())


@pytest.mark.slow  # an XLA compile of each family's step
def test_xla_compiled_steps(x, y):
    gan = tiny(loss="wgan-gp", num_classes=CLASSES, ema=0.9)  # double backprop, labels and averaging
    gan.compile(jit_compile=True)
    history = gan.fit(x[:8], y[:8], epochs=1, batch_size=8, verbose=0).history
    assert gan.jit_compile and all(np.isfinite(v[0]) for v in history.values())


def test_generate_does_not_retrace():
    from kgen.models.gan import generate_batch

    gan = tiny()
    gan.generate(5, seed=0)
    traces = generate_batch.experimental_get_tracing_count()
    gan.generate(5, seed=1)
    gan.generate(z=gan.sample_latent(5, seed=2))
    assert generate_batch.experimental_get_tracing_count() == traces
    for n in (3, 17, 40, 2):  # other sizes: one more, relaxed trace serves them all
        gan.generate(n, seed=0)
    assert generate_batch.experimental_get_tracing_count() <= traces + 1


def test_ema_generator_averages_the_weights(x):
    gan = tiny(ema=0.75)
    gan.compile()
    start = weights_of(gan.generator)
    np.testing.assert_array_equal(np.concatenate([w.ravel() for w in start]),
                                  np.concatenate([w.ravel() for w in gan.ema_generator.get_weights()]))
    gan.fit(x[:8], epochs=1, batch_size=8, verbose=0)  # one generator update
    for variable, before, average in zip(gan.generator.weights, start, gan.ema_generator.get_weights()):
        now = variable.numpy()
        expected = 0.75 * before + 0.25 * now if variable.trainable else now
        np.testing.assert_allclose(average, expected, rtol=1e-5, atol=1e-7)
    z = gan.sample_latent(3, seed=0)
    np.testing.assert_allclose(gan.generate(z=z), (gan.ema_generator(z, training=False).numpy() + 1) / 2, atol=1e-6)
    assert not np.allclose(gan.generate(z=z), (gan.generator(z, training=False).numpy() + 1) / 2)


def test_config_round_trip(trained):
    clone = DCGAN.from_config(trained.get_config())
    clone.set_weights(trained.get_weights())
    assert clone.get_config() == trained.get_config()
    np.testing.assert_array_equal(clone.generate(6, labels=3, seed=1), trained.generate(6, labels=3, seed=1))
    config = DCGAN(latent_dim=LATENT, base_filters=8).get_config()
    assert {"latent_dim", "image_shape", "num_classes", "loss", "base_filters", "d_steps", "gp_weight", "ema",
            "seed", "generator", "discriminator"} <= set(config)


def test_keras_round_trip_stays_compiled(trained, tmp_path):
    trained.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras")
    assert type(loaded) is DCGAN and loaded.compiled
    np.testing.assert_array_equal(loaded.generate(6, labels=[0, 1, 2, 3, 4, 5], seed=2),
                                  trained.generate(6, labels=[0, 1, 2, 3, 4, 5], seed=2))
    for name in ("d_optimizer", "g_optimizer"):
        original, restored = getattr(trained, name), getattr(loaded, name)
        assert type(restored) is type(original) and int(restored.iterations) == int(original.iterations) > 0
        np.testing.assert_array_equal(restored.variables[-1].numpy(), original.variables[-1].numpy())
    images = np.random.default_rng(0).random((8, 28, 28, 1), dtype="float32")
    history = loaded.fit(images, np.arange(8) % CLASSES, epochs=1, batch_size=8, verbose=0).history
    assert np.isfinite(history["d_loss"][0])


def test_preset_round_trip(trained, tmp_path):
    trained.save_to_preset(tmp_path / "preset")
    loaded = DCGAN.from_preset(str(tmp_path / "preset"))
    np.testing.assert_array_equal(loaded.preset_probe(), trained.preset_probe())
    np.testing.assert_array_equal(loaded.generate(4, labels=9, seed=0), trained.generate(4, labels=9, seed=0))


def test_gan_from_parts():
    generator = dcgan_generator(LATENT, (32, 32, 3), base_filters=4)
    gan = GAN(generator, dcgan_discriminator((32, 32, 3), base_filters=4), LATENT, loss="least_squares")
    assert gan.image_shape == (32, 32, 3) and gan.generate(2, seed=0).shape == (2, 32, 32, 3)
    clone = GAN.from_config(gan.get_config())
    assert clone.get_config() == gan.get_config()


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda g, c: g.generate(0), KgenValueError, "n must be an integer >= 1; got 0"),
        (lambda g, c: g.sample_latent(-2), KgenValueError, "n must be an integer >= 1; got -2"),
        (lambda g, c: g.generate(2, truncation=0), KgenValueError, "truncation must be a finite number > 0"),
        (lambda g, c: g.sample_latent(2, truncation=-1.0), KgenValueError, "truncation must be a finite number > 0"),
        (lambda g, c: g.generate(), KgenValueError, r"exactly one of n and z must be given \(or neither, with one label per image\); got neither"),
        (lambda g, c: c.generate(labels=3), KgenValueError, "got neither"),
        (lambda g, c: g.generate(2, z=np.zeros((2, LATENT))), KgenValueError, "got both"),
        (lambda g, c: g.generate(z=np.zeros((2, 3))), KgenValueError, rf"z must be an array of shape \(n, {LATENT}\)"),
        (lambda g, c: g.generate(z=np.zeros((2, LATENT)), seed=1), KgenValueError, "seed must be None when z is given"),
        (lambda g, c: g.generate(2, labels=1), KgenValueError, "labels must be None: the GAN is unconditional"),
        (lambda g, c: c.generate(2), KgenValueError, r"labels must be class labels in \[0, 10\)"),
        (lambda g, c: c.generate(2, labels=10), KgenValueError, r"labels must be class labels in \[0, 10\); got values in \[10, 10\]"),
        (lambda g, c: c.generate(2, labels=[-1, 0]), KgenValueError, r"got values in \[-1, 0\]"),
        (lambda g, c: c.generate(2, labels=[1, 2, 3]), KgenValueError, "labels must be an int or an array of 2 ints"),
        (lambda g, c: c.generate(2, labels=[0.5, 1.0]), KgenTypeError, "labels must be integer class labels"),
        (lambda g, c: g.interpolate(np.zeros(LATENT), np.ones(LATENT), steps=1), KgenValueError, "steps must be an integer >= 2"),
        (lambda g, c: g.interpolate(np.zeros(LATENT), np.ones(LATENT), method="cubic"), KgenValueError,
         "method must be one of 'slerp', 'lerp'"),
        (lambda g, c: g.interpolate(np.zeros(3), np.ones(LATENT)), KgenValueError, r"z0 must be an array of shape \(n, 8\)"),
    ],
)
def test_bad_sampling_input(call, error, message):
    with pytest.raises(error, match=message):
        call(tiny(), tiny(num_classes=CLASSES))


@pytest.mark.parametrize(
    "conditional, data, message",
    [
        (False, lambda x, y: (np.repeat(x, 3, axis=-1), None), r"x must be a batch of images of shape \(n, 28, 28, 1\)"),
        (False, lambda x, y: (np.zeros((4, 32, 32, 1), "float32"), None), r"shape \(n, 28, 28, 1\)"),
        (False, lambda x, y: (x * 255, None), r"x must have values in \[0.0, 1.0\]"),
        (False, lambda x, y: (x, y), "y must be None: the GAN is unconditional"),
        (True, lambda x, y: (x, None), r"y must be class labels in \[0, 10\)"),
        (True, lambda x, y: (x, y + 5), r"y must be class labels in \[0, 10\); got values in \[5, 14\]"),
        (True, lambda x, y: (tf.data.Dataset.from_tensor_slices(x).batch(8), None), r"y must be class labels in \[0, 10\)"),
        (False, lambda x, y: (tf.data.Dataset.from_tensor_slices((x, y)).batch(8), None), "y must be None"),
        (False, lambda x, y: (tf.data.Dataset.from_tensor_slices(np.repeat(x, 3, axis=-1)).batch(8), None),
         r"x must be batches of images of shape \(n, 28, 28, 1\)"),
    ],
)
def test_bad_training_data(conditional, data, message, x, y):
    gan = tiny(num_classes=CLASSES if conditional else None)
    gan.compile()
    inputs, labels = data(x, y)
    batch_size = None if isinstance(inputs, tf.data.Dataset) else 8
    with pytest.raises(KgenValueError, match=message):
        gan.fit(inputs, labels, epochs=1, batch_size=batch_size, verbose=0, shuffle=False)


def test_bad_constructor_arguments():
    with pytest.raises(KgenValueError, match="loss must be one of 'minimax', 'non_saturating', 'least_squares', 'wgan-gp'"):
        tiny(loss="wgan")
    with pytest.raises(KgenValueError, match=r"image_shape must be \(28, 28, c\), \(32, 32, c\) or \(64, 64, c\)"):
        tiny((30, 30, 1))
    with pytest.raises(KgenValueError, match="num_classes must be an integer >= 2; got 1"):
        tiny(num_classes=1)
    with pytest.raises(KgenValueError, match=r"ema must be a finite number > 0.0 and < 1.0; got 1.0"):
        tiny(ema=1.0)
    with pytest.raises(KgenValueError, match="d_steps must be an integer >= 1; got 0"):
        tiny(d_steps=0)
    with pytest.raises(KgenValueError, match="discriminator must be a model taking the generator's images"):
        GAN(dcgan_generator(LATENT, (32, 32, 1), base_filters=4), dcgan_discriminator(base_filters=4), LATENT)
    with pytest.raises(KgenValueError, match=r"generator must be a model whose inputs are z only \(num_classes=None\)"):
        GAN(dcgan_generator(LATENT, num_classes=3, base_filters=4), dcgan_discriminator(base_filters=4), LATENT)
    with pytest.raises(KgenValueError, match=r"generator must be a model from z \(n, 4\)"):
        GAN(dcgan_generator(LATENT, base_filters=4), dcgan_discriminator(base_filters=4), 4)
    with pytest.raises(KgenTypeError, match="discriminator must be a built functional or sequential keras.Model"):
        GAN(dcgan_generator(LATENT, base_filters=4), "critic", LATENT)
    with pytest.raises(KgenTypeError, match="generator must be a built functional or sequential keras.Model"):
        GAN(keras.Sequential([keras.layers.Dense(4)]), dcgan_discriminator(base_filters=4), LATENT)


def test_sample_grid_and_frechet_distance_callbacks(tmp_path, x, y):
    gan = tiny(num_classes=CLASSES)
    gan.compile()
    pattern = str(tmp_path / "grids" / "epoch_{epoch:02d}.png")
    grid = SampleGrid(pattern, every=1, num=20)
    fd = FrechetDistance(x, every=2, num_samples=16, features=lambda images: images.reshape(len(images), -1)[:, ::80])
    history = gan.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[grid, fd]).history
    assert sorted(p.name for p in (tmp_path / "grids").iterdir()) == ["epoch_01.png", "epoch_02.png"]
    assert len(history["fd"]) == 1 and history["fd"][0] > 0
    from PIL import Image

    width, height = Image.open(tmp_path / "grids" / "epoch_02.png").size
    assert width > height  # 10 classes per row, 2 rows
    with pytest.raises(KgenValueError, match=r"reference must be a batch of images of shape \(n, 28, 28, 1\)"):
        gan.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[FrechetDistance(x[:, :14, :14], features=np.asarray, num_samples=4)])


def test_divergence_guard_stops_on_a_non_finite_loss_and_keeps_the_last_good_checkpoint(x, capsys, tmp_path):
    from kgen.callbacks import AtomicCheckpoint

    gan = tiny()
    gan.compile()
    checkpoint = str(tmp_path / "last.weights.h5")
    gan.fit(x, epochs=1, batch_size=8, verbose=0, callbacks=[AtomicCheckpoint(checkpoint)])
    good = open(checkpoint, "rb").read()
    poisoned = np.where(np.arange(24)[:, None, None, None] >= 16, np.nan, np.concatenate([x, x[:8]])).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(poisoned).batch(8)  # batch 3 is NaN
    guard = DivergenceGuard()
    history = gan.fit(dataset, epochs=5, verbose=0, shuffle=False, callbacks=[guard, AtomicCheckpoint(checkpoint)]).history
    assert len(history["d_loss"]) == 1
    assert guard.message.startswith("DivergenceGuard: d_loss became nan at epoch 1, batch 3 (step 3); last finite "
                                    "values: d_loss=")
    assert "g_loss=" in guard.message and guard.message in capsys.readouterr().out
    assert open(checkpoint, "rb").read() == good
    with pytest.raises(KgenTypeError, match="monitor must be a log name or a tuple of log names"):
        DivergenceGuard(monitor=3)


PRIOR = [0.5, 0.25, 0.25]


def test_class_prior_makes_labels_optional_when_sampling():
    gan = tiny(num_classes=3, class_prior=PRIOR)
    assert not gan.labels_required and tiny(num_classes=3).labels_required
    z = gan.sample_latent(20000, seed=0)
    labels = gan.prior_labels(z)
    assert labels.dtype == np.int32
    # distributed as the prior (chi-square, 2 degrees of freedom, p < 0.001 would fail) ...
    counts = np.bincount(labels, minlength=3)
    expected = 20000 * np.array(PRIOR)
    assert np.sum((counts - expected) ** 2 / expected) < 13.8
    # ... also for truncated latents, whose values are not N(0, 1)
    truncated = np.bincount(gan.prior_labels(gan.sample_latent(20000, seed=1, truncation=0.1)), minlength=3)
    assert np.sum((truncated - expected) ** 2 / expected) < 13.8
    # a function of each latent alone: the same in any batch
    np.testing.assert_array_equal(gan.prior_labels(z[5:9]), labels[5:9])
    np.testing.assert_array_equal(gan.generate(z=z[:6]), gan.generate(z=z[:6], labels=labels[:6]))
    np.testing.assert_array_equal(gan.generate(6, seed=0), gan.generate(z=z[:6]))
    np.testing.assert_array_equal(gan.generate(3, labels=2, seed=0), gan.generate(z=z[:3], labels=[2, 2, 2]))
    # z0's label serves the whole interpolation path
    path = gan.interpolate(z[0], z[1], steps=4)
    np.testing.assert_array_equal(path, gan.interpolate(z[0], z[1], steps=4, labels=int(labels[0])))
    np.testing.assert_allclose(path[0], gan.generate(z=z[:1])[0], atol=1e-6)  # batch sizes differ


def test_class_prior_round_trips_and_still_needs_labels_to_fit(x, tmp_path):
    gan = tiny(num_classes=3, class_prior=PRIOR)
    clone = DCGAN.from_config(gan.get_config())
    assert clone.class_prior == PRIOR and clone.get_config() == gan.get_config()
    gan.compile()
    with pytest.raises(KgenValueError, match=r"y must be class labels in \[0, 3\): the GAN is conditional"):
        gan.fit(x, epochs=1, batch_size=8, verbose=0)
    gan.fit(x, np.arange(16) % 3, epochs=1, batch_size=8, verbose=0)
    gan.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras")
    assert loaded.class_prior == PRIOR
    np.testing.assert_array_equal(loaded.generate(4, seed=3), gan.generate(4, seed=3))


def test_callbacks_draw_from_the_class_prior(tmp_path, x):
    gan = tiny(num_classes=3, class_prior=[0.0, 1.0, 0.0])
    gan.compile()
    grid = SampleGrid(str(tmp_path / "e{epoch}.png"), num=4)
    fd = FrechetDistance(x, num_samples=16, features=keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten()]))
    history = gan.fit(x, np.ones(16, "int32"), epochs=1, batch_size=8, verbose=0, callbacks=[grid, fd])
    assert grid.drawn_labels.tolist() == [1, 1, 1, 1] and (tmp_path / "e1.png").exists()
    assert np.isfinite(history.history["fd"][0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(class_prior=[0.5, 0.5]), "class_prior must be None: the GAN is unconditional"),
        (dict(num_classes=3, class_prior=[0.5, 0.5]), "class_prior must be 3 .num_classes. non-negative probabilities"),
        (dict(num_classes=3, class_prior=[0.5, 0.4, 0.3]), "summing to 1"),
        (dict(num_classes=3, class_prior=[1.5, -0.5, 0.0]), "non-negative"),
        (dict(num_classes=3, class_prior=[np.nan, 0.5, 0.5]), "class_prior must"),
    ],
)
def test_bad_class_prior(kwargs, message):
    with pytest.raises(KgenValueError, match=message):
        tiny(**kwargs)


def test_prior_labels_needs_a_prior_and_latents():
    with pytest.raises(KgenValueError, match="class_prior must be a prior over the classes"):
        tiny(num_classes=3).prior_labels(np.zeros((2, LATENT)))
    with pytest.raises(KgenValueError, match=r"z must be an array of shape \(n, 8\)"):
        tiny(num_classes=3, class_prior=PRIOR).prior_labels(np.zeros((2, 3)))


def test_recipe_self_conditions_on_kmeans_clusters():
    from kgen.clustering import cluster_labels
    from kgen.recipes import DCGANFashionMNIST, ImageData

    rng = np.random.default_rng(0)
    dark, bright = rng.random((96, 28, 28, 1)) * 0.2, 0.8 + rng.random((32, 28, 28, 1)) * 0.2
    images = np.concatenate([dark, bright]).astype("float32")
    assignments, prior = cluster_labels(images, 2)
    assert sorted(prior) == [0.25, 0.75] and len(set(assignments[:96])) == 1 and len(set(assignments[96:])) == 1
    for clusters, classes in ((2, 2), (None, None)):
        recipe = DCGANFashionMNIST(epochs=1, batch_size=64, latent_dim=8, clusters=clusters, ema=None)
        data = recipe.prepare(ImageData(images))
        gan = recipe.build(data)
        recipe.fit(gan, data, verbose=0)
        assert gan.num_classes == classes and not gan.labels_required
        assert gan.generate(3, seed=0).shape == (3, 28, 28, 1)
    assert sorted(DCGANFashionMNIST(clusters=2).prepare(ImageData(images)).class_prior) == [0.25, 0.75]


def test_generate_takes_n_from_the_labels():
    gan = tiny(num_classes=CLASSES)
    images = gan.generate(labels=[0, 1, 2], seed=0)
    assert images.shape == (3, 28, 28, 1)
    z = gan.sample_latent(3, seed=0)
    np.testing.assert_array_equal(images, gan.generate(z=z, labels=[0, 1, 2]))
    with pytest.raises(KgenValueError, match="labels must be None: the GAN is unconditional"):
        tiny().generate(labels=[0, 1])


def test_generate_uses_the_inference_copy_only_for_covered_generators():
    from kgen.models import gan as gan_module
    from kgen.models import inference

    covered = tiny(num_classes=CLASSES)
    assert inference.covers(covered.generator)
    assert isinstance(gan_module.sampling_network(covered.generator), keras.Model)
    assert gan_module.sampling_network(covered.generator) is not covered.generator

    class Doubling(keras.layers.Layer):  # a user's own layer: no parity test covers it
        def call(self, x):
            return 2.0 * x

    z = keras.Input((LATENT,))
    h = keras.layers.Reshape((7, 7, 4))(keras.layers.Dense(7 * 7 * 4)(z))
    h = keras.layers.BatchNormalization()(Doubling()(h))
    images = keras.layers.Conv2DTranspose(1, 4, strides=4, padding="same", activation="tanh")(h)
    own = GAN(keras.Model(z, images), dcgan_discriminator(base_filters=4), LATENT)
    assert not inference.covers(own.generator)
    assert gan_module.sampling_network(own.generator) is own.generator
    latents = own.sample_latent(3, seed=1)
    expected = (own.generator(latents, training=False).numpy() + 1.0) / 2.0
    np.testing.assert_allclose(own.generate(z=latents), np.clip(expected, 0.0, 1.0), atol=1e-6)
