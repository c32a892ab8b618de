"""RL losses: one-step TD targets, the Huber Q-learning loss and the REINFORCE surrogate."""

import tensorflow as tf


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

    Examples:
        >>> next_q = [[2.0, 3.0], [2.0, 3.0]]
        >>> kgen.losses.td_targets([1.0, 1.0], [0.0, 1.0], next_q, gamma=0.9).numpy()   # 1 + 0.9 * 3, 1
        array([3.6999998, 1.       ], dtype=float32)
        >>> online = [[1.0, 0.0], [1.0, 0.0]]          # Double DQN: the online net picks action 0
        >>> kgen.losses.td_targets([1.0, 1.0], [0.0, 1.0], next_q, 0.9, next_q_online=online).numpy()
        array([2.8, 1. ], dtype=float32)

    Reference:
        Mnih et al., "Human-level control through deep reinforcement learning", Nature 2015;
        van Hasselt, Guez and Silver, "Deep Reinforcement Learning with Double Q-learning", AAAI 2016.
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
    clips the gradient of large TD errors to +-delta.

    Args:
        q_taken: tensor (n,), Q(s, a) of the actions taken.
        targets: tensor (n,), their TD targets (no gradient flows into them).
        delta: float, where the loss turns linear (default 1.0).

    Returns:
        Scalar tensor.

    Examples:
        >>> q_taken, targets = tf.constant([1.0, 0.0]), tf.constant([1.5, 3.0])
        >>> float(kgen.losses.q_learning_loss(q_taken, targets))   # (0.5 * 0.5^2 + (3 - 0.5)) / 2
        1.3125

    Reference:
        Mnih et al., "Human-level control through deep reinforcement learning", Nature 2015.
    """
    error = tf.convert_to_tensor(targets) - q_taken
    absolute = tf.abs(error)
    quadratic = tf.minimum(absolute, delta)
    return tf.reduce_mean(0.5 * quadratic**2 + delta * (absolute - quadratic))


def policy_gradient_loss(log_probs, advantages, weights=None, total_weight=None):
    """The REINFORCE surrogate -mean(log pi(a_t | s_t) A_t), whose gradient is the
    score-function estimate of the policy gradient.

    Args:
        log_probs: float tensor (batch,), log pi(a_t | s_t) of the actions taken.
        advantages: float tensor (batch,), returns-to-go minus a baseline; treated
            as constants (no gradient flows into them).
        weights: optional float tensor (batch,), 0 for padding rows; the mean is over
            the rows with weight.
        total_weight: optional scalar, the mean's denominator (default the sum of
            `weights`); a replica computing its share of a larger batch passes the
            whole batch's.

    Returns:
        scalar tensor.

    Examples:
        >>> log_probs, advantages = tf.math.log([0.5, 0.25]), tf.constant([1.0, -1.0])
        >>> round(float(kgen.losses.policy_gradient_loss(log_probs, advantages)), 4)   # -(log 1/2 - log 1/4) / 2
        -0.3466
        >>> round(float(kgen.losses.policy_gradient_loss(log_probs, advantages, weights=[1.0, 0.0])), 4)
        0.6931

    Reference:
        Williams, "Simple statistical gradient-following algorithms for connectionist
        reinforcement learning", Machine Learning 1992.
    """
    terms = log_probs * tf.stop_gradient(tf.cast(advantages, log_probs.dtype))
    if weights is None:
        return -tf.reduce_mean(terms)
    weights = tf.cast(weights, log_probs.dtype)
    total = tf.maximum(tf.reduce_sum(weights), 1.0) if total_weight is None else tf.cast(total_weight, log_probs.dtype)
    return -tf.reduce_sum(weights * terms) / total
