"""Model-based RL: learn a model of the world from experience and act by planning in it."""

import time

import keras
import numpy as np

from kgen.core.serialization import serializable
from kgen.core.validation import check_int, fail
from kgen.rl.agent import Agent, probe_observations
from kgen.rl.dynamics import DynamicsEnsemble
from kgen.rl.planners import Planner
from kgen.rl.replay import ReplayBuffer


@serializable
class ModelBasedAgent(Agent):
    """Model-predictive control in a learnt `DynamicsEnsemble` (PETS-style), trained with `fit`.

    `fit(env_steps=N)` collects `learning_starts` steps with uniformly random actions,
    then alternates: every `train_freq` environment steps the ensemble is refitted on
    all the experience so far (`model_epochs` epochs), and every action is the first
    step of a `Planner` search (CEM or random shooting over `horizon` steps, each
    candidate rolled out once per ensemble member). Logs: `episode_return`,
    `model_loss`, `model_val_loss`, `plan_ms` (mean planning time per action) and the
    common agent logs.

    Args:
        env: str gymnasium id or `gymnasium.Env` with a 1-D Box observation space and
            Discrete or 1-D Box actions.
        ensemble: optional `DynamicsEnsemble` (default: `ensemble_size` members of
            `hidden_units`, learnt termination).
        planner: "cem" (default) or "random".
        horizon, population, elites, iterations: the planner's settings (defaults 20, 200, 20, 5).
        ensemble_size: int, members of the default ensemble (default 5).
        hidden_units: tuple of int, the default ensemble's layers (default (200, 200, 200)).
        learning_starts: int, random steps before the first model fit (default 250).
        train_freq: int, environment steps between model fits (default 250).
        model_epochs: int, epochs of each model fit (default 10).
        model_batch_size: int (default 256).
        buffer_size: int, transitions kept (default 100,000).
        seed: optional int.

    Example:
        >>> agent = kgen.rl.ModelBasedAgent("CartPole-v1", seed=0)
        >>> agent.compile()
        >>> agent.fit(env_steps=5_000)

    Reference: Chua et al., "Deep Reinforcement Learning in a Handful of Trials using
    Probabilistic Dynamics Models" (PETS), NeurIPS 2018.
    """

    discrete_only = False
    default_learning_rate = 1e-3
    resume_attributes = Agent.resume_attributes + ("buffer", "_since_train", "_model_logs")

    def __init__(self, env, ensemble=None, planner="cem", horizon=20, population=200, elites=20, iterations=5,
                 ensemble_size=5, hidden_units=(200, 200, 200), learning_starts=250, train_freq=250, model_epochs=10,
                 model_batch_size=256, buffer_size=100_000, seed=None, **kwargs):
        super().__init__(env, seed=seed, **kwargs)
        if len(self.observation_shape) != 1:
            fail("env", f"observations of shape {self.observation_shape}", "1-D Box observations for ModelBasedAgent")
        self.learning_starts = check_int("learning_starts", learning_starts, 0)
        self.train_freq = check_int("train_freq", train_freq, 1)
        self.model_epochs = check_int("model_epochs", model_epochs, 1)
        self.model_batch_size = check_int("model_batch_size", model_batch_size, 1)
        self.buffer_size = check_int("buffer_size", buffer_size, 1)
        if isinstance(ensemble, dict):
            ensemble = keras.layers.deserialize(ensemble)
        self.ensemble = ensemble or DynamicsEnsemble(
            self.observation_shape[0], self.action_size, discrete=self.discrete, ensemble_size=ensemble_size,
            hidden_units=hidden_units, seed=seed)
        bounds = {} if self.discrete else {"low": self.action_space.low, "high": self.action_space.high}
        self.planner = Planner(
            self.ensemble.step, self.observation_shape[0], num_actions=self.action_size if self.discrete else None,
            method=planner, horizon=horizon, population=population, elites=elites, iterations=iterations,
            ensemble_size=self.ensemble.ensemble_size, grouped=True, **bounds)
        self.buffer = None
        self._since_train = 0
        self._model_logs = {"model_loss": float("nan"), "model_val_loss": float("nan")}
        self._plan_seconds, self._plans = 0.0, 0
        self.built = True

    def call(self, observations, training=False):
        return self.ensemble.step(observations, np.zeros(len(observations), "int32") if self.discrete else
                                  np.zeros((len(observations), self.action_size), "float32"),
                                  np.zeros(len(observations), "int32"), np.zeros(2, "int32"), deterministic=True)[0]

    @property
    def metrics(self):
        return []

    def compile(self, optimizer=None, **kwargs):
        """Compile the ensemble (default Adam(1e-3)); the agent's optimizer is the ensemble's."""
        self.ensemble.compile(optimizer=optimizer or keras.optimizers.Adam(self.default_learning_rate))
        super().compile(optimizer=self.ensemble.optimizer, **kwargs)

    def _start(self):
        action_shape = () if self.discrete else (self.action_size,)
        self.buffer = ReplayBuffer(self.buffer_size, self.observation_shape, action_shape,
                                   np.int32 if self.discrete else np.float32)

    def _random_actions(self, n):
        if self.discrete:
            return self.rng.integers(self.action_size, size=n)
        return self.rng.uniform(self.action_space.low, self.action_space.high, size=(n, self.action_size)).astype(
            np.float32)

    def _plan(self, observations):
        started = time.perf_counter()
        actions = [self.planner.plan(observation, seed=int(self.rng.integers(2**31 - 1))) for observation in observations]
        self._plan_seconds += time.perf_counter() - started
        self._plans += len(observations)
        return np.asarray(actions)

    def _explore(self, observations):
        if self.env_steps < self.learning_starts or self._model_logs["model_loss"] != self._model_logs["model_loss"]:
            return self._random_actions(len(observations))
        return self._plan(observations)

    def _act_deterministic(self, observations):
        return self._plan(observations)

    def _act_stochastic(self, observations):
        return self._plan(observations)

    def _record(self, observations, actions, rewards, next_observations, terminated, done, valid):
        if not valid.all():
            observations, actions, rewards = observations[valid], actions[valid], rewards[valid]
            next_observations, terminated = next_observations[valid], terminated[valid]
        self.buffer.add(observations, actions, rewards, next_observations, terminated)
        self._since_train += len(valid)
        if self.env_steps >= self.learning_starts and self._since_train >= self.train_freq:
            self._since_train = 0
            self.fit_model()

    def fit_model(self):
        """Refit the ensemble on every stored transition; returns its History."""
        size = len(self.buffer)
        transitions = {
            "observations": self.buffer.observations[:size], "actions": self.buffer.actions[:size],
            "rewards": self.buffer.rewards[:size], "next_observations": self.buffer.next_observations[:size],
            "terminated": self.buffer.terminated[:size] > 0,
        }
        history = self.ensemble.fit(transitions, epochs=self.model_epochs, batch_size=self.model_batch_size)
        logs = history.history
        self._model_logs = {"model_loss": float(logs["loss"][-1]),
                            "model_val_loss": float(logs.get("val_loss", [float("nan")])[-1])}
        return history

    def _extra_logs(self):
        plan_ms = 1000 * self._plan_seconds / self._plans if self._plans else float("nan")  # over the run so far
        return {**self._model_logs, "plan_ms": plan_ms}

    def preset_probe(self):
        """The ensemble's mean next states at four fixed observations (action 0, member 0)."""
        observations = probe_observations(self.observation_space)
        actions = np.zeros(4, "int32") if self.discrete else np.zeros((4, self.action_size), "float32")
        return self.ensemble.step(observations, actions, np.zeros(4, "int32"), np.zeros(2, "int32"),
                                  deterministic=True)[0]

    def get_config(self):
        config = super().get_config()
        config.update({
            "ensemble": keras.layers.serialize(self.ensemble), "planner": self.planner.method,
            "horizon": self.planner.horizon, "population": self.planner.population, "elites": self.planner.elites,
            "iterations": self.planner.iterations, "learning_starts": self.learning_starts,
            "train_freq": self.train_freq, "model_epochs": self.model_epochs,
            "model_batch_size": self.model_batch_size, "buffer_size": self.buffer_size,
        })
        return config
