"""Environments: make one from an id with a clear error, and step one or many the same way."""

import collections
import os
import pickle

import numpy as np

from kgen.core.errors import KgenTypeError
from kgen.core.optional import require
from kgen.core.validation import fail


def make_env(env, render_mode=None):
    """A gymnasium environment from an id such as "CartPole-v1", or `env` itself.

    Args:
        env: str (a registered gymnasium id), a `gymnasium.Env` or a
            `gymnasium.vector.VectorEnv`.
        render_mode: optional str passed to `gymnasium.make` for an id, e.g. "rgb_array".

    Returns:
        The environment.

    Raises:
        KgenValueError: gymnasium does not know the id.
        KgenTypeError: `env` is neither an id nor an environment.

    Examples:
        >>> env = kgen.rl.make_env("CartPole-v1")
        >>> env.observation_space.shape, env.action_space
        ((4,), Discrete(2))
        >>> kgen.rl.make_env("Cartpole-v1")
        Traceback (most recent call last):
        kgen.core.errors.KgenValueError: env must be an environment id gymnasium knows (did you mean CartPole-v0, CartPole-v1?); ...
    """
    gym = require("gymnasium", "Reinforcement learning", extra="rl")
    if render_mode == "rgb_array":
        # classic control draws with pygame; off-screen, SDL needs no display (and says so on stderr otherwise)
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    if isinstance(env, str):
        try:
            return gym.make(env, render_mode=render_mode)
        except gym.error.Error as error:
            close = [name for name in gym.registry if name.split("-")[0].lower() == env.split("-")[0].lower()]
            hint = f" (did you mean {', '.join(sorted(close))}?)" if close else ""
            fail("env", env, f"an environment id gymnasium knows{hint}; gymnasium said: {error}")
    if isinstance(env, (gym.Env, gym.vector.VectorEnv)):
        return env
    fail("env", env, "a gymnasium id such as 'CartPole-v1', a gymnasium.Env or a gymnasium.vector.VectorEnv", KgenTypeError)


def step_argument(action):
    """One action as `env.step` takes it: a Python int for a discrete action, else the array."""
    return action.item() if np.ndim(action) == 0 else action


def env_id(env):
    """The registered id of an environment ("CartPole-v1"), or None."""
    spec = getattr(env, "spec", None)
    return None if spec is None else spec.id


def single_spaces(env):
    """(observation_space, action_space) of one copy of `env` (vector or not)."""
    gym = require("gymnasium", "Reinforcement learning", extra="rl")
    if isinstance(env, gym.vector.VectorEnv):
        return env.single_observation_space, env.single_action_space
    return env.observation_space, env.action_space


def check_spaces(env, agent, discrete_only):
    """The observation shape and action space an agent can use, or a clear error."""
    gym = require("gymnasium", "Reinforcement learning", extra="rl")
    observation_space, action_space = single_spaces(env)
    supported = "Discrete" if discrete_only else "Discrete or 1-D Box"
    if not isinstance(observation_space, gym.spaces.Box):
        fail(
            "env",
            f"an environment with observation space {observation_space}",
            f"a Box observation space for {agent} (wrap a TabularEnv with one_hot=True)",
        )
    ok = isinstance(action_space, gym.spaces.Discrete) or (
        not discrete_only and isinstance(action_space, gym.spaces.Box) and len(action_space.shape) == 1
    )
    if not ok:
        fail(
            "env",
            f"an environment with action space {action_space}",
            f"{supported} actions for {agent} (DQNAgent supports Discrete actions; "
            "ReinforceAgent supports Discrete and 1-D Box actions)",
        )
    return observation_space, action_space


class EnvDriver:
    """Steps one environment or a vector of them with one interface and keeps episode statistics.

    `step(actions)` returns, per copy, the observation after the step as it should be
    stored (the final observation of an episode that just ended, not the reset one),
    the reward, `terminated`, and a mask of valid transitions (a vector env in
    next-step autoreset mode spends one step resetting; that step is masked out).
    `observations` always holds what the agent acts on next.
    """

    HISTORY = 1000
    """Finished episodes remembered for `recent`."""

    def __init__(self, env):
        gym = require("gymnasium", "Reinforcement learning", extra="rl")
        self.env = env
        self.vector = isinstance(env, gym.vector.VectorEnv)
        self.num_envs = env.num_envs if self.vector else 1
        mode = env.metadata.get("autoreset_mode") if self.vector else None
        self.next_step_reset = self.vector and str(getattr(mode, "value", mode)) in ("NextStep", "None")
        self.observations = None
        self.returns = np.zeros(self.num_envs)
        self.lengths = np.zeros(self.num_envs, dtype=int)
        self.resetting = np.zeros(self.num_envs, dtype=bool)
        self.finished_returns = collections.deque(maxlen=self.HISTORY)
        self.finished_lengths = collections.deque(maxlen=self.HISTORY)
        self.episodes = 0

    def __getstate__(self):
        # A checkpoint pickles the driver with its environment (its exact state and RNG);
        # an environment that cannot be pickled is left out and reset fresh on restore.
        state = self.__dict__.copy()
        try:
            pickle.dumps(self.env)
        except (pickle.PicklingError, TypeError, AttributeError):
            state["env"] = None
        return state

    def reset(self, seed=None):
        if self.vector:
            observations, _ = self.env.reset(seed=seed)
        else:
            observation, _ = self.env.reset(seed=seed)
            observations = np.asarray(observation)[None]
        self.observations = np.asarray(observations, dtype=np.float32)
        self.returns[:] = 0
        self.lengths[:] = 0
        self.resetting[:] = False
        return self.observations

    def step(self, actions):
        if self.vector:
            next_obs, rewards, terminated, truncated, info = self.env.step(actions)
            next_obs = np.asarray(next_obs, dtype=np.float32)
            stored = next_obs.copy()
            if "final_obs" in info:
                for i in np.flatnonzero(info.get("_final_obs", np.zeros(self.num_envs, bool))):
                    stored[i] = info["final_obs"][i]
            valid = ~self.resetting
            done = (np.asarray(terminated) | np.asarray(truncated)) & valid
            self.resetting = done.copy() if self.next_step_reset else np.zeros(self.num_envs, bool)
            rewards = np.asarray(rewards, dtype=np.float64)
            terminated = np.asarray(terminated, dtype=bool)
        else:
            observation, reward, term, trunc, _ = self.env.step(step_argument(actions[0]))
            stored = np.asarray(observation, dtype=np.float32)[None]
            next_obs = stored
            if term or trunc:
                observation, _ = self.env.reset()
                next_obs = np.asarray(observation, dtype=np.float32)[None]
            rewards = np.array([reward], dtype=np.float64)
            terminated = np.array([term])
            done = np.array([term or trunc])
            valid = np.ones(1, bool)
        self.returns += np.where(valid, rewards, 0.0)
        self.lengths += valid
        for i in np.flatnonzero(done):
            self.finished_returns.append(float(self.returns[i]))
            self.finished_lengths.append(int(self.lengths[i]))
            self.episodes += 1
            self.returns[i] = 0.0
            self.lengths[i] = 0
        self.observations = next_obs
        return stored, rewards, terminated, done, valid

    def recent(self, window):
        """(mean return, mean length) of the last `window` finished episodes, NaN before any."""
        if not self.finished_returns:
            return float("nan"), float("nan")
        returns = list(self.finished_returns)[-window:]
        lengths = list(self.finished_lengths)[-window:]
        return float(np.mean(returns)), float(np.mean(lengths))
