"""What kgen's RL agents share: a `keras.Model` whose `fit` drives the environment."""

import math
import time

import keras
import numpy as np
import tensorflow as tf

from kgen.core.errors import KgenTypeError, KgenValueError
from kgen.core.exporter import ServingFunction
from kgen.core.validation import check_finite, check_int, fail
from kgen.presets.model import KgenModel
from kgen.rl.envs import EnvDriver, check_spaces, env_id, make_env, step_argument
from kgen.rl.numpy_forward import forward_function


def mlp(hidden_units, outputs, activation, name, output_activation=None, seed=None):
    """A Dense network: `hidden_units` layers of `activation`, then `outputs` units.

    With a `seed`, the initial weights are reproducible (each layer's initializer
    gets its own seed derived from it).
    """
    sizes = list(hidden_units) + [outputs]
    activations = [activation] * len(hidden_units) + [output_activation]
    layers = [
        keras.layers.Dense(
            units,
            activation=act,
            kernel_initializer=keras.initializers.GlorotUniform(seed=None if seed is None else seed * 1009 + i),
        )
        for i, (units, act) in enumerate(zip(sizes, activations))
    ]
    return keras.Sequential(layers, name=name)


class Agent(KgenModel):
    """Base of `DQNAgent` and `ReinforceAgent`.

    `fit(env_steps=N)` runs the agent-environment loop for N environment steps
    (counted over all copies of a vector environment), training as it goes. An
    "epoch" is `log_interval` environment steps: Keras callbacks see `on_epoch_end`
    with logs `episode_return` and `episode_length` (means over the last
    `return_window` finished episodes), `episodes`, `env_steps`, `steps_per_second`,
    and the agent's own (losses, `epsilon` or `entropy`). So EarlyStopping on
    `episode_return`, ModelCheckpoint, TensorBoard and the progress bar work unchanged.

    Subclasses set `self.networks` (built in `__init__`) and implement `_explore`,
    `_record`, `_act_deterministic` and `_act_stochastic`.
    """

    discrete_only = True
    resume_attributes = ("env_steps", "rng", "_driver")
    """The Python-side training state a `kgen.callbacks.Checkpoint` saves besides the variables."""

    def __init__(self, env, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.env = make_env(env)
        self.env_id = env_id(self.env)
        self.seed = None if seed is None else check_int("seed", seed, 0)
        self.observation_space, self.action_space = check_spaces(self.env, type(self).__name__, self.discrete_only)
        self.observation_shape = tuple(self.observation_space.shape)
        self.discrete = hasattr(self.action_space, "n")
        self.action_size = int(self.action_space.n) if self.discrete else int(self.action_space.shape[0])
        self.rng = np.random.default_rng(self.seed)
        self.env_steps = 0
        self._driver = None
        self._forwards = {}

    # Shared config: the environment by id (an environment object cannot be serialized).
    def get_config(self):
        config = super().get_config()
        if self.env_id is None:
            raise KgenValueError(
                f"{type(self).__name__} was given an environment without a registered id, so it cannot be "
                "saved; register it with gymnasium.register(id=..., entry_point=...) and pass the id."
            )
        config.update({"env": self.env_id, "seed": self.seed})
        return config

    def _forward(self, network):
        """The fast acting function of one of the agent's networks (refreshed after updates)."""
        key = id(network)
        if key not in self._forwards:
            self._forwards[key] = forward_function(network)
        return self._forwards[key]

    # Acting reads a snapshot of the weights: drop it when the weights are replaced.
    def load_weights(self, *args, **kwargs):
        super().load_weights(*args, **kwargs)
        self._forwards.clear()

    def set_weights(self, weights):
        super().set_weights(weights)
        self._forwards.clear()

    def training_state(self):
        """The Python-side training state (`resume_attributes`: step count, RNG, the environment driver
        and, per agent, the replay buffer or episode batch), picklable, for `kgen.callbacks.Checkpoint`."""
        return {name: _plain(getattr(self, name)) for name in self.resume_attributes}

    def restore_training_state(self, state):
        """Continue from `training_state()`'s result. An environment that could not be pickled
        is reset fresh (seeded by the seed and step count), documented in docs/scaling.md."""
        missing = [name for name in self.resume_attributes if name not in state]
        if missing:
            fail("state", sorted(state), f"a {type(self).__name__} training state with {', '.join(missing)}")
        for name in self.resume_attributes:
            setattr(self, name, state[name])
        driver = self._driver
        if driver is not None:
            if driver.env is None:
                driver.env = self.env
                driver.reset(seed=None if self.seed is None else self.seed + self.env_steps)
            self.env = driver.env
        self._forwards.clear()

    def _refresh_forwards(self):
        for forward in self._forwards.values():
            forward.refresh()

    @property
    def observations(self):
        """What `fit` acts on next: a copy of the current observations, shape (num_envs, *observation_shape)
        (num_envs is 1 for one environment), or None before the first `fit`.

        Read it between `fit` calls, e.g. to draw the environment while the agent trains:

        >>> agent.fit(env_steps=1, verbose=0)
        >>> agent.observations[0]     # CartPole: cart position, cart velocity, pole angle, pole velocity
        """
        return None if self._driver is None else self._driver.observations.copy()

    @property
    def episode_returns(self):
        """The returns of the training episodes `fit` has finished, oldest first, as a list of floats: the
        last 1,000 of them (`EnvDriver.HISTORY`); the `episodes` log of `fit` counts them all."""
        return [] if self._driver is None else list(self._driver.finished_returns)

    def _check_observations(self, observations):
        array = check_finite("observations", observations).astype(np.float32)
        if array.shape == self.observation_shape:
            return array[None], True
        if array.ndim == len(self.observation_shape) + 1 and array.shape[1:] == self.observation_shape and len(array):
            return array, False
        fail(
            "observations",
            f"an array of shape {array.shape}",
            f"one observation of shape {self.observation_shape} or a batch of shape (n, {', '.join(map(str, self.observation_shape))})",
        )

    def predict_action(self, observations, deterministic=True):
        """Actions for one observation or a batch, as numpy.

        Args:
            observations: array of shape `observation_shape` or (n, *observation_shape).
            deterministic: bool, the greedy action (default True); False samples as
                the agent explores (epsilon-greedy for DQN, the policy for REINFORCE).

        Returns:
            One action (a numpy scalar or vector) for one observation, else a batch.
        """
        batch, single = self._check_observations(observations)
        actions = self._act_deterministic(batch) if deterministic else self._act_stochastic(batch)
        return actions[0] if single else actions

    def env_action(self, observation, deterministic=True):
        """The action for one observation, as `env.step` takes it (clipped to a Box's bounds)."""
        return step_argument(self._to_env(self.predict_action(observation, deterministic)))

    def _to_env(self, actions):
        if self.discrete:
            return actions
        return np.clip(actions, self.action_space.low, self.action_space.high)

    def serving_functions(self):
        """What `export` writes: "act", a batch of observations (n, *observation_shape) -> the
        greedy "actions", as `predict_action(observations)` (and the network's outputs they are
        the argmax of, where there are some).

        Returns:
            list of `kgen.presets.ServingFunction`.
        """
        observations = tf.TensorSpec((None, *self.observation_shape), tf.float32, name="observations")
        kind = f"int32 in [0, {self.action_size})" if self.discrete else f"float32 ({self.action_size},) per row"
        return [ServingFunction("act", self._serve_actions, (observations,),
                                f"observations -> the deterministic action of each ({kind})",
                                notes={"env": self.env_id})]

    def _serve_actions(self, observations):
        """A dict of "actions" (and what they come from) for an observation tensor; what "act" exports."""
        raise NotImplementedError

    def fit(self, env_steps=None, callbacks=None, verbose="auto", log_interval=1000, return_window=10, **kwargs):
        """Train for `env_steps` environment steps; returns a Keras `History`.

        Args:
            env_steps: int >= 1, environment steps to run (over all vector copies).
            callbacks: list of `keras.callbacks.Callback`.
            verbose: "auto" or 1 (progress bar), 2 (a line per epoch), 0 (silent).
            log_interval: int >= 1, environment steps per epoch (default 1000).
            return_window: int in [1, 1000], finished episodes averaged into
                `episode_return` / `episode_length` (default 10).

        Calling `fit` again continues from where the last call stopped (the same
        episodes, buffer and exploration schedule). Epochs end at multiples of
        `log_interval` total environment steps, so a run's first and last epochs
        can be shorter; callbacks' `params["steps"]` is each epoch's own length.
        """
        if kwargs:
            raise KgenTypeError(
                f"{type(self).__name__}.fit got the unexpected argument(s) {', '.join(map(repr, kwargs))}: "
                "an agent trains on its environment; pass env_steps=N (and callbacks, verbose, "
                "log_interval, return_window)."
            )
        env_steps = check_int("env_steps", env_steps, 1)
        log_interval = check_int("log_interval", log_interval, 1)
        return_window = check_int("return_window", return_window, 1, EnvDriver.HISTORY)
        if getattr(self, "optimizer", None) is None:
            raise KgenValueError(f"{type(self).__name__} must be compiled before fit: call agent.compile().")
        if self._driver is None:
            self._driver = EnvDriver(self.env)
            self._driver.reset(seed=self.seed)
            self._start()
        driver = self._driver
        verbose = 1 if verbose == "auto" else verbose
        end = self.env_steps + env_steps
        # epochs end at multiples of log_interval environment steps, so a resumed run logs where an
        # uninterrupted one does
        epochs = math.ceil(end / log_interval) - self.env_steps // log_interval
        callback_list = keras.callbacks.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=log_interval,
        )
        self.stop_training = False
        callback_list.on_train_begin()
        logs = {}
        for epoch in range(epochs):
            if self.env_steps >= end:
                break
            epoch_end = min(end, (self.env_steps // log_interval + 1) * log_interval)
            if callback_list.params["steps"] != epoch_end - self.env_steps:  # a short first or last epoch
                callback_list.set_params({**callback_list.params, "steps": epoch_end - self.env_steps})
            callback_list.on_epoch_begin(epoch)
            for metric in self.metrics:
                metric.reset_state()
            epoch_start, started = self.env_steps, time.perf_counter()
            while self.env_steps < epoch_end and not self.stop_training:
                chunk_end = min(epoch_end, self.env_steps + max(driver.num_envs, 250))
                while self.env_steps < chunk_end:
                    observations = driver.observations
                    actions = self._explore(observations)
                    stored, rewards, terminated, done, valid = driver.step(self._to_env(actions))
                    self.env_steps += driver.num_envs
                    self._record(observations, actions, rewards, stored, terminated, done, valid)
                logs = self._logs(driver, return_window)
                callback_list.on_train_batch_end(self.env_steps - epoch_start - 1, logs)
            elapsed = time.perf_counter() - started
            logs = self._logs(driver, return_window)
            logs["steps_per_second"] = (self.env_steps - epoch_start) / max(elapsed, 1e-9)
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callback_list.on_train_end(logs)
        return self.history

    def _logs(self, driver, return_window):
        episode_return, episode_length = driver.recent(return_window)
        logs = {
            "episode_return": episode_return,
            "episode_length": episode_length,
            "episodes": float(driver.episodes),
            "env_steps": float(self.env_steps),
        }
        for metric in self.metrics:
            logs[metric.name] = float(metric.result())
        logs.update(self._extra_logs())
        return logs

    def _extra_logs(self):
        return {}

    def _start(self):
        """Called once before the first environment step of the first `fit`."""


def _plain(value):
    """Lists and dicts as plain Python ones: Keras wraps a layer's list attributes in trackers that do not pickle."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def probe_observations(space):
    """Four fixed observations inside `space` (standard normal draws clipped to its bounds)."""
    draws = np.random.default_rng(0).standard_normal((4, *space.shape))
    return np.clip(draws, space.low, space.high).astype(np.float32)
