"""Tests for kgen.sampling: inverse-transform samplers, lerp/slerp, truncated normal.

Goodness of fit at significance ALPHA = 1e-3 on 100,000 draws (scipy is not a
dependency, so the tests compute the statistics themselves):

- chi-square: statistic sum (observed - expected)^2 / expected over categories with
  positive probability, p-value Q(df / 2, stat / 2) = `tf.math.igammac` with
  df = categories - 1;
- Kolmogorov-Smirnov: D = sup |F_n - F|, p-value from the asymptotic Kolmogorov
  distribution P(sqrt(n) D > x) = 2 sum_k (-1)^(k-1) exp(-2 k^2 x^2); the two-sample
  version uses sqrt(n m / (n + m)) D.

The hashed-uniform test instead compares a 20-bin chi-square statistic on 40,000 and
10,000 values with 43.8, its critical value at p = 0.001 for 19 degrees of freedom.

Every goodness-of-fit check also shows that a slightly wrong distribution is rejected
on the same draws at the same significance, so the tests can fail: Bernoulli and
categorical probabilities off by 0.01 (every column and row of the batched cases), a
normal mean shifted by 0.05 and an exponential rate 3% off, the empirical quantile's
counts off by 0.01 and its two-sample comparison against a mean shifted by 0.03, the
truncated normal shifted by 0.03, and for hashed_uniform the values raised to the
power 1.05 and, for small integers, their raw float32 bits taken as the uniform.

The lerp/slerp tests compare with exact values. Two of them also show a plausible
wrong path failing: in test_slerp_unit_sphere_constant_speed_and_classic_formula lerp's
chord dips inside the sphere and normalised lerp fails the equal-angle assertion; in
test_slerp_norm_interpolates_linearly the classic formula applied to unnormalised
vectors fails the linear-norm assertion. The other slerp tests (parallel, antiparallel
and zero endpoints; float32 under tf.function) and the remaining checks (exact edge
values, shapes, dtypes, seeding, tracing, errors) have no such check.
"""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from keras.random import SeedGenerator

from kgen import sampling
from kgen.errors import KgenError, KgenTypeError, KgenValueError

tfd = tfp.distributions
ALPHA = 1e-3
N_DRAWS = 100_000


def uniforms(n=N_DRAWS, seed=0, shape=None):
    return np.random.default_rng(seed).uniform(size=n if shape is None else shape)


def chi_square_pvalue(counts, probs):
    counts, probs = np.asarray(counts, float), np.asarray(probs, float)
    keep = probs > 0
    assert counts[~keep].sum() == 0, "a zero-probability category was sampled"
    expected = counts.sum() * probs[keep]
    stat = np.sum((counts[keep] - expected) ** 2 / expected)
    df = int(keep.sum()) - 1
    return float(tf.math.igammac(tf.constant(df / 2, tf.float64), tf.constant(stat / 2, tf.float64)))


def ks_pvalue(samples, cdf):
    x = np.sort(np.asarray(samples, float))
    n = x.size
    f = np.asarray(cdf(x), float)
    d = max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))
    t = np.sqrt(n) * d
    k = np.arange(1, 101)
    return float(np.clip(2 * np.sum((-1.0) ** (k - 1) * np.exp(-2 * k**2 * t**2)), 0, 1))


def ks_two_sample_pvalue(a, b):
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    d = np.max(np.abs(np.searchsorted(a, grid, "right") / a.size
                      - np.searchsorted(b, grid, "right") / b.size))
    t = np.sqrt(a.size * b.size / (a.size + b.size)) * d
    k = np.arange(1, 101)
    return float(np.clip(2 * np.sum((-1.0) ** (k - 1) * np.exp(-2 * k**2 * t**2)), 0, 1))


def normal_cdf(x, loc=0.0, scale=1.0):
    return tfd.Normal(np.float64(loc), np.float64(scale)).cdf(x).numpy()


# --------------------------------------------------------------------------- inverse transform


def test_bernoulli_from_uniform_frequencies():
    u = uniforms()
    z = sampling.bernoulli_from_uniform(u, 0.3)
    assert isinstance(z, np.ndarray) and z.shape == u.shape and set(np.unique(z)) <= {0, 1}
    counts = np.bincount(z, minlength=2)
    assert chi_square_pvalue(counts, [0.7, 0.3]) > ALPHA
    assert chi_square_pvalue(counts, [0.69, 0.31]) < ALPHA  # power: p off by 0.01
    # per-column probabilities broadcast against u
    p = np.array([0.1, 0.5, 0.9])
    batch = sampling.bernoulli_from_uniform(uniforms(shape=(N_DRAWS, 3)), p)
    assert batch.shape == (N_DRAWS, 3)
    for j in range(3):
        column = np.bincount(batch[:, j], minlength=2)
        assert chi_square_pvalue(column, [1 - p[j], p[j]]) > ALPHA
        assert chi_square_pvalue(column, [0.99 - p[j], p[j] + 0.01]) < ALPHA  # power
    # edge probabilities
    assert sampling.bernoulli_from_uniform(u, 0.0).sum() == 0
    assert sampling.bernoulli_from_uniform(u, 1.0).sum() == u.size


def test_categorical_from_uniform_frequencies():
    probs = np.array([0.1, 0.0, 0.25, 0.4, 0.25])
    z = sampling.categorical_from_uniform(uniforms(), probs)
    assert z.dtype == np.int32 and z.min() >= 0 and z.max() < 5
    counts = np.bincount(z, minlength=5)
    assert counts[1] == 0
    assert chi_square_pvalue(counts, probs) > ALPHA
    assert chi_square_pvalue(counts, [0.11, 0.0, 0.24, 0.4, 0.25]) < ALPHA  # power
    # edges: u = 0 gives the first category, u = 1 the last
    np.testing.assert_array_equal(sampling.categorical_from_uniform([0.0, 1.0], probs), [0, 4])
    np.testing.assert_array_equal(
        sampling.categorical_from_uniform([0.05, 0.1, 0.34, 0.35, 0.99], probs), [0, 2, 2, 3, 4])


def test_categorical_from_uniform_batched_probs():
    probs = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    z = sampling.categorical_from_uniform(uniforms(shape=(N_DRAWS, 2)), probs)
    assert z.shape == (N_DRAWS, 2)
    wrong = np.array([[0.49, 0.51, 0.0], [0.21, 0.29, 0.5]])  # power: off by 0.01
    for row in range(2):
        counts = np.bincount(z[:, row], minlength=3)
        assert chi_square_pvalue(counts, probs[row]) > ALPHA
        assert chi_square_pvalue(counts, wrong[row]) < ALPHA
    one_each = sampling.categorical_from_uniform(np.array([0.6, 0.6]), probs)
    np.testing.assert_array_equal(one_each, [1, 2])


def test_inverse_cdf_sample_continuous_ks():
    normal = tfd.Normal(np.float64(1.0), np.float64(2.0))
    x = sampling.inverse_cdf_sample(uniforms(), normal)
    assert isinstance(x, np.ndarray) and x.shape == (N_DRAWS,)
    assert ks_pvalue(x, lambda v: normal_cdf(v, 1.0, 2.0)) > ALPHA
    assert ks_pvalue(x, lambda v: normal_cdf(v, 1.05, 2.0)) < ALPHA  # power: shifted mean
    rate = 1.5
    e = sampling.inverse_cdf_sample(uniforms(seed=1), tfd.Exponential(np.float64(rate)))
    assert ks_pvalue(e, lambda v: 1 - np.exp(-rate * v)) > ALPHA
    assert ks_pvalue(e, lambda v: 1 - np.exp(-1.03 * rate * v)) < ALPHA


def test_empirical_inverse_cdf():
    data = np.array([3.0, 1.0, 4.0, 2.0])
    quantile = sampling.empirical_inverse_cdf(data)
    draws = quantile(uniforms())
    assert set(np.unique(draws)) == {1.0, 2.0, 3.0, 4.0}
    counts = np.array([(draws == v).sum() for v in (1.0, 2.0, 3.0, 4.0)])
    assert chi_square_pvalue(counts, [0.25] * 4) > ALPHA
    assert chi_square_pvalue(counts, [0.26, 0.24, 0.25, 0.25]) < ALPHA  # power
    np.testing.assert_array_equal(quantile(np.array([0.0, 0.25, 0.26, 1.0])), [1, 1, 2, 4])

    rng = np.random.default_rng(3)
    population = rng.normal(size=N_DRAWS)
    smooth = sampling.empirical_inverse_cdf(population, interpolation="linear")
    fresh = smooth(uniforms(seed=4))
    assert fresh.min() >= population.min() and fresh.max() <= population.max()
    assert ks_two_sample_pvalue(fresh, rng.normal(size=N_DRAWS)) > ALPHA
    assert ks_two_sample_pvalue(fresh, rng.normal(0.03, 1.0, size=N_DRAWS)) < ALPHA
    tensor_out = smooth(tf.constant([0.5]))
    assert tf.is_tensor(tensor_out)


def test_inverse_transform_works_on_tensors_in_tf_function():
    @tf.function
    def draw(u):
        return (
            sampling.bernoulli_from_uniform(u, 0.5),
            sampling.categorical_from_uniform(u, tf.constant([0.2, 0.8])),
            sampling.inverse_cdf_sample(u, tfd.Normal(0.0, 1.0)),
        )

    b, c, x = draw(tf.constant([0.1, 0.7]))
    assert all(tf.is_tensor(t) for t in (b, c, x))
    np.testing.assert_array_equal(b.numpy(), [1, 0])
    np.testing.assert_array_equal(c.numpy(), [0, 1])
    assert x.numpy()[0] < 0 < x.numpy()[1]


def test_inverse_transform_bad_input():
    with pytest.raises(KgenValueError, match=r"^u must have values in \[0, 1\]"):
        sampling.bernoulli_from_uniform([0.2, 1.5], 0.3)
    with pytest.raises(KgenValueError, match="u must"):
        sampling.categorical_from_uniform([-0.1], [0.5, 0.5])
    with pytest.raises(KgenValueError, match="u must"):
        sampling.inverse_cdf_sample(tf.constant([np.nan]), tfd.Normal(0.0, 1.0))
    with pytest.raises(KgenValueError, match="p must"):
        sampling.bernoulli_from_uniform([0.2], 1.2)
    with pytest.raises(KgenValueError, match="probs must sum to 1"):
        sampling.categorical_from_uniform([0.2], [0.5, 0.6])
    with pytest.raises(KgenValueError, match="probs must"):
        sampling.categorical_from_uniform([0.2], [1.2, -0.2])
    with pytest.raises(KgenTypeError, match="distribution must"):
        sampling.inverse_cdf_sample([0.2], "normal")
    with pytest.raises(KgenValueError, match="quantile"):
        sampling.inverse_cdf_sample([0.2], tfd.Poisson(3.0))
    with pytest.raises(KgenValueError, match="samples must"):
        sampling.empirical_inverse_cdf(np.zeros((2, 2)))
    with pytest.raises(KgenValueError, match="samples must"):
        sampling.empirical_inverse_cdf([1.0, np.inf])
    with pytest.raises(KgenValueError, match="interpolation must"):
        sampling.empirical_inverse_cdf([1.0], interpolation="cubic")
    with pytest.raises(KgenValueError, match="u must"):
        sampling.empirical_inverse_cdf([1.0, 2.0])([2.0])


# --------------------------------------------------------------------------- lerp / slerp


def test_lerp_shapes_and_values():
    path = sampling.lerp(np.zeros(3), np.array([4.0, 0.0, -4.0]), steps=5)
    assert isinstance(path, np.ndarray) and path.shape == (5, 3)
    np.testing.assert_allclose(path[:, 0], [0, 1, 2, 3, 4])
    batch = sampling.lerp(np.zeros((2, 7, 3)), np.ones((2, 7, 3)), steps=4)
    assert batch.shape == (2, 7, 4, 3)
    np.testing.assert_allclose(batch[..., -1, :], 1.0)
    tensor = sampling.lerp(tf.zeros([3]), tf.ones([3]), steps=2)
    assert tf.is_tensor(tensor) and tensor.shape == (2, 3)


def _angle(a, b):
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return np.arccos(np.clip(np.sum(a * b, axis=-1), -1, 1))


def test_slerp_unit_sphere_constant_speed_and_classic_formula():
    rng = np.random.default_rng(0)
    z0 = rng.normal(size=(8, 16))
    z1 = rng.normal(size=(8, 16))
    z0 /= np.linalg.norm(z0, axis=-1, keepdims=True)
    z1 /= np.linalg.norm(z1, axis=-1, keepdims=True)
    path = sampling.slerp(z0, z1, steps=9)
    assert path.shape == (8, 9, 16)
    np.testing.assert_allclose(np.linalg.norm(path, axis=-1), 1.0, atol=1e-10)
    np.testing.assert_allclose(path[:, 0], z0, atol=1e-10)
    np.testing.assert_allclose(path[:, -1], z1, atol=1e-10)
    steps = _angle(path[:, :-1], path[:, 1:])  # equal angles between consecutive points
    np.testing.assert_allclose(steps, np.broadcast_to(_angle(z0, z1)[:, None] / 8, (8, 8)),
                               atol=1e-7)
    omega = _angle(z0, z1)[:, None, None]
    t = np.linspace(0, 1, 9)[None, :, None]
    classic = (np.sin((1 - t) * omega) * z0[:, None] + np.sin(t * omega) * z1[:, None]) / np.sin(
        omega)
    np.testing.assert_allclose(path, classic, atol=1e-10)
    lerped = sampling.lerp(z0, z1, steps=9)  # lerp cuts inside the sphere
    assert np.all(np.linalg.norm(lerped[:, 4], axis=-1) < 0.999)
    # normalised lerp stays on the sphere but at uneven speed: the equal-angle check rejects it
    nlerp = lerped / np.linalg.norm(lerped, axis=-1, keepdims=True)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(_angle(nlerp[:, :-1], nlerp[:, 1:]),
                                   np.broadcast_to(_angle(z0, z1)[:, None] / 8, (8, 8)), atol=1e-7)


def test_slerp_norm_interpolates_linearly():
    rng = np.random.default_rng(1)
    z0 = rng.normal(size=(5, 4)) * 3.0
    z1 = rng.normal(size=(5, 4)) * 0.5
    path = sampling.slerp(z0, z1, steps=6)
    t = np.linspace(0, 1, 6)
    expected = (1 - t) * np.linalg.norm(z0, axis=-1)[:, None] + t * np.linalg.norm(
        z1, axis=-1)[:, None]
    np.testing.assert_allclose(np.linalg.norm(path, axis=-1), expected, rtol=1e-10)
    np.testing.assert_allclose(path[:, -1], z1, atol=1e-10)
    # the classic formula applied to the unnormalised vectors fails the same norm check
    omega = _angle(z0, z1)[:, None, None]
    tt = t[None, :, None]
    classic = (np.sin((1 - tt) * omega) * z0[:, None] + np.sin(tt * omega) * z1[:, None]) / np.sin(
        omega)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(np.linalg.norm(classic, axis=-1), expected, rtol=1e-10)


def test_slerp_parallel_antiparallel_and_zero():
    z0 = np.array([1.0, 2.0, 2.0])
    parallel = sampling.slerp(z0, 2.5 * z0, steps=5)
    np.testing.assert_allclose(parallel, sampling.lerp(z0, 2.5 * z0, steps=5))
    assert np.all(np.isfinite(parallel))

    anti = sampling.slerp(z0, -z0, steps=5)
    assert np.all(np.isfinite(anti))
    np.testing.assert_allclose(np.linalg.norm(anti, axis=-1), 3.0, rtol=1e-10)
    np.testing.assert_allclose(anti[-1], -z0, atol=1e-10)
    assert abs(anti[2] @ z0) < 1e-9  # halfway is perpendicular, not the origin
    np.testing.assert_allclose(_angle(anti[:-1], anti[1:]), np.pi / 4, atol=1e-7)

    zero = sampling.slerp(np.zeros(3), z0, steps=3)
    np.testing.assert_allclose(zero, sampling.lerp(np.zeros(3), z0, steps=3))

    mixed = sampling.slerp(np.stack([z0, z0, np.eye(3)[0]]),
                           np.stack([z0, -z0, np.eye(3)[1]]), steps=4)  # batch of all cases
    assert mixed.shape == (3, 4, 3) and np.all(np.isfinite(mixed))


def test_slerp_float32_tensors_in_tf_function():
    @tf.function
    def path(a, b):
        return sampling.slerp(a, b, steps=7)

    a = tf.random.stateless_normal([4, 32], seed=[1, 2])
    b = tf.random.stateless_normal([4, 32], seed=[3, 4])
    out = path(a, b)
    assert tf.is_tensor(out) and out.shape == (4, 7, 32) and out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy()[:, 0], a.numpy(), atol=1e-5)
    np.testing.assert_allclose(out.numpy()[:, -1], b.numpy(), atol=1e-5)
    anti = sampling.slerp(a[0], -a[0], steps=3)
    assert np.all(np.isfinite(anti.numpy()))
    np.testing.assert_allclose(anti.numpy()[-1], -a.numpy()[0], atol=1e-4)


def test_latent_path_bad_input():
    with pytest.raises(KgenValueError, match="steps must be an integer >= 2; got 1"):
        sampling.lerp(np.zeros(2), np.ones(2), steps=1)
    with pytest.raises(KgenTypeError, match="steps"):
        sampling.slerp(np.zeros(2), np.ones(2), steps=2.0)
    with pytest.raises(KgenValueError, match="z1 must"):
        sampling.slerp(np.zeros(2), np.ones(3), steps=3)
    with pytest.raises(KgenValueError, match="z0 must"):
        sampling.lerp(np.array([np.nan, 1.0]), np.ones(2), steps=3)
    with pytest.raises(KgenValueError, match="z0 must"):
        sampling.lerp(1.0, 2.0, steps=3)


# --------------------------------------------------------------------------- truncation


def truncated_cdf(threshold):
    low, mass = normal_cdf(-threshold), normal_cdf(threshold) - normal_cdf(-threshold)
    return lambda x: (normal_cdf(x) - low) / mass


@pytest.mark.parametrize("threshold", [0.5, 1.0, 2.5])
def test_truncated_normal_distribution(threshold):
    z = sampling.truncated_normal((N_DRAWS,), threshold, seed=0).numpy()
    assert np.max(np.abs(z)) <= threshold
    assert ks_pvalue(z, truncated_cdf(threshold)) > ALPHA
    shifted = truncated_cdf(threshold)
    assert ks_pvalue(z, lambda x: np.clip(shifted(x - 0.03), 0, 1)) < ALPHA  # power: shift 0.03


def test_truncated_normal_bound_always_holds_and_seeds():
    for threshold in (1e-3, 0.1, 4.0, 40.0):
        z = sampling.truncated_normal((200, 64), threshold, seed=1)
        assert z.shape == (200, 64) and z.dtype == tf.float32
        assert float(tf.reduce_max(tf.abs(z))) <= threshold
    a = sampling.truncated_normal((5,), 1.0, seed=3).numpy()
    np.testing.assert_array_equal(a, sampling.truncated_normal((5,), 1.0, seed=3).numpy())
    assert not np.array_equal(a, sampling.truncated_normal((5,), 1.0, seed=4).numpy())
    generator = SeedGenerator(7)
    first = sampling.truncated_normal((5,), 1.0, seed=generator).numpy()
    second = sampling.truncated_normal((5,), 1.0, seed=generator).numpy()
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(
        first, sampling.truncated_normal((5,), 1.0, seed=SeedGenerator(7)).numpy())

    traced_generator = SeedGenerator(9)

    @tf.function
    def draw():
        return sampling.truncated_normal((3, 4), 0.7, seed=traced_generator)

    x, y = draw().numpy(), draw().numpy()
    assert x.shape == (3, 4) and not np.array_equal(x, y) and np.abs(x).max() <= 0.7
    assert sampling.truncated_normal((2,), 1.0, seed=0, dtype="float64").dtype == tf.float64


def test_truncated_normal_bad_input():
    for threshold in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(KgenValueError, match="threshold must be a finite number > 0"):
            sampling.truncated_normal((3,), threshold, seed=0)
    with pytest.raises(KgenTypeError, match="seed must"):
        sampling.truncated_normal((3,), 1.0, seed="0")
    with pytest.raises(KgenError, match="shape"):
        sampling.truncated_normal((3, -1), 1.0, seed=0)
    with pytest.raises(KgenValueError, match="dtype"):
        sampling.truncated_normal((3,), 1.0, seed=0, dtype="int32")


def chi_square_uniform(u, bins=20):
    counts = np.histogram(u, bins=bins, range=(0.0, 1.0))[0]
    expected = len(u) / bins
    return np.sum((counts - expected) ** 2 / expected)


def test_hashed_uniform_is_uniform_and_a_function_of_each_row():
    from kgen.sampling import hashed_uniform

    rows = np.random.default_rng(0).normal(size=(40_000, 8))
    u = hashed_uniform(rows)
    assert u.dtype == np.float64 and u.min() >= 0.0 and u.max() < 1.0
    assert chi_square_uniform(u) < 43.8  # 19 degrees of freedom, p = 0.001
    assert chi_square_uniform(u**1.05) >= 43.8  # power: slightly non-uniform is rejected
    np.testing.assert_array_equal(hashed_uniform(rows[10:20]), u[10:20])
    # consecutive small integers, whose float32 bits differ in few places, still spread over [0, 1)
    tiny = hashed_uniform(np.arange(10_000, dtype=np.float32).reshape(-1, 1))
    assert chi_square_uniform(tiny) < 43.8
    # power: their raw float32 bits as the uniform (no mixing) bunch up and are rejected
    raw_bits = np.arange(10_000, dtype=np.float32).view(np.uint32) / 2.0**32
    assert chi_square_uniform(raw_bits) >= 43.8
    with pytest.raises(KgenValueError, match=r"rows must be a numeric array of shape \(n, d\)"):
        hashed_uniform(np.zeros(3))
