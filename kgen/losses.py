"""Loss functions as pure functions of tensors and distributions, named by role.

`train_step`s compose these; the math lives here, where tests check it against
hand computations.
"""

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions


def _as_diagonal_normal(distribution):
    """An `Independent(Normal, 1)` as the equal `MultivariateNormalDiag`, else None."""
    if isinstance(distribution, tfd.Independent) and isinstance(distribution.distribution, tfd.Normal):
        if tf.get_static_value(distribution.reinterpreted_batch_ndims) == 1:
            inner = distribution.distribution
            return tfd.MultivariateNormalDiag(loc=inner.loc, scale_diag=inner.scale)
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
        raise ValueError(
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

    Reference:
        Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
    """
    return beta * kl - reconstruction_log_prob


def importance_weighted_bound(log_weights, axis=0):
    """log (1/k) sum_i exp(log_weights_i): the IWAE bound on log p(x) from k importance weights.

    Args:
        log_weights: tensor with k samples along `axis`, log p(x, z_i) - log q(z_i | x).
        axis: int, the sample axis (default 0).

    Returns:
        Tensor with `axis` reduced.

    Reference:
        Burda, Grosse and Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016.
    """
    k = tf.cast(tf.shape(log_weights)[axis], log_weights.dtype)
    return tf.reduce_logsumexp(log_weights, axis=axis) - tf.math.log(k)



# --------------------------------------------------------------------------- GAN losses
#
# Each pair takes the discriminator's outputs by role: `real_logits` = D(x) on data,
# `fake_logits` = D(G(z)) on samples. "Logits" are pre-sigmoid scores for the
# minimax and non-saturating losses and raw scores (critic values) for the others.
# Every function returns one loss per example, shape (n,), for
# `tf.nn.compute_average_loss`; outputs with more than one score per example
# (e.g. (n, 1) or patch maps) are averaged over the extra axes.


def _per_example(values):
    """Average a loss over every axis but the first: (n, ...) -> (n,)."""
    values = tf.convert_to_tensor(values)
    if values.shape.rank == 1:
        return values
    return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


def _logits(logits):
    logits = tf.convert_to_tensor(logits)
    return logits if logits.dtype.is_floating else tf.cast(logits, tf.float32)


def minimax_discriminator_loss(real_logits, fake_logits):
    """The discriminator's side of the GAN minimax game: -log D(x) - log(1 - D(G(z))).

    With D = sigmoid(logit): softplus(-real_logits) + softplus(fake_logits), the binary
    cross-entropy of calling data real and samples fake. The non-saturating GAN uses
    the same discriminator loss.

    Args:
        real_logits: tensor (n,) or (n, 1), D's logits on data.
        fake_logits: tensor of the same shape, D's logits on generated samples.

    Returns:
        Tensor (n,).

    Example:
        >>> minimax_discriminator_loss([0.0], [0.0])   # 2 log 2 at D = 1/2
        <tf.Tensor: shape=(1,), dtype=float32, numpy=array([1.3862944], dtype=float32)>

    Reference:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, eq. 1.
    """
    return _per_example(tf.nn.softplus(-_logits(real_logits))) + _per_example(
        tf.nn.softplus(_logits(fake_logits))
    )


def minimax_generator_loss(fake_logits):
    """The generator's side of the minimax game (saturating): log(1 - D(G(z))).

    Equals -softplus(fake_logits). Its gradient with respect to the logit is
    -sigmoid(logit), which vanishes where D confidently rejects the samples
    (logit -> -inf): the generator learns nothing exactly when it is worst. Kept
    for teaching; use `non_saturating_generator_loss` to train.

    Args:
        fake_logits: tensor (n,) or (n, 1), D's logits on generated samples.

    Returns:
        Tensor (n,), at most 0.

    Example:
        >>> minimax_generator_loss([0.0])   # log(1/2)
        <tf.Tensor: shape=(1,), dtype=float32, numpy=array([-0.6931472], dtype=float32)>

    Reference:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, eq. 1.
    """
    return _per_example(-tf.nn.softplus(_logits(fake_logits)))


def non_saturating_discriminator_loss(real_logits, fake_logits):
    """The non-saturating GAN's discriminator loss: the minimax one, -log D(x) - log(1 - D(G(z))).

    Args:
        real_logits: tensor (n,) or (n, 1), D's logits on data.
        fake_logits: tensor of the same shape, D's logits on generated samples.

    Returns:
        Tensor (n,).

    Example:
        >>> non_saturating_discriminator_loss([2.0], [-2.0])

    Reference:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, section 3.
    """
    return minimax_discriminator_loss(real_logits, fake_logits)


def non_saturating_generator_loss(fake_logits):
    """The non-saturating generator loss: -log D(G(z)) = softplus(-fake_logits).

    The generator maximizes the log-probability that D is wrong instead of
    minimizing the probability that it is right: same fixed point, but the gradient
    with respect to the logit, -sigmoid(-logit), tends to -1 (not 0) where D
    confidently rejects the samples.

    Args:
        fake_logits: tensor (n,) or (n, 1), D's logits on generated samples.

    Returns:
        Tensor (n,), at least 0.

    Example:
        >>> non_saturating_generator_loss([0.0])   # log 2

    Reference:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, section 3.
    """
    return _per_example(tf.nn.softplus(-_logits(fake_logits)))


def least_squares_discriminator_loss(real_logits, fake_logits):
    """LSGAN discriminator loss: 1/2 (D(x) - 1)^2 + 1/2 D(G(z))^2 on raw scores.

    The 0-1 coding (a = 0 for fake, b = 1 for real); D's output has no sigmoid.

    Args:
        real_logits: tensor (n,) or (n, 1), D's raw scores on data.
        fake_logits: tensor of the same shape, D's raw scores on generated samples.

    Returns:
        Tensor (n,).

    Example:
        >>> least_squares_discriminator_loss([1.0], [0.0])   # 0 at the targets

    Reference:
        Mao et al., "Least Squares Generative Adversarial Networks", ICCV 2017, eq. 9.
    """
    real, fake = _logits(real_logits), _logits(fake_logits)
    return _per_example(0.5 * tf.square(real - 1.0)) + _per_example(0.5 * tf.square(fake))


def least_squares_generator_loss(fake_logits):
    """LSGAN generator loss: 1/2 (D(G(z)) - 1)^2 (target c = 1, "real").

    Args:
        fake_logits: tensor (n,) or (n, 1), D's raw scores on generated samples.

    Returns:
        Tensor (n,).

    Example:
        >>> least_squares_generator_loss([0.0])   # 0.5

    Reference:
        Mao et al., "Least Squares Generative Adversarial Networks", ICCV 2017, eq. 9.
    """
    return _per_example(0.5 * tf.square(_logits(fake_logits) - 1.0))


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """Wasserstein critic loss: D(G(z)) - D(x), whose negative mean estimates W1 for a 1-Lipschitz D.

    The critic must be kept (about) 1-Lipschitz; add `gradient_penalty` (WGAN-GP).

    Args:
        real_logits: tensor (n,) or (n, 1), critic values on data.
        fake_logits: tensor of the same shape, critic values on generated samples.

    Returns:
        Tensor (n,).

    Example:
        >>> wasserstein_discriminator_loss([3.0], [1.0])   # -2

    Reference:
        Arjovsky, Chintala and Bottou, "Wasserstein Generative Adversarial Networks",
        ICML 2017, eq. 3; Gulrajani et al., "Improved Training of Wasserstein GANs",
        NeurIPS 2017, algorithm 1.
    """
    return _per_example(_logits(fake_logits)) - _per_example(_logits(real_logits))


def wasserstein_generator_loss(fake_logits):
    """Wasserstein generator loss: -D(G(z)).

    Args:
        fake_logits: tensor (n,) or (n, 1), critic values on generated samples.

    Returns:
        Tensor (n,).

    Example:
        >>> wasserstein_generator_loss([1.5])   # -1.5

    Reference:
        Arjovsky, Chintala and Bottou, "Wasserstein Generative Adversarial Networks",
        ICML 2017; Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.
    """
    return -_per_example(_logits(fake_logits))


def gradient_penalty(critic, real, fake, seed_or_alpha):
    """WGAN-GP penalty (|grad_x D(x_hat)|_2 - 1)^2 at x_hat = alpha x + (1 - alpha) G(z).

    One alpha ~ U(0, 1) per example. The gradient is taken per example, so the
    critic must treat examples independently (no batch normalization; layer
    normalization or none). Multiply by the penalty weight (10 in the paper) and
    add it to `wasserstein_discriminator_loss`.

    Args:
        critic: callable, images (n, ...) -> scores (n,) or (n, 1); e.g.
            ``lambda x: discriminator([x, labels], training=True)`` when conditional.
        real: tensor (n, ...), data.
        fake: tensor (n, ...), generated samples.
        seed_or_alpha: an int32 stateless seed of shape (2,) to draw alpha, or a float
            tensor (n,) of interpolation weights alpha in [0, 1].

    Returns:
        Tensor (n,), at least 0.

    Example:
        >>> w = tf.constant([[0.6], [0.8]])                  # |w| = 1
        >>> gradient_penalty(lambda x: x @ w, tf.ones([3, 2]), tf.zeros([3, 2]), tf.constant([1, 2]))
        <tf.Tensor: shape=(3,), dtype=float32, numpy=array([0., 0., 0.], dtype=float32)>

    Reference:
        Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017, eq. 3.
    """
    real = tf.convert_to_tensor(real)
    fake = tf.cast(tf.convert_to_tensor(fake), real.dtype)
    alpha_shape = tf.concat([tf.shape(real)[:1], tf.ones([real.shape.rank - 1], tf.int32)], axis=0)
    seed_or_alpha = tf.convert_to_tensor(seed_or_alpha)
    if seed_or_alpha.dtype.is_integer:
        alpha = tf.random.stateless_uniform(alpha_shape, seed=seed_or_alpha, dtype=real.dtype)
    else:
        alpha = tf.reshape(tf.cast(seed_or_alpha, real.dtype), alpha_shape)
    mixed = fake + alpha * (real - fake)
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        scores = critic(mixed)
    gradients = tape.gradient(scores, mixed)  # of the sum of scores: per example, as they are independent
    axes = list(range(1, real.shape.rank))
    norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=axes) + 1e-12)
    return tf.square(norms - 1.0)


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge discriminator loss: max(0, 1 - D(x)) + max(0, 1 + D(G(z))) on raw scores.

    Args:
        real_logits: tensor (n,) or (n, 1), D's raw scores on data.
        fake_logits: tensor of the same shape, D's raw scores on generated samples.

    Returns:
        Tensor (n,).

    Example:
        >>> hinge_discriminator_loss([0.5], [-2.0])   # 0.5 + 0

    Reference:
        Lim and Ye, "Geometric GAN", arXiv:1705.02894, 2017; Miyato et al.,
        "Spectral Normalization for Generative Adversarial Networks", ICLR 2018, eq. 16.
    """
    real, fake = _logits(real_logits), _logits(fake_logits)
    return _per_example(tf.nn.relu(1.0 - real)) + _per_example(tf.nn.relu(1.0 + fake))


def hinge_generator_loss(fake_logits):
    """Hinge generator loss: -D(G(z)).

    Args:
        fake_logits: tensor (n,) or (n, 1), D's raw scores on generated samples.

    Returns:
        Tensor (n,).

    Example:
        >>> hinge_generator_loss([0.25])   # -0.25

    Reference:
        Lim and Ye, "Geometric GAN", arXiv:1705.02894, 2017; Miyato et al.,
        "Spectral Normalization for Generative Adversarial Networks", ICLR 2018, eq. 17.
    """
    return -_per_example(_logits(fake_logits))


GAN_LOSSES = {
    "minimax": (minimax_discriminator_loss, minimax_generator_loss),
    "non_saturating": (non_saturating_discriminator_loss, non_saturating_generator_loss),
    "least_squares": (least_squares_discriminator_loss, least_squares_generator_loss),
    "wgan-gp": (wasserstein_discriminator_loss, wasserstein_generator_loss),
    "wasserstein": (wasserstein_discriminator_loss, wasserstein_generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
}
"""GAN loss name -> (discriminator_loss(real_logits, fake_logits), generator_loss(fake_logits)).

"wasserstein" is an alias of "wgan-gp": kgen trains the Wasserstein loss only with
`gradient_penalty` (there is no weight clipping)."""


def td_targets(rewards, terminated, next_q_target, gamma, next_q_online=None):
    """One-step TD targets y = r + gamma (1 - terminated) Q_target(s', a'), without gradient.

    DQN takes a' = argmax_a Q_target(s', a); Double DQN (pass `next_q_online`) picks
    a' = argmax_a Q_online(s', a) with the online network and evaluates it with the
    target network, which removes the max operator's upward bias.

    Args:
        rewards: float tensor (batch,).
        terminated: float or bool tensor (batch,), 1 where s' is terminal (not merely
            truncated by a time limit: those still bootstrap).
        next_q_target: float tensor (batch, actions), the target network at s'.
        gamma: float, the discount factor.
        next_q_online: optional float tensor (batch, actions), the online network at s'.

    Returns:
        float tensor (batch,).

    Reference: Mnih et al., "Human-level control through deep reinforcement
    learning", Nature 2015; van Hasselt et al., "Deep Reinforcement Learning with
    Double Q-learning", AAAI 2016.
    """
    next_q_target = tf.convert_to_tensor(next_q_target)
    if next_q_online is None:
        next_value = tf.reduce_max(next_q_target, axis=-1)
    else:
        best = tf.argmax(next_q_online, axis=-1, output_type=tf.int32)
        next_value = tf.gather(next_q_target, best, batch_dims=1)
    rewards = tf.cast(rewards, next_value.dtype)
    alive = 1.0 - tf.cast(terminated, next_value.dtype)
    return tf.stop_gradient(rewards + gamma * alive * next_value)


def q_learning_loss(q_taken, targets, delta=1.0):
    """Mean Huber loss between Q(s, a) of the actions taken and their TD targets.

    The Huber loss is quadratic for errors below `delta` and linear above, which
    clips the gradient of large TD errors to +-delta (Mnih et al. 2015).
    """
    error = tf.convert_to_tensor(targets) - q_taken
    absolute = tf.abs(error)
    quadratic = tf.minimum(absolute, delta)
    return tf.reduce_mean(0.5 * quadratic**2 + delta * (absolute - quadratic))


def policy_gradient_loss(log_probs, advantages, weights=None):
    """The REINFORCE surrogate -mean(log pi(a_t | s_t) A_t), whose gradient is the
    score-function estimate of the policy gradient.

    Args:
        log_probs: float tensor (batch,), log pi(a_t | s_t) of the actions taken.
        advantages: float tensor (batch,), returns-to-go minus a baseline; treated
            as constants (no gradient flows into them).
        weights: optional float tensor (batch,), 0 for padding rows; the mean is over
            the rows with weight.

    Returns:
        scalar tensor.

    Reference: Williams, "Simple statistical gradient-following algorithms for
    connectionist reinforcement learning", Machine Learning 1992.
    """
    terms = log_probs * tf.stop_gradient(tf.cast(advantages, log_probs.dtype))
    if weights is None:
        return -tf.reduce_mean(terms)
    weights = tf.cast(weights, log_probs.dtype)
    return -tf.reduce_sum(weights * terms) / tf.maximum(tf.reduce_sum(weights), 1.0)
