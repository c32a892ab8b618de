"""Any finite MDP as a gymnasium environment, so agents and tabular solutions meet."""

import gymnasium as gym
import numpy as np

from kgen.core.validation import check_int, fail
from kgen.rl.mdp import MDP


class TabularEnv(gym.Env):
    """A gymnasium environment that samples an `MDP`.

    Observations are state indices (`Discrete(S)`), or one-hot vectors when
    `one_hot=True` (so a neural agent can read them); actions are `Discrete(A)`.
    An episode ends (terminated) on reaching a terminal state, and is truncated
    after `max_episode_steps`.

    Args:
        mdp: MDP (or an object with an `.mdp`, such as `GridWorld`).
        max_episode_steps: int >= 1 (default 100).
        one_hot: bool (default False).

    Examples:
        >>> env = kgen.rl.TabularEnv(kgen.rl.GridWorld(["S.G"]), one_hot=True)
        >>> env.reset(seed=0)
        (array([1., 0., 0.], dtype=float32), {'state': 0})
        >>> observation, reward, terminated, truncated, info = env.step(1)   # right
        >>> observation, reward, terminated
        (array([0., 1., 0.], dtype=float32), -0.04, False)
    """

    metadata = {"render_modes": []}

    def __init__(self, mdp, max_episode_steps=100, one_hot=False):
        mdp = getattr(mdp, "mdp", mdp)
        if not isinstance(mdp, MDP):
            fail("mdp", mdp, "a kgen.rl.mdp.MDP or a GridWorld")
        self.mdp = mdp
        self.max_episode_steps = check_int("max_episode_steps", max_episode_steps, 1)
        self.one_hot = bool(one_hot)
        self.action_space = gym.spaces.Discrete(mdp.num_actions)
        if self.one_hot:
            self.observation_space = gym.spaces.Box(0.0, 1.0, (mdp.num_states,), np.float32)
        else:
            self.observation_space = gym.spaces.Discrete(mdp.num_states)
        self._state = None
        self._steps = 0

    def _observe(self):
        if self.one_hot:
            obs = np.zeros(self.mdp.num_states, np.float32)
            obs[self._state] = 1.0
            return obs
        return int(self._state)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._state = int(self.np_random.choice(self.mdp.num_states, p=self.mdp.initial))
        self._steps = 0
        return self._observe(), {"state": self._state}

    def step(self, action):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        if not self.action_space.contains(int(action)):
            fail("action", action, f"an action in [0, {self.mdp.num_actions})")
        reward = float(self.mdp.rewards[self._state, action])
        self._state = int(self.np_random.choice(self.mdp.num_states, p=self.mdp.transitions[self._state, action]))
        self._steps += 1
        terminated = bool(self.mdp.terminal[self._state])
        truncated = not terminated and self._steps >= self.max_episode_steps
        return self._observe(), reward, terminated, truncated, {"state": self._state}
