"""A numpy ring buffer of transitions for off-policy agents."""

import numpy as np

from kgen.core.validation import check_int, fail


class ReplayBuffer:
    """Fixed-capacity storage of (s, a, r, s', terminated); the oldest are overwritten.

    Args:
        capacity: int >= 1.
        observation_shape: tuple, the shape of one observation.
        action_shape: tuple, () for discrete actions.
        action_dtype: numpy dtype of actions (default int32).

    Examples:
        >>> buffer = kgen.rl.ReplayBuffer(1000, (4,))
        >>> obs = np.zeros((10, 4))
        >>> buffer.add(obs, np.ones(10), np.ones(10), obs + 1, np.zeros(10))   # a batch of 10 rows
        >>> observations, actions, rewards, next_observations, terminated = buffer.sample(
        ...     np.random.default_rng(0), (8, 64))                            # 8 minibatches of 64
        >>> len(buffer), observations.shape, actions.shape, actions.dtype
        (10, (8, 64, 4), (8, 64), dtype('int32'))
    """

    def __init__(self, capacity, observation_shape, action_shape=(), action_dtype=np.int32):
        self.capacity = check_int("capacity", capacity, 1)
        shape = tuple(observation_shape)
        self.observations = np.zeros((self.capacity, *shape), np.float32)
        self.next_observations = np.zeros((self.capacity, *shape), np.float32)
        self.actions = np.zeros((self.capacity, *tuple(action_shape)), action_dtype)
        self.rewards = np.zeros(self.capacity, np.float32)
        self.terminated = np.zeros(self.capacity, np.float32)
        self.position = 0
        self.size = 0

    def __len__(self):
        return self.size

    def add(self, observations, actions, rewards, next_observations, terminated):
        """Append a batch of transitions (leading axis = rows)."""
        rows = len(rewards)
        index = (self.position + np.arange(rows)) % self.capacity
        self.observations[index] = observations
        self.actions[index] = actions
        self.rewards[index] = rewards
        self.next_observations[index] = next_observations
        self.terminated[index] = terminated
        self.position = (self.position + rows) % self.capacity
        self.size = min(self.size + rows, self.capacity)

    def sample(self, rng, shape):
        """Uniformly sampled transitions (with replacement), arrays shaped `shape` + row shape."""
        if self.size == 0:
            fail("buffer", "an empty replay buffer", "at least one stored transition before sampling")
        index = rng.integers(0, self.size, size=shape)
        return (
            self.observations[index],
            self.actions[index],
            self.rewards[index],
            self.next_observations[index],
            self.terminated[index],
        )
