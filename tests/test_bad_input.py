"""Property test: random shapes, dtypes and values thrown at kgen's public entry points either work
or raise a `KgenError`, never a raw TensorFlow, numpy, json or Python error."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kgen
from kgen.errors import KgenError

DTYPES = st.sampled_from(["float32", "float64", "int32", "int64", "bool", "uint8"])
SPECIAL = st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, np.nan, np.inf, -np.inf, 1e30, -3.0])


@st.composite
def arrays(draw, max_dims=4, max_side=5):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=max_side))
    dtype = np.dtype(draw(DTYPES))
    if dtype.kind == "f":
        elements = st.one_of(SPECIAL, st.floats(-2, 2, width=32))
    elif dtype.kind == "b":
        elements = st.booleans()
    else:
        elements = st.integers(0, 255 if dtype == np.uint8 else 20) | st.integers(-5, 5).filter(lambda v: dtype.kind != "u" or v >= 0)
    return draw(hnp.arrays(dtype, shape, elements=elements))


ANYTHING = st.one_of(
    arrays(),
    st.none(),
    st.integers(-3, 70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.lists(st.integers(-2, 5), max_size=4),
    st.just({"a": 1}),
)


def works_or_kgen_error(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except KgenError:
        pass


COMMON = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture(scope="module")
def tiny_models():
    from kgen.models import DCGAN, VAE, Classifier
    from kgen.models import vae_networks as nets

    return {
        "gan": DCGAN(latent_dim=4, base_filters=2),
        "cgan": DCGAN(latent_dim=4, base_filters=2, num_classes=3),
        "vae": VAE(nets.mlp_encoder(latent_dim=2, hidden=(4,)), nets.mlp_decoder(latent_dim=2, hidden=(4,)), 2),
        "classifier": Classifier(filters=(2,), dense_units=4, dropout=0.0),
    }


@COMMON
@given(st.sampled_from(["bernoulli_from_uniform", "categorical_from_uniform", "lerp", "slerp"]), ANYTHING, ANYTHING,
       st.one_of(st.none(), st.integers(-2, 6), st.floats(allow_nan=True)))
def test_samplers(name, a, b, c):
    function = getattr(kgen.sampling, name)
    works_or_kgen_error(function, a, b, c) if name in ("lerp", "slerp") else works_or_kgen_error(function, a, b)


@COMMON
@given(ANYTHING, ANYTHING, ANYTHING)
def test_truncation_hashing_and_labels(a, b, c):
    works_or_kgen_error(kgen.sampling.truncated_normal, a, b, c)
    works_or_kgen_error(kgen.sampling.hashed_uniform, a)
    works_or_kgen_error(kgen.sampling.classes_in_turn, a, b)
    works_or_kgen_error(kgen.sampling.empirical_inverse_cdf, a)


@COMMON
@given(ANYTHING, ANYTHING)
def test_metrics(a, b):
    flat = lambda x: np.asarray(x, "float32").reshape(len(x), -1)  # noqa: E731
    works_or_kgen_error(kgen.metrics.frechet_distance, a, b, flat)
    works_or_kgen_error(kgen.metrics.gaussian_statistics, a)
    works_or_kgen_error(kgen.metrics.nearest_neighbors, a, b)
    works_or_kgen_error(kgen.metrics.frechet_distance_from_statistics, a, b, a, b)


@COMMON
@given(st.sampled_from(["generate", "sample_latent", "interpolate", "prior_labels", "fit"]), ANYTHING, ANYTHING,
       st.booleans())
def test_gan_methods(tiny_models, name, a, b, conditional):
    gan = tiny_models["cgan" if conditional else "gan"]
    calls = {
        "generate": lambda: gan.generate(a, labels=b) if isinstance(a, int) else gan.generate(z=a, labels=b),
        "sample_latent": lambda: gan.sample_latent(a, seed=b),
        "interpolate": lambda: gan.interpolate(a, b, steps=3),
        "prior_labels": lambda: gan.prior_labels(a),
        "fit": lambda: gan.fit(a, b, epochs=1, batch_size=2, verbose=0),
    }
    if name == "fit":
        gan.compile()
    works_or_kgen_error(calls[name])


@COMMON
@given(st.sampled_from(["encode", "decode", "sample", "reconstruct", "elbo", "log_likelihood", "interpolate"]),
       ANYTHING, ANYTHING)
def test_vae_methods(tiny_models, name, a, b):
    vae = tiny_models["vae"]
    calls = {
        "encode": lambda: vae.encode(a),
        "decode": lambda: vae.decode(a),
        "sample": lambda: vae.sample(a, seed=b),
        "reconstruct": lambda: vae.reconstruct(a),
        "elbo": lambda: vae.elbo(a, num_samples=b),
        "log_likelihood": lambda: vae.log_likelihood(a, num_samples=b),
        "interpolate": lambda: vae.interpolate(a, b, steps=3),
    }
    works_or_kgen_error(calls[name])


@COMMON
@given(ANYTHING, ANYTHING)
def test_classifier_methods(tiny_models, a, b):
    classifier = tiny_models["classifier"]
    works_or_kgen_error(classifier.predict_proba, a)
    works_or_kgen_error(classifier.features, a)
    works_or_kgen_error(kgen.models.Classifier.from_preset, a)


@COMMON
@given(ANYTHING, ANYTHING, ANYTHING)
def test_mdp_tools(a, b, c):
    from kgen.rl import mdp

    works_or_kgen_error(mdp.MDP, a, b, c)
    works_or_kgen_error(mdp.GridWorld, a)
    works_or_kgen_error(mdp.discounted_return, a, b)
    works_or_kgen_error(mdp.returns_to_go, a, b)


@COMMON
@given(st.lists(st.sampled_from(["sample", "eval", "train", "dcgan", "dqn", "--num", "--limit", "-3", "x", "0",
                                 "vae_fashion_mnist", "nope", "--env", "Pong-v9", "--epochs", "--out", "--seed",
                                 "none", "1e400", "presets", "card", "--label", "99"]), max_size=6))
def test_cli_arguments(tmp_path_factory, words):
    from kgen import cli

    out = str(tmp_path_factory.mktemp("cli") / "o")
    argv = [out if word == "x" else word for word in words]
    try:
        status = cli.main(argv)
    except SystemExit as error:  # argparse's usage error (exit 2) or --help (0)
        assert error.code in (0, 2)
    else:
        assert status in (0, 1)


@COMMON
@given(ANYTHING, ANYTHING, ANYTHING)
def test_estimators(params, num_samples, baseline):
    import tensorflow as tf
    import tensorflow_probability as tfp

    normal = lambda p: tfp.distributions.Normal(tf.nest.flatten(p)[0], 1.0)  # noqa: E731  (any structure kgen passes)
    works_or_kgen_error(kgen.estimators.score_function_gradient, lambda z: z**2, normal, params, num_samples,
                        baseline=baseline, seed=0)
    works_or_kgen_error(kgen.estimators.pathwise_gradient, lambda z: z**2, normal, params, num_samples, seed=0)
    works_or_kgen_error(kgen.estimators.variance_study, params, (10,), num_samples)


@COMMON
@given(ANYTHING, st.booleans())
def test_agent_actions(observations, deterministic):
    pytest.importorskip("gymnasium")
    agent = _agent()
    works_or_kgen_error(agent.predict_action, observations, deterministic=deterministic)
    works_or_kgen_error(kgen.rl.evaluate_policy, agent, "CartPole-v1", episodes=observations)


_AGENTS = {}


def _agent():
    if "dqn" not in _AGENTS:
        _AGENTS["dqn"] = kgen.rl.DQNAgent("CartPole-v1", hidden_units=(4,), seed=0)
    return _AGENTS["dqn"]
