"""Sampling helpers: inverse-transform sampling, latent paths (lerp/slerp), truncation.

Inverse-transform sampling answers the lecture's "interview questions": given
``u ~ U(0, 1)``, ``1[u < p]`` is a Bernoulli(p) sample, the first index whose
cumulative probability exceeds ``u`` is a Categorical sample, and ``F^{-1}(u)`` is a
sample from any distribution with CDF ``F``. A GAN generator learns a transformation
of noise in the same spirit.

Arrays in, arrays out: every function accepts numpy arrays, Python numbers or
TensorFlow tensors. With numpy (or Python) inputs the result is a numpy array; with a
tensor input it is a tensor, and the function works inside a `tf.function` (value
checks that need concrete values are then skipped).
"""

import numbers

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from kgen.core import seeds
from kgen.core.errors import KgenTypeError, KgenValueError
from kgen.core.validation import check_choice, check_int, check_number, fail

__all__ = [
    "bernoulli_from_uniform",
    "categorical_from_uniform",
    "inverse_cdf_sample",
    "empirical_inverse_cdf",
    "lerp",
    "slerp",
    "truncated_normal",
    "hashed_uniform",
    "classes_in_turn",
]


# --------------------------------------------------------------------------- helpers


def _to_tensor(name, value, dtype=None):
    """Convert to a float tensor; returns (tensor, was_tensor)."""
    was_tensor = tf.is_tensor(value) or isinstance(value, tf.Variable)
    if isinstance(value, (str, bytes)) or value is None:
        fail(name, value, "a numeric array or tensor", KgenTypeError)
    if not was_tensor:
        array = np.asarray(value)
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            fail(name, value, "a numeric array or tensor", KgenTypeError)
        if dtype is None:
            dtype = array.dtype if np.issubdtype(array.dtype, np.floating) else np.float32
        value = array.astype(dtype)
    tensor = tf.convert_to_tensor(value)
    if not (tensor.dtype.is_floating or tensor.dtype.is_integer or tensor.dtype == tf.bool):
        fail(name, value, "a numeric array or tensor", KgenTypeError)
    if not tensor.dtype.is_floating:
        tensor = tf.cast(tensor, dtype or tf.float32)
    return tensor, was_tensor


def _concrete(tensor):
    """The numpy value of an eager tensor, or None inside a tf.function."""
    return tensor.numpy() if hasattr(tensor, "numpy") else None


def _check_unit_interval(name, tensor):
    values = _concrete(tensor)
    if values is None:
        return
    finite = np.isfinite(values)
    if not finite.all() or (values.size and (values.min() < 0 or values.max() > 1)):
        shown = values[finite] if finite.any() else values
        raise KgenValueError(
            f"{name} must have values in [0, 1]"
            + (" (no NaN or infinity)" if not finite.all() else "")
            + f"; got an array of shape {values.shape} with values in "
            f"[{np.min(shown):.4g}, {np.max(shown):.4g}]."
        )


def _output(tensor, as_tensor):
    return tensor if as_tensor else tensor.numpy()


# --------------------------------------------------------------------------- inverse transform


def bernoulli_from_uniform(u, p):
    """Turn uniforms into Bernoulli(p) samples: 1 where ``u < p``, else 0.

    ``P(u < p) = p`` for ``u ~ U(0, 1)``, so the result is Bernoulli(p).

    Args:
        u: array or tensor of uniforms in [0, 1], any shape.
        p: probability of a 1, a number or an array/tensor in [0, 1] broadcastable
            against `u` (one probability per element, or per trailing dimension).

    Returns:
        int32 array (numpy for numpy inputs, a tensor for tensor inputs) of the
        broadcast shape of `u` and `p`.

    Examples:
        >>> kgen.sampling.bernoulli_from_uniform(np.array([0.1, 0.5, 0.9]), 0.3)
        array([1, 0, 0], dtype=int32)
        >>> u = np.random.default_rng(0).uniform(size=100_000)
        >>> round(float(kgen.sampling.bernoulli_from_uniform(u, 0.3).mean()), 2)
        0.3
    """
    u, u_tensor = _to_tensor("u", u)
    p, p_tensor = _to_tensor("p", p, dtype=u.dtype.as_numpy_dtype)
    _check_unit_interval("u", u)
    _check_unit_interval("p", p)
    p = tf.cast(p, u.dtype)
    _check_broadcast("p", p, "u", u)
    return _output(tf.cast(u < p, tf.int32), u_tensor or p_tensor)


def _check_broadcast(name_a, a, name_b, b):
    try:
        tf.broadcast_static_shape(a.shape, b.shape)
    except ValueError:
        raise KgenValueError(
            f"{name_a} must have a shape broadcastable against {name_b} "
            f"{tuple(b.shape.as_list())}; got shape {tuple(a.shape.as_list())}."
        ) from None


def categorical_from_uniform(u, probs):
    """Turn uniforms into Categorical(probs) samples by searching the cumulative sum.

    The sample is the first index ``k`` with ``u < probs[0] + ... + probs[k]``, so
    category ``k`` is chosen with probability ``probs[k]`` (the width of its slice of
    [0, 1]). Categories of probability zero are never chosen.

    Args:
        u: array or tensor of uniforms in [0, 1].
        probs: array or tensor (..., k) of non-negative probabilities summing to 1
            (within 1e-4; they are renormalised) over the last axis; its leading dimensions broadcast against `u` (e.g. probs
            (k,) with any `u`, or probs (batch, k) with u (batch,)).

    Returns:
        int32 array of category indices in [0, k), shaped like the broadcast of `u`
        and ``probs[..., 0]`` (numpy for numpy inputs, a tensor for tensor inputs).

    Examples:
        >>> kgen.sampling.categorical_from_uniform(np.array([0.1, 0.5, 0.9]), [0.2, 0.5, 0.3])
        array([0, 1, 2], dtype=int32)
        >>> u = np.random.default_rng(0).uniform(size=100_000)
        >>> (np.bincount(kgen.sampling.categorical_from_uniform(u, [0.2, 0.5, 0.3])) / u.size).round(2)
        array([0.2, 0.5, 0.3])
    """
    u, u_tensor = _to_tensor("u", u)
    probs, p_tensor = _to_tensor("probs", probs, dtype=u.dtype.as_numpy_dtype)
    probs = tf.cast(probs, u.dtype)
    _check_unit_interval("u", u)
    if probs.shape.rank is not None and probs.shape.rank < 1:
        fail("probs", probs, "an array of shape (..., k) with k >= 1 categories")
    values = _concrete(probs)
    if values is not None:
        if values.shape[-1] < 1 or not np.all(np.isfinite(values)) or np.any(values < 0):
            fail("probs", values, "finite, non-negative probabilities over k >= 1 categories")
        sums = values.sum(axis=-1)
        if not np.allclose(sums, 1.0, rtol=0.0, atol=1e-4):
            worst = sums.flat[int(np.argmax(np.abs(sums - 1.0)))]
            raise KgenValueError(
                f"probs must sum to 1 over the last axis; got sums up to {worst:.6g} "
                f"(probs of shape {values.shape})."
            )
    _check_broadcast("probs[..., 0]", probs[..., 0], "u", u)
    cdf = tf.cumsum(probs, axis=-1)
    cdf = cdf / cdf[..., -1:]  # exact 1 at the end despite rounding
    # count the categories whose cumulative probability is <= u (all but the last)
    index = tf.reduce_sum(tf.cast(cdf[..., :-1] <= u[..., None], tf.int32), axis=-1)
    return _output(index, u_tensor or p_tensor)


def inverse_cdf_sample(u, distribution):
    """Turn uniforms into samples of a distribution through its quantile function.

    ``F^{-1}(u)`` with ``u ~ U(0, 1)`` has CDF ``F``; TFP calls ``F^{-1}`` `quantile`.

    Args:
        u: array or tensor of uniforms in [0, 1], shape broadcastable against the
            distribution's batch shape.
        distribution: a `tfp.distributions.Distribution` with a scalar event that
            implements `quantile` (Normal, Exponential, Logistic, Cauchy, Gumbel, ...).

    Returns:
        Samples shaped like `u` (broadcast with the batch shape): numpy for numpy
        inputs, a tensor for tensor inputs.

    Examples:
        >>> import tensorflow_probability as tfp
        >>> exponential = tfp.distributions.Exponential(2.0)
        >>> kgen.sampling.inverse_cdf_sample(np.array([0.5]), exponential)   # the median, log(2) / 2
        array([0.3465736], dtype=float32)
        >>> kgen.sampling.inverse_cdf_sample(np.random.default_rng(0).uniform(size=5), exponential).shape
        (5,)
    """
    if not isinstance(distribution, tfp.distributions.Distribution):
        fail("distribution", distribution, "a tfp.distributions.Distribution", KgenTypeError)
    u, u_tensor = _to_tensor("u", u, dtype=distribution.dtype.as_numpy_dtype
                             if distribution.dtype.is_floating else None)
    _check_unit_interval("u", u)
    try:
        samples = distribution.quantile(tf.cast(u, distribution.dtype))
    except NotImplementedError:
        raise KgenValueError(
            "distribution must implement quantile() (the inverse CDF) for "
            f"inverse_cdf_sample; got {type(distribution).__name__}, which does not. "
            "Use distribution.sample(), or empirical_inverse_cdf(samples) for data."
        ) from None
    return _output(samples, u_tensor)


def empirical_inverse_cdf(samples, interpolation="step"):
    """The inverse of the empirical CDF of data, as a function of ``u``.

    With ``interpolation="step"`` it is the generalised inverse
    ``F_n^{-1}(u) = x_(ceil(n u))`` of the sorted data ``x_(1) <= ... <= x_(n)``
    (``x_(1)`` at ``u = 0``): feeding it uniforms resamples the data with replacement
    (a bootstrap). ``"linear"`` interpolates between order statistics at
    ``u = (i - 0.5) / n``, a continuous approximation of the underlying distribution.

    Args:
        samples: 1-D array or tensor of finite numbers, at least one.
        interpolation: str, "step" (default) or "linear".

    Returns:
        A function ``quantile(u)`` taking uniforms in [0, 1] (numpy or tensor, any
        shape) and returning values of the same shape (numpy for numpy ``u``, a
        tensor for tensor ``u``, usable inside a `tf.function`).

    Examples:
        >>> quantile = kgen.sampling.empirical_inverse_cdf(np.array([3.0, 1.0, 2.0]))
        >>> quantile(np.array([0.0, 0.5, 1.0]))
        array([1., 2., 3.])
        >>> data = np.random.default_rng(0).gamma(2.0, size=1000)
        >>> fresh = kgen.sampling.empirical_inverse_cdf(data)(np.random.default_rng(1).uniform(size=10_000))
        >>> bool(np.isin(fresh, data).all())      # a bootstrap resample of the data
        True
    """
    interpolation = check_choice("interpolation", interpolation, ("step", "linear"))
    data, _ = _to_tensor("samples", samples)
    values = _concrete(data)
    if values is None:
        fail("samples", samples, "a concrete (eager) 1-D array of numbers")
    if values.ndim != 1 or values.size < 1:
        fail("samples", values, "a 1-D array holding at least one sample")
    if not np.all(np.isfinite(values)):
        fail("samples", values, "finite numbers (no NaN or infinity)")
    ordered = tf.constant(np.sort(values))
    n = int(values.size)

    def quantile(u):
        u, u_tensor = _to_tensor("u", u, dtype=values.dtype)
        u = tf.cast(u, ordered.dtype)
        _check_unit_interval("u", u)
        if interpolation == "step" or n == 1:
            index = tf.cast(tf.math.ceil(u * n), tf.int32) - 1
            result = tf.gather(ordered, tf.clip_by_value(index, 0, n - 1))
        else:
            position = tf.clip_by_value(u * n - 0.5, 0.0, float(n - 1))
            low = tf.cast(tf.math.floor(position), tf.int32)
            high = tf.minimum(low + 1, n - 1)
            weight = position - tf.cast(low, position.dtype)
            result = (1 - weight) * tf.gather(ordered, low) + weight * tf.gather(ordered, high)
        return _output(result, u_tensor)

    return quantile


# --------------------------------------------------------------------------- latent paths


def _endpoints(z0, z1):
    z0, t0 = _to_tensor("z0", z0)
    z1, t1 = _to_tensor("z1", z1, dtype=z0.dtype.as_numpy_dtype)
    z1 = tf.cast(z1, z0.dtype)
    for name, z in (("z0", z0), ("z1", z1)):
        if z.shape.rank is not None and (z.shape.rank < 1 or z.shape[-1] == 0):
            fail(name, z, "a vector (d,) or a batch of vectors (..., d) with d >= 1")
        values = _concrete(z)
        if values is not None and not np.all(np.isfinite(values)):
            fail(name, values, "finite values (no NaN or infinity)")
    try:
        tf.broadcast_static_shape(z0.shape, z1.shape)
    except ValueError:
        raise KgenValueError(
            f"z1 must have the same shape as z0 {tuple(z0.shape.as_list())} (or one "
            f"broadcastable to it); got shape {tuple(z1.shape.as_list())}."
        ) from None
    if z0.shape[-1] is not None and z1.shape[-1] is not None and z0.shape[-1] != z1.shape[-1]:
        raise KgenValueError(
            f"z1 must have the same last dimension as z0 ({z0.shape[-1]}); "
            f"got shape {tuple(z1.shape.as_list())}."
        )
    return z0, z1, t0 or t1


def _fractions(steps, dtype):
    """(steps, 1) column of t = 0, 1/(steps-1), ..., 1."""
    return tf.reshape(tf.linspace(tf.constant(0, dtype), tf.constant(1, dtype), steps), [steps, 1])


def lerp(z0, z1, steps):
    """Linear interpolation ``(1 - t) z0 + t z1`` at `steps` evenly spaced t in [0, 1].

    Args:
        z0: start point, array or tensor of shape (d,) or a batch (..., d).
        z1: end point, same shape as `z0` (or broadcastable to it).
        steps: int >= 2, points on each path, including both endpoints.

    Returns:
        Array of shape (..., steps, d): one path per leading index, so (steps, d) for
        1-D endpoints. numpy for numpy inputs, a tensor for tensor inputs.

    Examples:
        >>> path = kgen.sampling.lerp(np.zeros(4), np.ones(4), steps=5)
        >>> path.shape
        (5, 4)
        >>> path[:, 0]
        array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    steps = check_int("steps", steps, minimum=2)
    z0, z1, as_tensor = _endpoints(z0, z1)
    path = _lerp(z0, z1, _fractions(steps, z0.dtype))
    return _output(path, as_tensor)


def _lerp(z0, z1, t):
    z0, z1 = z0[..., None, :], z1[..., None, :]
    return z0 + t * (z1 - z0)


def slerp(z0, z1, steps, eps=1e-4):
    """Spherical interpolation: directions along the great circle, norms linearly.

    The direction moves at constant angular speed along the great circle from
    ``z0 / |z0|`` to ``z1 / |z1|`` while the norm goes linearly from ``|z0|`` to
    ``|z1|``; so with endpoints of equal norm ``r`` (e.g. unit vectors) the whole
    path stays on the sphere of radius ``r``, and it matches the classic formula
    ``sin((1-t) w)/sin(w) z0 + sin(t w)/sin(w) z1`` (White 2016). Gaussian latents
    concentrate near a sphere, so slerp keeps the path where the generator was
    trained, while lerp cuts through the low-norm interior.

    Edge cases: when the angle is below `eps` (parallel endpoints) or an endpoint is
    zero, the path is `lerp`. When the endpoints are antiparallel (angle within `eps`
    of pi) any great circle joins them; the path turns through a fixed perpendicular
    direction (the coordinate axis least aligned with ``z0``, made orthogonal to it).

    Args:
        z0: start point, array or tensor of shape (d,) or a batch (..., d).
        z1: end point, same shape as `z0` (or broadcastable to it).
        steps: int >= 2, points on each path, including both endpoints.
        eps: float > 0, angle in radians below which endpoints count as parallel
            (default 1e-4).

    Returns:
        Array of shape (..., steps, d): one path per leading index, so (steps, d) for
        1-D endpoints. numpy for numpy inputs, a tensor for tensor inputs.

    Examples:
        >>> z0, z1 = np.eye(2)
        >>> kgen.sampling.slerp(z0, z1, steps=3).round(3)
        array([[1.   , 0.   ],
               [0.707, 0.707],
               [0.   , 1.   ]])
        >>> np.linalg.norm(kgen.sampling.slerp(z0, z1, steps=5), axis=-1)   # on the unit circle
        array([1., 1., 1., 1., 1.])

    Reference:
        White, "Sampling Generative Networks", arXiv:1609.04468, 2016.
    """
    steps = check_int("steps", steps, minimum=2)
    eps = check_number("eps", eps, minimum=0.0, maximum=1.0, low_open=True)
    z0, z1, as_tensor = _endpoints(z0, z1)
    shape = tf.broadcast_dynamic_shape(tf.shape(z0), tf.shape(z1))
    z0, z1 = tf.broadcast_to(z0, shape), tf.broadcast_to(z1, shape)
    dtype = z0.dtype
    tiny = tf.constant(np.finfo(dtype.as_numpy_dtype).tiny ** 0.5, dtype)
    t = _fractions(steps, dtype)

    r0 = tf.norm(z0, axis=-1, keepdims=True)
    r1 = tf.norm(z1, axis=-1, keepdims=True)
    degenerate = (r0 < tiny) | (r1 < tiny)
    u0 = z0 / tf.maximum(r0, tiny)
    u1 = z1 / tf.maximum(r1, tiny)
    cos = tf.reduce_sum(u0 * u1, axis=-1, keepdims=True)
    ortho = u1 - cos * u0  # component of u1 perpendicular to u0, norm sin(angle)
    sin = tf.norm(ortho, axis=-1, keepdims=True)
    angle = tf.atan2(sin, cos)  # accurate near 0 and pi, unlike acos

    # antiparallel: pick the axis least aligned with u0 and make it orthogonal to u0
    axis = tf.one_hot(tf.argmin(tf.abs(u0), axis=-1), tf.shape(u0)[-1], dtype=dtype)
    perpendicular = axis - tf.reduce_sum(axis * u0, axis=-1, keepdims=True) * u0
    antiparallel = (sin < eps) & (cos < 0)
    ortho = tf.where(antiparallel, perpendicular, ortho)
    v = ortho / tf.maximum(tf.norm(ortho, axis=-1, keepdims=True), tiny)

    # (..., 1, 1) per-path scalars against (steps, 1) fractions -> (..., steps, d)
    angle_t = angle[..., None, :] * t
    direction = tf.cos(angle_t) * u0[..., None, :] + tf.sin(angle_t) * v[..., None, :]
    radius = r0[..., None, :] + t * (r1 - r0)[..., None, :]
    path = radius * direction

    parallel = degenerate | ((angle < eps) & ~antiparallel)
    path = tf.where(parallel[..., None, :], _lerp(z0, z1, t), path)
    return _output(path, as_tensor)


# --------------------------------------------------------------------------- truncation


def truncated_normal(shape, threshold, seed, dtype="float32"):
    """Standard normal samples with every ``|z| > threshold`` resampled (truncation trick).

    Draws z ~ N(0, 1) and replaces each value outside [-threshold, threshold] by a
    fresh draw from the normal truncated to that interval (exactly, by inverse-CDF
    sampling), so the result is distributed as N(0, 1) conditioned on
    ``|z| <= threshold`` and ``|z| <= threshold`` always holds. Lower thresholds trade
    diversity for sample quality in GANs.

    Args:
        shape: tuple of int, the output shape (e.g. (n, latent_dim)).
        threshold: float > 0, the truncation point in standard deviations.
        seed: an int in [0, 2**31 - 1] (the same int gives the same samples), a
            `keras.random.SeedGenerator` (a new draw each call; use this inside a
            traced step), or None for unseeded randomness.
        dtype: float dtype of the result (default "float32").

    Returns:
        A tensor of the given shape and dtype.

    Examples:
        >>> z = kgen.sampling.truncated_normal((16, 64), threshold=0.7, seed=0)
        >>> z.shape, float(tf.reduce_max(tf.abs(z))) <= 0.7
        (TensorShape([16, 64]), True)

    Reference:
        Brock, Donahue & Simonyan, "Large Scale GAN Training for High Fidelity
        Natural Image Synthesis" (BigGAN), ICLR 2019.
    """
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        fail("shape", shape, "a tuple of integers >= 0", KgenTypeError)
    shape = tuple(check_int("shape", d, minimum=0) for d in shape)
    threshold = check_number("threshold", threshold, minimum=0.0, low_open=True)
    dtype = tf.as_dtype(dtype)
    if not dtype.is_floating:
        fail("dtype", dtype.name, "a floating-point dtype such as 'float32'")
    normal_seed, uniform_seed = seeds.split(seeds.stateless_seed(seed), 2)
    z = seeds.normal(shape, normal_seed, dtype=dtype)
    # truncated draw by inverse CDF: v ~ U(-a, a), a = erf(t / sqrt 2), z = sqrt 2 erfinv(v)
    sqrt2 = tf.constant(np.sqrt(2.0), dtype)
    limit = tf.math.erf(tf.constant(threshold, dtype) / sqrt2)
    v = seeds.uniform(shape, uniform_seed, minval=-1.0, maxval=1.0, dtype=dtype) * limit
    replacement = sqrt2 * tf.math.erfinv(v)
    z = tf.where(tf.abs(z) > threshold, replacement, z)
    return tf.clip_by_value(z, -threshold, threshold)


def hashed_uniform(rows):
    """One number in [0, 1) per row, a hash of the row's float32 bits: uniform-looking, yet reproducible.

    Use it to make a random choice that is a fixed function of an input (e.g. the
    label a self-conditioned GAN gives a latent): the same row gives the same
    number in any batch, while rows that differ in any bit give unrelated numbers,
    whatever their values' distribution.

    Args:
        rows: numeric array (n, d), converted to float32.

    Returns:
        numpy float64 (n,) in [0, 1).

    Examples:
        >>> rows = np.random.default_rng(0).normal(size=(3, 8))
        >>> kgen.sampling.hashed_uniform(rows).round(3)
        array([0.842, 0.682, 0.266])
        >>> kgen.sampling.hashed_uniform(rows[::-1])[::-1].round(3)   # the same per row, in any batch
        array([0.842, 0.682, 0.266])
        >>> u = kgen.sampling.hashed_uniform(np.random.default_rng(0).normal(size=(100_000, 8)))
        >>> np.histogram(u, bins=4, range=(0, 1))[0]      # about 25,000 each
        array([25087, 24806, 25167, 24940])
    """
    array = np.asarray(rows)
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.number):
        fail("rows", rows, "a numeric array of shape (n, d)", KgenTypeError if array.ndim == 2 else KgenValueError)
    bits = np.ascontiguousarray(array, dtype=np.float32).view(np.uint32).astype(np.uint64)
    state = np.full(len(bits), 0xCBF29CE484222325, dtype=np.uint64)
    with np.errstate(over="ignore"):  # 64-bit arithmetic wraps, as hashes want
        for column in bits.T:  # FNV-style multiply-xor over the row's words
            state = (state ^ column) * np.uint64(0x100000001B3)
            state ^= state >> np.uint64(29)
        for multiplier in (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53):  # murmur3's final mixing
            state = (state ^ (state >> np.uint64(33))) * np.uint64(multiplier)
        state ^= state >> np.uint64(33)
    return (state >> np.uint64(11)).astype(np.float64) / 2.0**53


def classes_in_turn(n, num_classes):
    """Labels for n samples of a conditional model: the classes in turn, 0, 1, ..., k-1, 0, 1, ...

    Balanced to within one sample per class, so scores over them weigh every class alike.

    Args:
        n: int >= 1, the number of labels.
        num_classes: int >= 1.

    Returns:
        numpy int32 (n,).

    Examples:
        >>> kgen.sampling.classes_in_turn(5, 3)
        array([0, 1, 2, 0, 1], dtype=int32)
    """
    n = check_int("n", n, minimum=1)
    num_classes = check_int("num_classes", num_classes, minimum=1)
    return (np.arange(n) % num_classes).astype("int32")
