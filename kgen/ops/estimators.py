"""Monte Carlo gradient estimators: score function (REINFORCE) and pathwise (reparameterization).

Both estimate the gradient of an expectation whose distribution depends on the
parameters, ``grad_theta E_{z ~ p_theta}[f(z)]``, which cannot be computed by
pushing the gradient inside the integral:

- score function: ``E[f(z) grad_theta log p_theta(z)]``; works for any
  distribution with a differentiable log-density, including discrete ones, and
  any f (f need not be differentiable). A baseline ``b`` (a control variate that
  does not depend on z) keeps it unbiased and lowers its variance:
  ``E[(f(z) - b) grad_theta log p_theta(z)]``.
- pathwise: write ``z = g(theta, eps)`` with ``eps`` independent of theta and
  differentiate through the sample: ``E_eps[df/dz dz/dtheta]``; needs a fully
  reparameterized distribution and a differentiable f; usually far lower variance.

`variance_study` reproduces the lecture's comparison for ``z ~ N(theta, 1)``,
``f(z) = z^2`` (true gradient ``2 theta``), with closed-form variances.

Reference:
    Williams, "Simple statistical gradient-following algorithms for connectionist
    reinforcement learning", Machine Learning 1992 (REINFORCE).
    Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014; Rezende, Mohamed &
    Wierstra, "Stochastic Backpropagation and Approximate Inference in Deep Generative
    Models", ICML 2014 (reparameterization).
    Mohamed, Rosca, Figurnov & Mnih, "Monte Carlo Gradient Estimation in Machine
    Learning", JMLR 2020 (survey).
"""

import numbers

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from kgen.core import seeds
from kgen.core.errors import KgenTypeError, KgenValueError
from kgen.core.validation import check_finite, check_int, check_number, fail

tfd = tfp.distributions

__all__ = [
    "score_function_gradient",
    "pathwise_gradient",
    "variance_study",
    "closed_forms",
]


# --------------------------------------------------------------------------- helpers


def _param_names(params):
    """Readable names of the leaves of `params`, in tf.nest.flatten order."""
    if isinstance(params, dict):
        return [f"params[{key!r}]" for key in sorted(params)]
    if isinstance(params, (list, tuple)):
        return [f"params[{i}]" for i in range(len(params))]
    return ["params"]


def _prepare_params(params):
    """Validate params; return (structure of watchable tensors/variables, flat list)."""
    if isinstance(params, (dict, list, tuple)):
        flat = tf.nest.flatten(params)
        names = _param_names(params)
        if len(names) != len(flat):  # nested deeper than one level
            names = [f"params (leaf {i})" for i in range(len(flat))]
    else:
        flat, names = [params], ["params"]
    if not flat:
        fail("params", params, "a tensor, a variable, or a list or dict of them", KgenTypeError)
    prepared = []
    for name, value in zip(names, flat, strict=True):
        if isinstance(value, tf.Variable):
            if not value.dtype.is_floating:
                fail(name, value, "a floating-point variable", KgenTypeError)
            if tf.executing_eagerly():
                check_finite(name, value.numpy())
            prepared.append(value)
            continue
        if isinstance(value, (str, bytes)) or callable(value):
            fail(name, value, "a floating-point tensor, array, number or variable", KgenTypeError)
        try:
            tensor = tf.convert_to_tensor(value)
        except (TypeError, ValueError):
            fail(name, value, "a floating-point tensor, array, number or variable", KgenTypeError)
        if tensor.dtype.is_integer:
            tensor = tf.cast(tensor, tf.float32)
        if not tensor.dtype.is_floating:
            fail(name, value, "a floating-point tensor, array, number or variable", KgenTypeError)
        if hasattr(tensor, "numpy"):  # concrete (eager) value: check it; symbolic ones can't be
            check_finite(name, tensor.numpy())
        prepared.append(tensor)
    if isinstance(params, (dict, list, tuple)):
        return tf.nest.pack_sequence_as(params, prepared), prepared
    return prepared[0], prepared


def _check_callable(name, value, expected):
    if not callable(value):
        fail(name, value, expected, KgenTypeError)


def _distribution(distribution_fn, params):
    dist = distribution_fn(params)
    if not isinstance(dist, tfd.Distribution):
        shape = getattr(dist, "shape", None)
        shown = f"an object of type {type(dist).__name__}" + (
            f" and shape {tuple(shape)}" if shape is not None else "")
        raise KgenTypeError(
            "distribution_fn must return a tfp.distributions.Distribution (e.g. "
            f"lambda theta: tfp.distributions.Normal(theta, 1.0)); got {shown}."
        )
    return dist


def _evaluate_f(f, z, expected_shape, dtype):
    value = tf.convert_to_tensor(f(z))
    if not value.dtype.is_floating and not value.dtype.is_integer:
        fail("f", value, "a callable returning real values", KgenTypeError)
    value = tf.cast(value, dtype)
    if not value.shape.is_compatible_with(expected_shape):
        raise KgenValueError(
            f"f must return one value per sample and batch member, shape "
            f"(num_samples,) + batch_shape = {tuple(expected_shape.as_list())}; "
            f"got shape {tuple(value.shape.as_list())}. Reduce over the event "
            "dimensions inside f (e.g. tf.reduce_sum(..., axis=-1))."
        )
    return value


def _check_baseline(baseline, num_samples):
    if baseline is None or callable(baseline):
        return baseline
    if isinstance(baseline, str):
        if baseline != "mean":
            fail("baseline", baseline, "None, a number, 'mean' or a callable b(params)")
        if num_samples < 2:
            raise KgenValueError(
                "baseline='mean' (leave-one-out mean of f) needs num_samples >= 2; "
                f"got num_samples={num_samples}."
            )
        return baseline
    if isinstance(baseline, numbers.Real) and not isinstance(baseline, bool):
        return check_number("baseline", baseline)
    fail("baseline", baseline, "None, a number, 'mean' or a callable b(params)", KgenTypeError)


# --------------------------------------------------------------------------- estimators


def score_function_gradient(f, distribution_fn, params, num_samples, baseline=None, seed=None):
    """Score-function (REINFORCE, likelihood-ratio) estimate of grad_params E_{z~p}[f(z)].

    Draws ``num_samples`` samples at once (no Python loop per sample), holds them
    and ``f(z)`` fixed (`tf.stop_gradient`), and differentiates the surrogate
    ``mean_i (f(z_i) - b_i) * log p_params(z_i)`` with `tf.GradientTape`; its
    gradient is the Monte Carlo estimate ``1/N sum_i (f(z_i) - b_i) grad log p(z_i)``.

    When the distribution has a batch shape, each batch member is its own
    expectation and the result is the gradient of their sum, so independent
    parameter copies (e.g. ``theta`` of shape ``(reps,)``) get independent estimates.

    Args:
        f: callable mapping samples ``z`` of shape ``(num_samples,) + batch_shape +
            event_shape`` to values of shape ``(num_samples,) + batch_shape``. It need
            not be differentiable (it is never differentiated).
        distribution_fn: callable mapping `params` to a `tfp.distributions.Distribution`
            with a differentiable `log_prob` (discrete distributions are fine).
        params: a float tensor, array, number or `tf.Variable`, or a list/tuple/dict of
            them; passed to `distribution_fn` as given (numbers become tensors).
        num_samples: int >= 1, Monte Carlo samples.
        baseline: control variate ``b`` subtracted from ``f(z)``; it must not depend on
            the sample it is paired with, which keeps the estimator unbiased because
            ``E[b grad log p(z)] = b E[grad log p(z)] = 0``. One of:
            None (default, no baseline); a number; ``"mean"``, the leave-one-out mean
            ``b_i = mean_{j != i} f(z_j)`` (needs num_samples >= 2); or a callable
            ``b(params)`` returning values broadcastable to ``f(z)`` (e.g. a closed-form
            or learned estimate of ``E[f]``), never differentiated.
        seed: None (fresh randomness), an int in [0, 2**31 - 1], or a stateless seed
            pair (int tensor of shape [2], for varying seeds inside a `tf.function`).
            The same seed gives the same samples.

    Returns:
        The gradient estimate, shaped like `params` (a tensor, or a list/dict of tensors).

    Examples:
        >>> import tensorflow_probability as tfp
        >>> theta = tf.constant(2.0)
        >>> g = kgen.estimators.score_function_gradient(
        ...     tf.square, lambda t: tfp.distributions.Normal(t, 1.0), theta,
        ...     num_samples=100_000, baseline="mean", seed=0)
        >>> round(float(g), 1)   # true gradient 2 * theta = 4
        4.0

    Reference:
        Williams, "Simple statistical gradient-following algorithms for connectionist
        reinforcement learning", Machine Learning 1992.
        Mohamed et al., "Monte Carlo Gradient Estimation in Machine Learning", JMLR 2020.
    """
    _check_callable("f", f, "a callable mapping samples z to f(z)")
    _check_callable("distribution_fn", distribution_fn,
                    "a callable mapping params to a tfp.distributions.Distribution")
    num_samples = check_int("num_samples", num_samples, minimum=1)
    baseline = _check_baseline(baseline, num_samples)
    seed = seeds.stateless_seed(seed)
    structure, flat = _prepare_params(params)

    with tf.GradientTape(watch_accessed_variables=False) as tape:
        for value in flat:
            tape.watch(value)
        dist = _distribution(distribution_fn, structure)
        z = tf.stop_gradient(dist.sample(num_samples, seed=seed))
        log_p = dist.log_prob(z)
        expected = tf.TensorShape([num_samples]).concatenate(dist.batch_shape)
        fz = tf.stop_gradient(_evaluate_f(f, z, expected, log_p.dtype))
        if baseline is None:
            weight = fz
        elif isinstance(baseline, str):  # "mean": leave-one-out, independent of z_i
            total = tf.reduce_sum(fz, axis=0, keepdims=True)
            weight = fz - (total - fz) / (num_samples - 1)
        elif callable(baseline):
            b = tf.stop_gradient(tf.cast(tf.convert_to_tensor(baseline(structure)), fz.dtype))
            weight = fz - b
        else:
            weight = fz - tf.constant(baseline, fz.dtype)
        surrogate = tf.reduce_sum(tf.stop_gradient(weight) * log_p) / num_samples
    grads = tape.gradient(surrogate, flat, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return _pack(params, grads)


def pathwise_gradient(f, distribution_fn, params, num_samples, seed=None):
    """Pathwise (reparameterization-trick) estimate of grad_params E_{z~p}[f(z)].

    Samples ``z = g(params, eps)`` from a fully reparameterized distribution, so the
    sample itself is differentiable in the parameters, and differentiates
    ``mean_i f(z_i)`` with `tf.GradientTape`: ``1/N sum_i df/dz(z_i) dz_i/dparams``.
    All samples are drawn at once (no Python loop per sample).

    With a batch shape, each batch member is its own expectation and the result is
    the gradient of their sum (independent parameter copies get independent estimates).

    Args:
        f: differentiable callable mapping samples of shape ``(num_samples,) +
            batch_shape + event_shape`` to values of shape ``(num_samples,) + batch_shape``.
        distribution_fn: callable mapping `params` to a fully reparameterized
            `tfp.distributions.Distribution` (Normal, MultivariateNormalDiag, Gamma,
            RelaxedBernoulli, RelaxedOneHotCategorical, ...). Discrete distributions
            (Bernoulli, Categorical, ...) raise: use `score_function_gradient` or a
            relaxed (Gumbel-softmax / Concrete) distribution for them.
        params: a float tensor, array, number or `tf.Variable`, or a list/tuple/dict of them.
        num_samples: int >= 1, Monte Carlo samples.
        seed: None, an int in [0, 2**31 - 1], or a stateless seed pair (int tensor of
            shape [2]). The same seed gives the same samples as `score_function_gradient`.

    Returns:
        The gradient estimate, shaped like `params`.

    Examples:
        >>> import tensorflow_probability as tfp
        >>> g = kgen.estimators.pathwise_gradient(
        ...     tf.square, lambda t: tfp.distributions.Normal(t, 1.0), tf.constant(2.0),
        ...     num_samples=10_000, seed=0)
        >>> round(float(g), 1)   # 2 * theta = 4
        4.0

    Reference:
        Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
        Rezende, Mohamed & Wierstra, "Stochastic Backpropagation and Approximate
        Inference in Deep Generative Models", ICML 2014.
        Mohamed et al., "Monte Carlo Gradient Estimation in Machine Learning", JMLR 2020.
    """
    _check_callable("f", f, "a callable mapping samples z to f(z)")
    _check_callable("distribution_fn", distribution_fn,
                    "a callable mapping params to a tfp.distributions.Distribution")
    num_samples = check_int("num_samples", num_samples, minimum=1)
    seed = seeds.stateless_seed(seed)
    structure, flat = _prepare_params(params)

    with tf.GradientTape(watch_accessed_variables=False) as tape:
        for value in flat:
            tape.watch(value)
        dist = _distribution(distribution_fn, structure)
        kinds = tf.nest.flatten(dist.reparameterization_type)
        if any(kind != tfd.FULLY_REPARAMETERIZED for kind in kinds):
            raise KgenValueError(
                "distribution_fn must return a fully reparameterized distribution for "
                f"pathwise_gradient; got {type(dist).__name__} (reparameterization_type "
                f"{kinds[0]}). Its samples are not differentiable in the parameters: use "
                "score_function_gradient instead, or a relaxed distribution such as "
                "tfp.distributions.RelaxedBernoulli or RelaxedOneHotCategorical "
                "(Gumbel-softmax)."
            )
        z = dist.sample(num_samples, seed=seed)
        expected = tf.TensorShape([num_samples]).concatenate(dist.batch_shape)
        fz = _evaluate_f(f, z, expected, z.dtype if z.dtype.is_floating else tf.float32)
        objective = tf.reduce_sum(fz) / num_samples
    grads = tape.gradient(objective, flat, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return _pack(params, grads)


def _pack(params, grads):
    if isinstance(params, (dict, list, tuple)):
        return tf.nest.pack_sequence_as(params, grads)
    return grads[0]


# --------------------------------------------------------------------------- variance study


def closed_forms(theta, sizes):
    """Closed-form variances of the three estimators at sizes N, for z ~ N(theta, 1), f = z^2.

    Write z = theta + e, e ~ N(0, 1), so grad log p = z - theta = e, and use
    E[e^2] = 1, E[e^4] = 3, E[e^6] = 15, odd moments 0. Per sample:

    - pathwise: 2 (theta + e), variance 4.
    - score function: z^2 e = theta^2 e + 2 theta e^2 + e^3, second moment
      theta^4 + 18 theta^2 + 15, variance theta^4 + 14 theta^2 + 15 (87 at theta = 2).
    - baseline b = E[f] = theta^2 + 1: (z^2 - b) e = 2 theta e^2 + e^3 - e, second
      moment 12 theta^2 + 16 - 6 = 12 theta^2 + 10, variance 8 theta^2 + 10 (42 at 2).

    The mean of N iid samples has variance (per-sample variance) / N.

    Args:
        theta: float, the mean of z.
        sizes: ints, the sample sizes N.

    Returns:
        dict of "score_function_var_exact", "pathwise_var_exact", "baseline_var_exact"
        to float64 arrays, one variance per size.

    Examples:
        >>> forms = kgen.estimators.closed_forms(2.0, sizes=[1, 10])
        >>> forms["score_function_var_exact"], forms["pathwise_var_exact"], forms["baseline_var_exact"]
        (array([87. ,  8.7]), array([4. , 0.4]), array([42. ,  4.2]))

    Reference:
        Mohamed et al., "Monte Carlo Gradient Estimation in Machine Learning", JMLR 2020.
    """
    n = np.asarray(sizes, dtype="float64")
    return {
        "score_function_var_exact": (theta**4 + 14 * theta**2 + 15) / n,
        "pathwise_var_exact": 4.0 / n,
        "baseline_var_exact": (8 * theta**2 + 10) / n,
    }


def _normal_unit_scale(theta):
    return tfd.Normal(loc=theta, scale=tf.ones_like(theta))


def _study_estimates(theta, seed, sizes, reps):
    """(3, len(sizes), reps) estimates: score function, pathwise, baseline.

    Each size draws one stateless seed; the three estimators share it (common random
    numbers), and `reps` independent copies of theta form the distribution's batch.
    """
    thetas = tf.fill([reps], theta)
    seeds = tfp.random.split_seed(seed, n=len(sizes))
    rows = []
    for i, size in enumerate(sizes):
        score = score_function_gradient(tf.square, _normal_unit_scale, thetas, size, seed=seeds[i])
        path = pathwise_gradient(tf.square, _normal_unit_scale, thetas, size, seed=seeds[i])
        base = score_function_gradient(
            tf.square, _normal_unit_scale, thetas, size, baseline=lambda t: t**2 + 1.0,
            seed=seeds[i],
        )
        rows.append(tf.stack([score, path, base]))
    return tf.stack(rows, axis=1)


_study_graph = tf.function(_study_estimates, autograph=False)


def variance_study(theta=2.0, sizes=(10, 100, 1000, 10000, 100000), reps=100, seed=0):
    """The lecture's comparison of gradient estimators for z ~ N(theta, 1), f(z) = z^2.

    For every sample size N, estimates d/dtheta E[z^2] = 2 theta `reps` times with
    `score_function_gradient` (no baseline), `pathwise_gradient`, and
    `score_function_gradient` with the baseline b = E[f] = theta^2 + 1, and reports
    the mean and the (unbiased, ddof=1) variance of the `reps` estimates beside the
    closed-form variances (theta^4 + 14 theta^2 + 15) / N, 4 / N and (8 theta^2 + 10) / N
    (87/N, 4/N and 42/N at theta = 2).

    The whole study runs in one compiled `tf.function`: the `reps` repetitions are a
    batch of independent theta copies, so each size is a single vectorised draw of
    shape (N, reps). The three estimators at one size share their draws (common random
    numbers), so their variance ratios are measured much more precisely than with
    independent draws; each column on its own has the same distribution as the lecture's.

    Args:
        theta: float, the mean of z (default 2.0).
        sizes: sequence of int >= 1, sample sizes N (default 10 ... 100000).
        reps: int >= 2, repetitions per size (default 100).
        seed: int in [0, 2**31 - 1], makes the study reproducible (default 0).

    Returns:
        dict of float64 numpy arrays, each indexed like `sizes`: ``sizes``,
        ``score_function_mean``, ``score_function_var``, ``pathwise_mean``,
        ``pathwise_var``, ``baseline_mean``, ``baseline_var``,
        ``score_function_var_exact``, ``pathwise_var_exact``, ``baseline_var_exact``,
        plus ``gradient_exact`` (2 theta) and ``reps``.

    Examples:
        >>> study = kgen.estimators.variance_study(theta=2.0, sizes=(10, 100), reps=50, seed=0)
        >>> study["pathwise_var_exact"], study["pathwise_var"].round(2)     # 4 / N, and as measured
        (array([0.4 , 0.04]), array([0.46, 0.03]))
        >>> study["score_function_var_exact"] / study["pathwise_var_exact"]    # the lecture's 87 / 4
        array([21.75, 21.75])

    Reference:
        Mohamed et al., "Monte Carlo Gradient Estimation in Machine Learning", JMLR 2020.
    """
    theta = check_number("theta", theta)
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        fail("sizes", sizes, "a non-empty sequence of integers >= 1", KgenTypeError)
    sizes = tuple(check_int(f"sizes[{i}]", n, minimum=1) for i, n in enumerate(sizes))
    if not sizes:
        fail("sizes", sizes, "a non-empty sequence of integers >= 1")
    reps = check_int("reps", reps, minimum=2)
    seed = check_int("seed", seed, minimum=0, maximum=seeds.MAX_SEED)

    estimates = _study_graph(
        tf.constant(theta, tf.float32), tf.constant([seed, 0], tf.int32), sizes, reps
    )
    estimates = estimates.numpy().astype("float64")  # (3, len(sizes), reps)
    means = estimates.mean(axis=-1)
    variances = estimates.var(axis=-1, ddof=1)
    study = {
        "sizes": np.asarray(sizes, dtype="float64"),
        "score_function_mean": means[0],
        "score_function_var": variances[0],
        "pathwise_mean": means[1],
        "pathwise_var": variances[1],
        "baseline_mean": means[2],
        "baseline_var": variances[2],
        "gradient_exact": np.full(len(sizes), 2.0 * theta),
        "reps": np.full(len(sizes), float(reps)),
    }
    study.update(closed_forms(theta, sizes))
    return study
