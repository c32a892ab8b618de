"""Known termination rules of gymnasium environments, for a dynamics model told when an episode
ends instead of learning it (`ModelBasedAgent(termination="known")`, as MBRL-Lib requires)."""

import math

import tensorflow as tf

from kgen.core.validation import fail

CARTPOLE_X_LIMIT = 2.4
"""gymnasium's `CartPoleEnv.x_threshold`: the cart is off the track beyond it."""
CARTPOLE_ANGLE_LIMIT = 12 * 2 * math.pi / 360
"""gymnasium's `CartPoleEnv.theta_threshold_radians`: the pole has fallen beyond it."""


def cartpole(observations, actions, next_observations):
    """CartPole-v1 ends when the cart leaves the track or the pole leans past 12 degrees."""
    return (tf.abs(next_observations[:, 0]) > CARTPOLE_X_LIMIT) | (tf.abs(next_observations[:, 2]) > CARTPOLE_ANGLE_LIMIT)


def never(observations, actions, next_observations):
    """Pendulum-v1 never terminates (its episodes are only truncated, at 200 steps)."""
    return tf.zeros(tf.shape(next_observations)[:1], tf.bool)


KNOWN = {"CartPole-v1": cartpole, "Pendulum-v1": never}
"""Environment id: its termination rule (observations, actions, next_observations) -> bool (n,)."""

TERMINATIONS = ("learned", "known")


def termination_rule(termination, env_id):
    """The known rule of `env_id` for termination="known", None for "learned" (the ensemble's head)."""
    if termination not in TERMINATIONS:
        fail("termination", termination, f"one of {', '.join(map(repr, TERMINATIONS))}")
    if termination == "learned":
        return None
    if env_id not in KNOWN:
        fail("termination", f"'known' for {env_id!r}",
             f"'learned', or 'known' for an environment whose rule kgen has ({', '.join(sorted(KNOWN))})")
    return KNOWN[env_id]
