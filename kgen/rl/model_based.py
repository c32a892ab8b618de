"""Model-based RL: learn a model of the world from experience and act by planning in it."""

import math
import time

import keras
import numpy as np
import tensorflow as tf

from kgen.core.adam import Adam
from kgen.core.exporter import ServingFunction
from kgen.core.serialization import serializable
from kgen.core.validation import check_choice, check_int, check_number, fail
from kgen.rl.agent import Agent, mlp, probe_observations
from kgen.rl.dynamics import DynamicsEnsemble, EnsembleDense
from kgen.rl.planners import METHODS, Planner
from kgen.rl.replay import ReplayBuffer
from kgen.rl.terminations import termination_rule

VALUE_ROUNDS = 10
"""Fitted value iteration rounds per refit: the value targets recomputed this often."""
RETURN_TOLERANCE = 1e-4
"""The lambda-returns are iterated until (gamma lambda)^k falls below this share."""
VALIDATION_FRACTION = 0.1
"""The share of the transitions (a random one each time) each model fit holds out for `model_val_loss`."""


@serializable
class ModelBasedAgent(Agent):
    """Model-predictive control in a learnt `DynamicsEnsemble` (PETS-style), trained with `fit`.

    `fit(env_steps=N)` collects `learning_starts` steps with uniformly random actions,
    then alternates: every `train_freq` environment steps the ensemble is refitted on
    all the experience so far (whole epochs, at least `model_steps` gradient steps:
    a fixed number of epochs would give the first fits, on a few hundred
    transitions, a handful of steps), and every action is the first
    step of a `Planner` search (CEM or random shooting over `horizon` steps, each
    candidate rolled out once per ensemble member, its return completed by a learnt
    value of the state it ends in). Logs: `episode_return`, `model_loss`,
    `model_val_loss`, `value_loss`, `plan_ms` (mean planning time per action) and the
    common agent logs.

    Args:
        env: str gymnasium id or `gymnasium.Env` with a 1-D Box observation space and
            Discrete or 1-D Box actions.
        ensemble: optional `DynamicsEnsemble` (default: `ensemble_size` members of
            `hidden_units`).
        termination: "learned" (default: a head of the ensemble predicts when an episode
            ends) or "known" (the environment's own rule, from `kgen.rl.terminations`:
            CartPole-v1 and Pendulum-v1), which replaces the head of `ensemble` too.
        planner: "cem" (default) or "random".
        horizon: int, the planner's steps per plan (default 15: a short search, for the cost per action).
        population: int, candidate plans per CEM round (default 200).
        elites: int, the best plans CEM refits to (default 20).
        iterations: int, CEM rounds per action (default 3).
        ensemble_size: int, members of the default ensemble (default 5).
        hidden_units: tuple of int, the default ensemble's layers (default (64, 64, 64), not
            PETS's 200x3, for the cost per action: `python benchmarks/rl.py --plan-cost`).
        value_units: tuple of int or None, the layers of the value network V(s) whose estimate
            the planner adds after its horizon (default (64, 64); None: no value, the
            planner sees only its horizon).
        gamma: float in [0, 1), the discount of the value and of the planner's rewards (default 0.99).
        disagreement_penalty: float >= 0, the planner scores a plan by its mean return over the
            members less this times their standard deviation (default 0: the mean; see `Planner`).
        value_steps: int, gradient steps of the value network per refit (default 1000).
        td_lambda: float in [0, 1], the lambda of the value targets' lambda-returns along the
            stored trajectories (default 0: one-step targets r + gamma V(s')). One-step targets
            carry an episode's end back one step per round; lambda-returns carry it as far as
            the trajectory goes, which is what tells the value how far a drifting state is from
            its end.
        value_members: int, independently initialised value networks, each fitted on its own
            random batches to its own targets (default 1).
        value_pessimism: float >= 0, the planner's value is the members' mean less this times
            their standard deviation (default 0: the mean). Where the stored experience says
            little, the members disagree, so a pessimistic value steers plans back towards
            states like those already seen (needs `value_members` > 1).
        learning_starts: int, random steps before the first model fit (default 250).
        train_freq: int, environment steps between model fits (default 250).
        model_steps: int, the least gradient steps of each model fit (default 200); with
            `model_patience`, the most.
        model_patience: optional int, stop a model fit once `model_val_loss` has not improved
            for this many gradient steps, keeping its best weights (default None: always
            `model_steps`).
        model_batch_size: int (default 256).
        buffer_size: int, transitions kept (default 100,000).
        seed: optional int.

    Examples:
        >>> agent = kgen.rl.ModelBasedAgent.from_preset("mbrl_cartpole")
        >>> agent.planner.method, agent.planner.horizon, agent.planner.population   # what predict_action runs
        ('cem', 15, 200)

        A tiny agent (the `mbrl_cartpole` recipe runs 5,000 steps with the defaults):

        >>> agent = kgen.rl.ModelBasedAgent("CartPole-v1", horizon=2, population=4, elites=2, iterations=1,
        ...                                 ensemble_size=1, hidden_units=(8,), value_units=None,
        ...                                 learning_starts=20, train_freq=20, model_steps=1, seed=0)
        >>> agent.compile()
        >>> history = agent.fit(env_steps=20, verbose=0)    # 20 random steps, then the first model fit
        >>> history.history["env_steps"][-1], "model_loss" in history.history
        (20.0, True)

        Each later step is a search in the model (compiled with XLA on the first call, some seconds).

    Reference:
        Chua, Calandra, McAllister and Levine, "Deep Reinforcement Learning in a Handful of
        Trials using Probabilistic Dynamics Models" (PETS), NeurIPS 2018.
    """

    discrete_only = False
    plays_in_lockstep = True
    """`kgen.rl.evaluate_policy` plays the episodes at once, one planner search per step for all."""
    default_learning_rate = 1e-3
    resume_attributes = Agent.resume_attributes + ("buffer", "_since_train", "_model_logs")

    def __init__(self, env, ensemble=None, planner="cem", horizon=15, population=200, elites=20, iterations=3,
                 ensemble_size=5, hidden_units=(64, 64, 64), value_units=(64, 64), gamma=0.99, value_steps=1000,
                 td_lambda=0.0, value_members=1, value_pessimism=0.0, learning_starts=250, train_freq=250, model_steps=200, model_patience=None, model_batch_size=256,
                 buffer_size=100_000, termination="learned", disagreement_penalty=0.0, seed=None, **kwargs):
        super().__init__(env, seed=seed, **kwargs)
        if len(self.observation_shape) != 1:
            fail("env", f"observations of shape {self.observation_shape}", "1-D Box observations for ModelBasedAgent")
        self.learning_starts = check_int("learning_starts", learning_starts, 0)
        self.train_freq = check_int("train_freq", train_freq, 1)
        self.model_steps = check_int("model_steps", model_steps, 1)
        self.model_patience = None if model_patience is None else check_int("model_patience", model_patience, 1)
        self.model_batch_size = check_int("model_batch_size", model_batch_size, 1)
        self.buffer_size = check_int("buffer_size", buffer_size, 1)
        self.gamma = check_number("gamma", gamma, 0.0, 1.0, high_open=True)
        self.value_steps = check_int("value_steps", value_steps, VALUE_ROUNDS)
        self.td_lambda = check_number("td_lambda", td_lambda, 0.0, 1.0)
        self.value_members = check_int("value_members", value_members, 1)
        self.value_pessimism = check_number("value_pessimism", value_pessimism, 0.0)
        if self.value_pessimism and self.value_members == 1:
            fail("value_pessimism", value_pessimism, "0 with one value member (value_members=1): one member has no spread")
        self.value_units = None if value_units is None else tuple(check_int("value_units", u, 1) for u in value_units)
        self.termination = termination
        rule = termination_rule(termination, self.env_id)
        if isinstance(ensemble, dict):
            ensemble = keras.layers.deserialize(ensemble)
        self.ensemble = ensemble or DynamicsEnsemble(
            self.observation_shape[0], self.action_size, discrete=self.discrete, ensemble_size=ensemble_size,
            hidden_units=hidden_units, seed=seed)
        if rule is not None:
            self.ensemble.set_termination_fn(rule)
        self.value_network = None
        if self.value_units is not None and self.value_members == 1:
            self.value_network = mlp(self.value_units, 1, "swish", "value", seed=seed)
            self.value_network.build((None, self.observation_shape[0]))
        elif self.value_units is not None:
            self.value_network = keras.Sequential(
                [EnsembleDense(self.value_members, units, activation, seed=None if seed is None else seed * 1009 + i)
                 for i, (units, activation) in enumerate(
                     [(u, "swish") for u in self.value_units] + [(1, None)])], name="value")
            self.value_network.build((self.value_members, None, self.observation_shape[0]))
        bounds = {} if self.discrete else {"low": self.action_space.low, "high": self.action_space.high}
        self.planner = Planner(
            self.ensemble.step, self.observation_shape[0], num_actions=self.action_size if self.discrete else None,
            method=check_choice("planner", planner, METHODS), horizon=horizon, population=population, elites=elites, iterations=iterations,
            ensemble_size=self.ensemble.ensemble_size, grouped=True, discount=self.gamma,
            terminal_value=None if self.value_network is None else self.value,
            disagreement_penalty=disagreement_penalty, **bounds)
        self.value_optimizer = None
        self.buffer = None
        self._since_train = 0
        self._model_logs = {"model_loss": float("nan"), "model_val_loss": float("nan")}
        if self.value_network is not None:
            self._model_logs["value_loss"] = float("nan")
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
        """Compile the ensemble (default Adam(1e-3)); the agent's optimizer is the ensemble's. The
        value network gets its own Adam(1e-3)."""
        self.ensemble.compile(optimizer=optimizer or Adam(self.default_learning_rate))
        super().compile(optimizer=self.ensemble.optimizer, **kwargs)
        if self.value_network is not None:
            self.value_optimizer = Adam(1e-3)
            self.value_optimizer.build(self.value_network.trainable_variables)
            self._value_step = tf.function(self._value_update)

    # ----------------------------------------------------------------- the value after the horizon

    def _value_scale(self):
        """Values are learnt in units of the largest reward magnitude over (1 - gamma)."""
        reward = tf.maximum(self.ensemble.reward_std, tf.abs(self.ensemble.reward_mean))
        return tf.maximum(reward, 1e-6) / (1.0 - self.gamma)

    def _normalised_values(self, states):
        """Each value member's normalised V of `states`: (N, d) -> (members, N), or of one batch
        per member: (members, N, d) -> (members, N)."""
        d = self.observation_shape[0]
        x = (tf.cast(states, tf.float32) - self.ensemble.input_mean[:d]) / self.ensemble.input_std[:d]
        if self.value_members == 1:
            return self.value_network(tf.reshape(x, [-1, d]))[None, :, 0]
        if x.shape.rank == 2:
            x = tf.tile(x[None], [self.value_members, 1, 1])
        return self.value_network(x)[..., 0]

    def member_values(self, states):
        """Every value member's V(s): (N, d) -> (value_members, N)."""
        return self._normalised_values(states) * self._value_scale()

    def value(self, states):
        """V(s), the discounted return expected after `states` (N, d) -> (N,): the value
        members' mean less `value_pessimism` times their standard deviation; learnt by fitted
        TD on the real transitions, the planner's estimate of what comes after its horizon."""
        values = self.member_values(states)
        if self.value_members == 1:
            return values[0]
        return tf.reduce_mean(values, axis=0) - self.value_pessimism * tf.math.reduce_std(values, axis=0)

    def _value_update(self, states, targets):
        """One step of every member: `states` (members, B, d), `targets` (members, B)."""
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((self._normalised_values(states) - targets / self._value_scale()) ** 2)
        variables = self.value_network.trainable_variables
        self.value_optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    def lambda_returns(self, transitions, next_values):
        """The lambda-returns G = r + gamma (1 - terminated) ((1 - lambda) V(s') + lambda G') of the
        stored transitions, G' the return of the stored transition that starts at s' (V(s') where
        none does: a truncated episode, or a step the buffer has dropped). `next_values` is (n,),
        or (members, n) for one set of returns per value member."""
        discounts = self.gamma * (1.0 - transitions["terminated"].astype("float64"))
        rewards, next_values = transitions["rewards"].astype("float64"), next_values.astype("float64")
        returns = rewards + discounts * next_values
        if self.td_lambda == 0.0:
            return returns
        successor = successors(transitions["observations"], transitions["next_observations"])
        followed = successor >= 0
        decay = self.gamma * self.td_lambda
        sweeps = 1 if decay == 0.0 else math.ceil(math.log(RETURN_TOLERANCE) / math.log(decay))  # gamma < 1
        for _ in range(max(1, min(sweeps, len(rewards)))):  # each sweep carries the returns one more step back
            onward = np.where(followed, np.take(returns, successor, axis=-1), next_values)
            returns = rewards + discounts * ((1.0 - self.td_lambda) * next_values + self.td_lambda * onward)
        return returns

    def fit_value(self, transitions):
        """`value_steps` gradient steps of fitted value iteration towards the lambda-returns (see
        `td_lambda`), the targets recomputed `VALUE_ROUNDS` times, each member towards its own
        and on its own random batches; returns the last batch's loss."""
        observations, following = transitions["observations"], transitions["next_observations"]
        loss = float("nan")
        for _ in range(VALUE_ROUNDS):
            targets = self.lambda_returns(transitions, self.member_values(following).numpy())
            for _ in range(self.value_steps // VALUE_ROUNDS):
                rows = self.rng.integers(len(observations), size=(self.value_members, self.model_batch_size))
                batch_targets = np.take_along_axis(targets, rows, axis=1).astype("float32")
                loss = float(self._value_step(observations[rows], batch_targets))
        return loss

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
        actions = self.planner.plan(observations, seed=int(self.rng.integers(2**31 - 1)))  # one search for the batch
        self._plan_seconds += time.perf_counter() - started
        self._plans += len(observations)
        return actions

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
        # shuffled, so the held-out rows are a random tenth, not always the newest (the current policy's) steps
        order = self.rng.permutation(size)
        transitions = {
            "observations": self.buffer.observations[order], "actions": self.buffer.actions[order],
            "rewards": self.buffer.rewards[order], "next_observations": self.buffer.next_observations[order],
            "terminated": self.buffer.terminated[order] > 0,
        }
        held_out = int(size * VALIDATION_FRACTION)
        batches = math.ceil((size - held_out) / self.model_batch_size)
        callbacks = []
        if self.model_patience is not None and held_out:
            callbacks.append(keras.callbacks.EarlyStopping(
                "val_loss", patience=math.ceil(self.model_patience / batches), restore_best_weights=True))
        history = self.ensemble.fit(transitions, epochs=math.ceil(self.model_steps / batches),
                                    batch_size=self.model_batch_size, validation_fraction=VALIDATION_FRACTION,
                                    callbacks=callbacks)
        logs = history.history
        kept = callbacks[0].best_epoch if callbacks else -1  # EarlyStopping restored its best epoch's weights
        self._model_logs = {"model_loss": float(logs["loss"][kept]),
                            "model_val_loss": float(logs.get("val_loss", [float("nan")] * len(logs["loss"]))[kept])}
        if self.value_network is not None:
            self._model_logs["value_loss"] = self.fit_value(transitions)
        return history

    def _extra_logs(self):
        plan_ms = 1000 * self._plan_seconds / self._plans if self._plans else float("nan")  # over the run so far
        return {**self._model_logs, "plan_ms": plan_ms}

    def serving_functions(self):
        """What `export` writes: the planner as one graph, twice, and the learnt model.

        - "act": observations (B, d) and a seed pair, int32 (2,) -> "actions", the first action
          of each plan: `planner.first_actions(observations, seed)`, the search `plan` runs (which
          compiles it with XLA, whose Philox kernels draw other numbers for a seed). It draws with
          TensorFlow's stateless Philox generator, which TFLite's builtin operators and tf2onnx
          lack, so it is exported as a SavedModel only (the manifest's "failed" says why for the
          other formats).
        - "act_with_noise": the same search with its random numbers as inputs, "action_noise"
          and "model_noise" of `planner.noise_shapes(B)` (uniforms in (0, 1) for discrete
          actions or standard normals for Box ones, and standard normals): every format runs
          it, and `planner.search_noise(seed, B)` makes the inputs that reproduce "act".
        - "dynamics": the ensemble's `serving_functions` (one member's mean step per row).

        Returns:
            list of three `kgen.presets.ServingFunction`.
        """
        d = self.observation_shape[0]
        observations = tf.TensorSpec((None, d), tf.float32, name="observations")
        action_shape, model_shape = self.planner.noise_shapes()
        action_noise = tf.TensorSpec(action_shape, tf.float32, name="action_noise")
        model_noise = tf.TensorSpec(model_shape, tf.float32, name="model_noise")
        planner = self.planner
        kind = "uniforms in (0, 1)" if self.discrete else "standard normals"
        notes = {"env": self.env_id, "method": planner.method, "horizon": planner.horizon,
                 "population": planner.population, "elites": planner.elites, "iterations": planner.iterations,
                 "ensemble_size": planner.ensemble_size,
                 "action_noise": f"{kind}, shape (iterations, B, population, horizon, "
                                 f"{'num_actions' if self.discrete else 'action_size'})",
                 "model_noise": "standard normals, shape (iterations, horizon, ensemble_size * B * population, "
                                "observation_size)"}
        return [
            ServingFunction("act", lambda observations, seed: {"actions": planner.first_actions(observations, seed)},
                            (observations, tf.TensorSpec((2,), tf.int32, name="seed")),
                            f"observations and a seed pair -> the first action of the {planner.method} plan "
                            "(Planner.first_actions)", notes=notes, optional=True),
            ServingFunction("act_with_noise",
                            lambda observations, action_noise, model_noise: {
                                "actions": planner.first_actions(observations, noise=(action_noise, model_noise))},
                            (observations, action_noise, model_noise),
                            f"observations and the search's random numbers -> the first action of the "
                            f"{planner.method} plan", notes=notes),
            *self.ensemble.serving_functions(),
        ]

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
            "value_units": None if self.value_units is None else list(self.value_units), "gamma": self.gamma, "value_steps": self.value_steps,
            "td_lambda": self.td_lambda, "value_members": self.value_members, "value_pessimism": self.value_pessimism,
            "train_freq": self.train_freq, "model_steps": self.model_steps, "model_patience": self.model_patience,
            "model_batch_size": self.model_batch_size, "buffer_size": self.buffer_size,
            "termination": self.termination, "disagreement_penalty": self.planner.disagreement_penalty,
        })
        return config


def successors(observations, next_observations):
    """For each transition, the index of the one that starts in the state it ends in, or -1.

    The agent stores the state it reached as the next transition's start, so equal bytes mean
    the same trajectory (whatever order the rows are in, and with vector environments too)."""
    starts = {row.tobytes(): i for i, row in enumerate(observations)}
    return np.array([starts.get(row.tobytes(), -1) for row in next_observations], dtype=np.int64)
