"""Discounted returns of reward sequences: what policy-gradient methods and MDP rollouts sum."""

import numpy as np

from kgen.core.validation import check_finite, check_number, fail


def _check_rewards(rewards):
    rewards = check_finite("rewards", rewards).astype("float64")
    if rewards.ndim != 1:
        fail("rewards", rewards, "a 1-D sequence of finite rewards")
    return rewards


def discounted_return(rewards, gamma):
    """sum_t gamma^t r_t of one reward sequence."""
    gamma = check_number("gamma", gamma, 0.0, 1.0)
    rewards = _check_rewards(rewards)
    return float(np.sum(rewards * gamma ** np.arange(len(rewards))))


def returns_to_go(rewards, gamma):
    """G_t = sum_{k >= t} gamma^(k - t) r_k for every t of one episode (float64 array)."""
    gamma = check_number("gamma", gamma, 0.0, 1.0)
    rewards = _check_rewards(rewards)
    returns = np.empty_like(rewards)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        returns[t] = running
    return returns
