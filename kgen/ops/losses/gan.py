"""GAN losses, paired per family as (discriminator loss, generator loss), and the WGAN-GP gradient penalty.

Each pair takes the discriminator's outputs by role: `real_logits` = D(x) on data,
`fake_logits` = D(G(z)) on samples. "Logits" are pre-sigmoid scores for the
minimax and non-saturating losses and raw scores (critic values) for the others.
Every function returns one loss per example, shape (n,), for
`tf.nn.compute_average_loss`; outputs with more than one score per example
(e.g. (n, 1) or patch maps) are averaged over the extra axes.
"""

import tensorflow as tf

from kgen.core import seeds


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

    Examples:
        >>> kgen.losses.minimax_discriminator_loss([0.0], [0.0]).numpy()   # 2 log 2 at D = 1/2
        array([1.3862944], dtype=float32)

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

    Examples:
        >>> kgen.losses.minimax_generator_loss([0.0]).numpy()   # log(1/2)
        array([-0.6931472], dtype=float32)

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

    Examples:
        >>> kgen.losses.non_saturating_discriminator_loss([2.0], [-2.0]).numpy()   # 2 softplus(-2)
        array([0.253856], dtype=float32)

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

    Examples:
        >>> kgen.losses.non_saturating_generator_loss([0.0]).numpy()   # log 2
        array([0.6931472], dtype=float32)

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

    Examples:
        >>> kgen.losses.least_squares_discriminator_loss([1.0], [0.0]).numpy()   # 0 at the targets
        array([0.], dtype=float32)

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

    Examples:
        >>> kgen.losses.least_squares_generator_loss([0.0]).numpy()   # 1/2 (0 - 1)^2
        array([0.5], dtype=float32)

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

    Examples:
        >>> kgen.losses.wasserstein_discriminator_loss([3.0], [1.0]).numpy()   # 1 - 3
        array([-2.], dtype=float32)

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

    Examples:
        >>> kgen.losses.wasserstein_generator_loss([1.5]).numpy()
        array([-1.5], dtype=float32)

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

    Examples:
        >>> w = tf.constant([[0.6], [0.8]])                  # |w| = 1: a 1-Lipschitz critic
        >>> real, fake, seed = tf.ones([3, 2]), tf.zeros([3, 2]), tf.constant([1, 2])
        >>> kgen.losses.gradient_penalty(lambda x: x @ w, real, fake, seed).numpy()
        array([0., 0., 0.], dtype=float32)
        >>> kgen.losses.gradient_penalty(lambda x: 2.0 * x @ w, real, fake, seed).numpy()   # |grad| = 2
        array([1., 1., 1.], dtype=float32)

    Reference:
        Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017, eq. 3.
    """
    real = tf.convert_to_tensor(real)
    fake = tf.cast(tf.convert_to_tensor(fake), real.dtype)
    alpha_shape = tf.concat([tf.shape(real)[:1], tf.ones([real.shape.rank - 1], tf.int32)], axis=0)
    seed_or_alpha = tf.convert_to_tensor(seed_or_alpha)
    if seed_or_alpha.dtype.is_integer:
        alpha = seeds.uniform(alpha_shape, seed_or_alpha, dtype=real.dtype)
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

    Examples:
        >>> kgen.losses.hinge_discriminator_loss([0.5], [-2.0]).numpy()   # 0.5 + 0
        array([0.5], dtype=float32)

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

    Examples:
        >>> kgen.losses.hinge_generator_loss([0.25]).numpy()
        array([-0.25], dtype=float32)

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
