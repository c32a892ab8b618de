import keras
import numpy as np
import pytest
import tensorflow_probability as tfp

from kgen.callbacks import KLWarmup
from kgen.errors import KgenTypeError, KgenValueError
from kgen.models import VAE
from kgen.models import vae_networks as nets

tfd = tfp.distributions
LATENT = 3


def mlp_vae(likelihood="bernoulli", image_shape=(28, 28, 1), **kwargs):
    return VAE(
        nets.mlp_encoder(image_shape, LATENT, hidden=(32,)),
        nets.mlp_decoder(image_shape, LATENT, hidden=(32,)),
        LATENT,
        likelihood=likelihood,
        seed=0,
        **kwargs,
    )


@pytest.fixture
def vae():
    return mlp_vae()


@pytest.fixture
def x():
    rng = np.random.default_rng(0)
    return (rng.random((12, 28, 28, 1)) < 0.3).astype("float32")


def test_encode_returns_a_tfp_distribution(vae, x):
    q = vae.encode(x)
    assert isinstance(q, tfd.Distribution)
    assert q.batch_shape == (12,) and q.event_shape == (LATENT,)
    assert q.sample(5, seed=(0, 1)).shape == (5, 12, LATENT)
    assert np.all(q.stddev().numpy() >= vae.min_scale)


def test_shapes_and_ranges(vae, x):
    z = vae.sample_latent(4, seed=0)
    assert z.shape == (4, LATENT)
    for images in (vae.decode(z), vae.reconstruct(x[:4]), vae.sample(4, seed=0)):
        assert images.shape == (4, 28, 28, 1) and images.min() >= 0 and images.max() <= 1
    np.testing.assert_array_equal(vae.sample(4, seed=3), vae.sample(4, seed=3))
    assert not np.array_equal(vae.sample(4, seed=3), vae.sample(4, seed=4))
    elbo = vae.elbo(x)
    assert elbo.shape == (12,) and np.all(np.isfinite(elbo)) and np.all(elbo < 0)
    assert vae.log_likelihood(x, num_samples=7).shape == (12,)


@pytest.mark.parametrize("method", ["slerp", "lerp"])
def test_interpolate_ends_at_the_posterior_means(vae, x, method):
    strip = vae.interpolate(x[0], x[1], steps=5, method=method)
    assert strip.shape == (5, 28, 28, 1)
    means = vae.encode(x[:2]).mean().numpy()
    np.testing.assert_allclose(strip[[0, -1]], vae.decode(means), atol=1e-5)


def test_elbo_below_iwae_bounds_which_grow_with_k(vae, x):
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    vae.fit(x, epochs=30, batch_size=12, verbose=0)  # a posterior narrower than the prior
    seeds = range(3)
    elbo = np.mean([vae.elbo(x, num_samples=200, seed=s).mean() for s in seeds])
    bounds = [np.mean([vae.log_likelihood(x, num_samples=k, seed=s).mean() for s in seeds]) for k in (1, 10, 100, 1000)]
    # k = 1 is an unbiased ELBO estimate: within Monte Carlo noise of the 200-sample ELBO
    assert abs(bounds[0] - elbo) < 2.0
    assert elbo < bounds[1] - 1.0
    assert bounds[1] < bounds[2] < bounds[3] + 0.05


def test_analytic_and_monte_carlo_kl_agree(x):
    analytic = mlp_vae(kl="analytic")
    monte_carlo = mlp_vae(kl="monte_carlo")
    monte_carlo.set_weights(analytic.get_weights())
    a = analytic.elbo(x, num_samples=2000).mean()
    b = monte_carlo.elbo(x, num_samples=2000).mean()
    assert abs(a - b) < 0.5


def test_training_lowers_the_loss(vae, x):
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = vae.evaluate(x, verbose=0, return_dict=True)
    history = vae.fit(x, epochs=30, batch_size=12, verbose=0)
    after = vae.evaluate(x, verbose=0, return_dict=True)
    assert set(history.history) == {"loss", "reconstruction", "kl"}
    assert np.all(np.isfinite(history.history["loss"]))
    assert after["loss"] < before["loss"] - 20


def test_gaussian_likelihood_trains(x):
    for scale, shape in (("per_pixel", (28, 28, 1)), ("global", ())):
        vae = mlp_vae("gaussian", gaussian_scale=scale)
        assert tuple(vae.gaussian_log_scale.shape) == shape
        vae.compile()
        history = vae.fit(x * 4.0 - 2.0, epochs=3, batch_size=6, verbose=0)
        assert np.all(np.isfinite(history.history["loss"]))


@pytest.mark.parametrize("image_shape", [(28, 28, 1), (32, 32, 3)])
def test_conv_networks(image_shape):
    vae = VAE(nets.conv_encoder(image_shape, 4), nets.conv_decoder(image_shape, 4), 4)
    images = np.random.default_rng(0).random((2,) + image_shape).astype("float32")
    assert vae.reconstruct(images).shape == (2,) + image_shape
    with pytest.raises(KgenValueError, match="image_shape must be a height and width divisible by 4"):
        nets.conv_encoder((30, 30, 1), 4)


def test_config_and_keras_round_trips(vae, x, tmp_path):
    z = vae.sample_latent(3, seed=1)
    clone = VAE.from_config(vae.get_config())
    clone.set_weights(vae.get_weights())
    np.testing.assert_array_equal(clone.decode(z), vae.decode(z))
    assert clone.get_config() == vae.get_config()
    vae.save(tmp_path / "vae.keras")
    loaded = keras.saving.load_model(tmp_path / "vae.keras")
    np.testing.assert_array_equal(loaded.decode(z), vae.decode(z))
    np.testing.assert_array_equal(loaded.elbo(x, seed=5), vae.elbo(x, seed=5))


def test_kl_warmup_anneals_beta(vae, x):
    vae.compile()
    history = vae.fit(x, epochs=4, batch_size=4, verbose=0, callbacks=[KLWarmup(epochs=2)])
    # 3 batches per epoch: the last batch of epoch e runs at beta = min(1, (e + 2/3) / 2)
    np.testing.assert_allclose(history.history["beta"], [1 / 3, 5 / 6, 1.0, 1.0], atol=1e-6)
    assert float(vae.beta.numpy()) == 1.0
    assert vae.get_config()["beta"] == 1.0


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda v, x: v.encode(x * 255), KgenValueError, r"x must have values in \[0.0, 1.0\]"),
        (lambda v, x: v.encode(x[..., 0]), KgenValueError, r"x must be a batch of images of shape \(n, 28, 28, 1\)"),
        (lambda v, x: v.elbo(np.repeat(x, 3, axis=-1)), KgenValueError, r"shape \(n, 28, 28, 1\)"),
        (lambda v, x: v.elbo(np.where(x > 0, np.nan, x)), KgenValueError, "x must be finite"),
        (lambda v, x: v.log_likelihood(x, num_samples=0), KgenValueError, "num_samples must be an integer >= 1; got 0"),
        (lambda v, x: v.decode(np.zeros((2, LATENT + 1))), KgenValueError, rf"z must be an array of shape \(n, {LATENT}\)"),
        (lambda v, x: v.sample(0), KgenValueError, "n must be an integer >= 1"),
        (lambda v, x: v.interpolate(x[0], x[1], steps=1), KgenValueError, "steps must be an integer >= 2"),
        (lambda v, x: v.interpolate(x[0], x[1], method="cubic"), KgenValueError, "method must be one of 'slerp', 'lerp'"),
    ],
)
def test_bad_input(vae, x, call, error, message):
    with pytest.raises(error, match=message):
        call(vae, x)


def test_bad_constructor_arguments():
    with pytest.raises(KgenValueError, match="likelihood must be one of 'bernoulli', 'gaussian'; got 'poisson'"):
        mlp_vae("poisson")
    with pytest.raises(KgenValueError, match=r"encoder must be a model with output shape \(n, 6\)"):
        VAE(nets.mlp_encoder(latent_dim=4), nets.mlp_decoder(latent_dim=3), 3)
    with pytest.raises(KgenTypeError, match="decoder must be a keras.Model"):
        VAE(nets.mlp_encoder(latent_dim=3), "decoder", 3)


def test_shipped_vae_on_1000_test_images(fashion_mnist_test):
    from kgen import datasets

    vae = VAE.from_preset("vae_fashion_mnist")
    x = datasets.binarize(fashion_mnist_test[0][:1000], seed=0)
    stated = VAE.presets["vae_fashion_mnist"].metrics
    # the first 1,000 images: within about 3 standard errors (~2.4 nats each) of the full-split figure
    assert abs(vae.elbo(x, num_samples=10).mean() - stated["test_elbo"]) < 8.0
    assert abs(-vae.log_likelihood(x[:200], num_samples=100).mean() - stated["test_nll_iwae_k1000"]) < 15.0


@pytest.mark.parametrize("scale", [2.0, np.full((3, 4), 2.0, "float32")], ids=["scalar scale", "full scale"])
def test_the_analytic_kl_of_a_diagonal_posterior_takes_a_scalar_or_a_full_scale(scale):
    from kgen import losses

    tfd = tfp.distributions
    posterior = tfd.Independent(tfd.Normal(np.ones((3, 4), "float32"), scale), 1)
    prior = tfd.MultivariateNormalDiag(np.zeros(4, "float32"), np.ones(4, "float32"))
    per_dim = 0.5 * (4.0 + 1.0 - 1.0 - np.log(4.0))  # KL(N(1, 2^2) || N(0, 1))
    np.testing.assert_allclose(losses.kl_divergence(posterior, prior).numpy(), np.full(3, 4 * per_dim), rtol=1e-5)
