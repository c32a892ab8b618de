"""VAE losses: the KL term, the negative ELBO and the importance-weighted bound, as pure functions."""

import tensorflow as tf
import tensorflow_probability as tfp

from kgen.core.errors import KgenValueError

tfd = tfp.distributions


def _as_diagonal_normal(distribution):
    """An `Independent(Normal, 1)` as the equal `MultivariateNormalDiag`, else None."""
    if isinstance(distribution, tfd.Independent) and isinstance(distribution.distribution, tfd.Normal):
        if tf.get_static_value(distribution.reinterpreted_batch_ndims) == 1:
            inner = distribution.distribution
            loc, scale = tf.broadcast_to(inner.loc, inner.batch_shape_tensor()), inner.scale
            return tfd.MultivariateNormalDiag(loc=loc, scale_diag=scale * tf.ones_like(loc))  # a scalar scale too
    return None


def kl_divergence(posterior, prior, z=None, analytic=True):
    """KL(posterior || prior) per example, analytic where TFP has it, else Monte Carlo.

    TFP registers no KL between `Independent(Normal)` and `MultivariateNormalDiag`,
    so a diagonal posterior is first rewritten as the equal `MultivariateNormalDiag`.

    Args:
        posterior: tfd.Distribution q(z|x), batch (n,).
        prior: tfd.Distribution p(z).
        z: tensor or None, samples from `posterior` for the Monte Carlo estimate
            log q(z|x) - log p(z); needed when `analytic` is False or no closed form exists.
        analytic: bool, use the closed form when one exists (default True).

    Returns:
        Tensor of shape (n,), nats.

    Examples:
        >>> import tensorflow_probability as tfp
        >>> q = tfp.distributions.Independent(tfp.distributions.Normal([[1.0, 0.0]], [[1.0, 1.0]]), 1)
        >>> p = tfp.distributions.MultivariateNormalDiag(loc=[0.0, 0.0])
        >>> kgen.losses.kl_divergence(q, p).numpy()          # |mu|^2 / 2
        array([0.5], dtype=float32)
        >>> z = q.sample(10_000, seed=0)
        >>> kgen.losses.kl_divergence(q, p, z=z, analytic=False).numpy().mean().round(1)   # Monte Carlo
        np.float32(0.5)

    Reference:
        Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014, appendix B.
    """
    if analytic:
        for q in (posterior, _as_diagonal_normal(posterior)):
            if q is None:
                continue
            try:
                return tfd.kl_divergence(q, prior)
            except NotImplementedError:
                pass
    if z is None:
        raise KgenValueError(
            "z must be samples of the posterior for a Monte Carlo KL; got None "
            f"(no closed form for KL({type(posterior).__name__} || {type(prior).__name__}))."
        )
    return posterior.log_prob(z) - prior.log_prob(z)


def negative_elbo(reconstruction_log_prob, kl, beta=1.0):
    """The VAE loss per example: -(E_q[log p(x|z)] - beta * KL(q(z|x) || p(z))).

    Args:
        reconstruction_log_prob: tensor (n,), log p(x|z) at z ~ q(z|x).
        kl: tensor (n,), KL(q(z|x) || p(z)).
        beta: float or scalar tensor, the KL weight (1 gives the ELBO; Higgins et al. 2017
            for beta != 1).

    Returns:
        Tensor (n,), nats.

    Examples:
        >>> log_px_z, kl = tf.constant([-100.0, -90.0]), tf.constant([5.0, 4.0])
        >>> kgen.losses.negative_elbo(log_px_z, kl).numpy()
        array([105.,  94.], dtype=float32)
        >>> kgen.losses.negative_elbo(log_px_z, kl, beta=0.5).numpy()   # a beta-VAE
        array([102.5,  92. ], dtype=float32)

    Reference:
        Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014; Higgins et al.,
        "beta-VAE: Learning Basic Visual Concepts with a Constrained Variational Framework",
        ICLR 2017.
    """
    return beta * kl - reconstruction_log_prob


def importance_weighted_bound(log_weights, axis=0):
    """log (1/k) sum_i exp(log_weights_i): the IWAE bound on log p(x) from k importance weights.

    Args:
        log_weights: tensor with k samples along `axis`, log p(x, z_i) - log q(z_i | x).
        axis: int, the sample axis (default 0).

    Returns:
        Tensor with `axis` reduced.

    Examples:
        >>> log_weights = tf.math.log([[1.0, 4.0], [2.0, 4.0], [3.0, 4.0]])   # k = 3 samples, 2 examples
        >>> kgen.losses.importance_weighted_bound(log_weights).numpy()      # log of the mean weight
        array([0.6931472, 1.3862944], dtype=float32)

    Reference:
        Burda, Grosse and Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016.
    """
    k = tf.cast(tf.shape(log_weights)[axis], log_weights.dtype)
    return tf.reduce_logsumexp(log_weights, axis=axis) - tf.math.log(k)
