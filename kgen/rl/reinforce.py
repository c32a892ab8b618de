"""REINFORCE: the score-function gradient estimator applied to whole trajectories."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from kgen.core import replicas
from kgen.core.adam import Adam
from kgen.core.serialization import serializable
from kgen.core.validation import check_choice, check_int, check_number
from kgen.ops import losses
from kgen.ops.returns import returns_to_go
from kgen.rl.agent import Agent, mlp, probe_observations

tfd = tfp.distributions
BASELINES = ("value", "mean", None)


@serializable
class ReinforceAgent(Agent):
    """Monte Carlo policy gradient with discounted returns-to-go and a baseline.

    The gradient of E[sum_t gamma^t r_t] is estimated, as in the estimators part, by
    the score function: sum_t grad log pi(a_t | s_t) (G_t - b(s_t)) with G_t the
    discounted return from step t. The baseline b leaves the estimate unbiased and
    lowers its variance: "value" learns V(s) with a second network, "mean" uses the
    batch mean of G_t, None uses 0. Advantages are then normalised per batch.

    An update uses whole episodes: once the episodes finished since the last update
    hold at least `batch_steps` steps, they make one batch and one gradient step.
    Discrete actions get a Categorical policy (logits), 1-D Box actions a diagonal
    Normal (the network gives the mean, a state-independent log std is learned);
    both are TFP distributions.

    Args:
        env: str gymnasium id, `gymnasium.Env` or `gymnasium.vector.VectorEnv` with
            Box observations and Discrete or 1-D Box actions.
        policy_network: optional `keras.Model`, observations -> logits (discrete) or
            action means (continuous); default an MLP of `hidden_units`.
        value_network: optional `keras.Model`, observations -> (batch, 1) values, for
            `baseline="value"`; default an MLP of `hidden_units`.
        hidden_units: tuple of int (default (64, 64)); activation: str (default "tanh").
        gamma: float in [0, 1] (default 0.99).
        baseline: "value" (default), "mean" or None.
        entropy_coef: float >= 0, weight of the entropy bonus (default 0.0).
        value_coef: float >= 0, weight of the value loss (default 0.5).
        normalize_advantages: bool (default True).
        batch_steps: int >= 1, environment steps of finished episodes per update (default 1000).
        initial_log_std: float, the continuous policy's starting log std (default 0.0).
        seed: optional int; seeds the environment and action sampling.

    Examples:
        >>> agent = kgen.rl.ReinforceAgent.from_preset("reinforce_cartpole")
        >>> mean, std = kgen.rl.evaluate_policy(agent, "CartPole-v1", episodes=2, seed=0)
        >>> mean >= 475
        True

        A new agent, trained briefly (the preset's recipe runs 200,000 steps):

        >>> agent = kgen.rl.ReinforceAgent("CartPole-v1", hidden_units=(16,), batch_steps=100, seed=0)
        >>> agent.compile()
        >>> history = agent.fit(env_steps=300, verbose=0)
        >>> sorted(name for name in history.history if "loss" in name)
        ['loss', 'policy_loss', 'value_loss']

    Reference:
        Williams, "Simple statistical gradient-following algorithms for connectionist
        reinforcement learning", Machine Learning 1992.
    """

    discrete_only = False
    default_learning_rate = 5e-3
    resume_attributes = Agent.resume_attributes + ("_episodes", "_batch", "_batch_size")

    def __init__(
        self,
        env,
        policy_network=None,
        value_network=None,
        hidden_units=(64, 64),
        activation="tanh",
        gamma=0.99,
        baseline="value",
        entropy_coef=0.0,
        value_coef=0.5,
        normalize_advantages=True,
        batch_steps=1000,
        initial_log_std=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(env, seed=seed, **kwargs)
        self.hidden_units = tuple(check_int("hidden_units", u, 1) for u in hidden_units)
        self.activation = activation
        self.gamma = check_number("gamma", gamma, 0.0, 1.0)
        self.baseline = check_choice("baseline", baseline, BASELINES)
        self.entropy_coef = check_number("entropy_coef", entropy_coef, 0.0)
        self.value_coef = check_number("value_coef", value_coef, 0.0)
        self.normalize_advantages = bool(normalize_advantages)
        self.batch_steps = check_int("batch_steps", batch_steps, 1)
        self.initial_log_std = check_number("initial_log_std", initial_log_std)
        if isinstance(policy_network, dict):
            policy_network = keras.layers.deserialize(policy_network)
        if isinstance(value_network, dict):
            value_network = keras.layers.deserialize(value_network)
        self.policy_network = policy_network or mlp(self.hidden_units, self.action_size, activation, "policy_network", seed=self.seed)
        if self.baseline == "value":
            self.value_network = value_network or mlp(self.hidden_units, 1, activation, "value_network", seed=None if self.seed is None else self.seed + 1)
        else:
            self.value_network = None
        dummy = np.zeros((1, *self.observation_shape), np.float32)
        self.policy_network(dummy)
        if self.value_network is not None:
            self.value_network(dummy)
        self.log_std = None
        if not self.discrete:
            self.log_std = self.add_weight(
                shape=(self.action_size,), initializer=keras.initializers.Constant(self.initial_log_std), name="log_std"
            )
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.policy_loss_tracker = keras.metrics.Mean(name="policy_loss")
        self.value_loss_tracker = keras.metrics.Mean(name="value_loss")
        self.entropy_tracker = keras.metrics.Mean(name="entropy")
        self._episodes = None
        self._batch = []
        self._batch_size = 0
        self._update = None
        self.built = True

    def call(self, observations, training=False):
        return self.policy_network(observations, training=training)

    @property
    def metrics(self):
        trackers = [self.loss_tracker, self.policy_loss_tracker, self.entropy_tracker]
        return trackers + ([self.value_loss_tracker] if self.baseline == "value" else [])

    def compile(self, optimizer=None, **kwargs):
        """Set the optimizer (one for the policy, value and log-std weights); default Adam(5e-3).

        Other arguments go to `keras.Model.compile`.
        """
        optimizer = Adam(self.default_learning_rate) if optimizer is None else optimizer
        super().compile(optimizer=keras.optimizers.get(optimizer), **kwargs)
        self.optimizer.build(self.trainable_variables)

    def policy(self, observations, training=False):
        """pi(. | s) as a TFP distribution with batch shape (n,)."""
        outputs = self.policy_network(observations, training=training)
        if self.discrete:
            return tfd.Categorical(logits=outputs)
        return tfd.Independent(tfd.Normal(outputs, tf.exp(self.log_std)), reinterpreted_batch_ndims=1)

    def advantages(self, returns, observations, weights):
        """G_t minus the baseline, normalised over the weighted batch when asked."""
        if self.baseline == "value":
            advantages = returns - tf.stop_gradient(self.value_network(observations)[:, 0])
        elif self.baseline == "mean":
            advantages = returns - tf.reduce_sum(weights * returns) / tf.reduce_sum(weights)
        else:
            advantages = returns
        if self.normalize_advantages:
            mean = tf.reduce_sum(weights * advantages) / tf.reduce_sum(weights)
            variance = tf.reduce_sum(weights * (advantages - mean) ** 2) / tf.reduce_sum(weights)
            advantages = (advantages - mean) / (tf.sqrt(variance) + 1e-8)
        return advantages

    def train_step(self, data):
        """One policy-gradient step on a batch (observations, actions, returns_to_go, weights).

        `weights` is 1 for real rows and 0 for padding. Under a `tf.distribute` strategy
        every replica is handed the whole batch: the advantages and the means'
        denominators are the whole batch's, and each replica differentiates its share of
        the sums over its own rows, so the gradients Keras sums are the one-device ones.
        """
        observations, actions, returns, weights = data
        advantages = self.advantages(returns, observations, weights)
        total = tf.maximum(tf.reduce_sum(weights), 1.0)
        observations, actions, returns, weights, advantages = (
            replicas.own_rows(part) for part in (observations, actions, returns, weights, advantages))
        share = float(replicas.num_replicas())  # trackers get share x replicas: their mean over replicas is the whole

        def mean(values):
            return tf.reduce_sum(weights * values) / total

        with tf.GradientTape() as tape:
            distribution = self.policy(observations, training=True)
            log_probs = distribution.log_prob(actions)
            policy_loss = losses.policy_gradient_loss(log_probs, advantages, weights, total_weight=total)
            entropy = mean(distribution.entropy())
            loss = policy_loss - self.entropy_coef * entropy
            if self.baseline == "value":
                values = self.value_network(observations, training=True)[:, 0]
                value_loss = mean((returns - values) ** 2)
                loss = loss + self.value_coef * value_loss
                self.value_loss_tracker.update_state(value_loss * share)
        variables = self.trainable_variables
        gradients = tape.gradient(loss, variables)
        # Measured: without this edge, Grappler's rewrites of the compiled step sometimes let the
        # update run before the baseline's reads, so the same step gave different weights from run to run.
        with tf.control_dependencies([advantages, loss, *gradients]):
            self.optimizer.apply(gradients, variables)
        self.loss_tracker.update_state(loss * share)
        self.policy_loss_tracker.update_state(policy_loss * share)
        self.entropy_tracker.update_state(entropy * share)
        return {metric.name: metric.result() for metric in self.metrics}

    def _start(self):
        self._episodes = [[] for _ in range(self._driver.num_envs)]

    def _sample(self, observations):
        outputs = self._forward(self.policy_network)(observations)
        if self.discrete:
            gumbel = -np.log(-np.log(self.rng.random(outputs.shape)))
            return np.argmax(outputs + gumbel, axis=-1)
        std = np.exp(self.log_std.numpy())
        return (outputs + std * self.rng.standard_normal(outputs.shape)).astype(np.float32)

    def _explore(self, observations):
        return self._sample(observations)

    def _act_stochastic(self, observations):
        return self._sample(observations)

    def _act_deterministic(self, observations):
        outputs = self._forward(self.policy_network)(observations)
        return np.argmax(outputs, axis=-1) if self.discrete else outputs

    def _serve_actions(self, observations):
        outputs = self.policy_network(observations, training=False)
        if self.discrete:
            return {"actions": tf.argmax(outputs, axis=-1, output_type=tf.int32), "logits": outputs}
        return {"actions": outputs}  # the policy's mean

    def _record(self, observations, actions, rewards, next_observations, terminated, done, valid):
        for i in np.flatnonzero(valid):
            episode = self._episodes[i]
            episode.append((observations[i], actions[i], rewards[i]))
            if done[i]:
                obs, acts, rews = zip(*episode)
                self._batch.append((np.stack(obs), np.stack(acts), returns_to_go(rews, self.gamma)))
                self._batch_size += len(episode)
                self._episodes[i] = []
        if self._batch_size >= self.batch_steps:
            self._train_on_batch()

    def _train_on_batch(self):
        observations, actions, returns = (np.concatenate(parts) for parts in zip(*self._batch))
        self._batch, self._batch_size = [], 0
        n = len(returns)
        size = 1 << (n - 1).bit_length()  # pad to a power of two: few distinct shapes to trace
        weights = np.zeros(size, np.float32)
        weights[:n] = 1.0
        pad = size - n
        if self._update is None:
            strategy = self.distribute_strategy
            self._update = tf.function(lambda batch: strategy.run(self.train_step, args=(batch,)), reduce_retracing=True)
        self._update(
            (
                np.concatenate([observations, np.repeat(observations[-1:], pad, 0)]).astype(np.float32),
                np.concatenate([actions, np.repeat(actions[-1:], pad, 0)]),
                np.concatenate([returns, np.zeros(pad)]).astype(np.float32),
                weights,
            )
        )
        self._refresh_forwards()

    def preset_probe(self):
        """Policy outputs (logits or means) at four fixed observations, recorded in a preset."""
        return self.policy_network(probe_observations(self.observation_space), training=False)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "policy_network": keras.layers.serialize(self.policy_network),
                "value_network": None if self.value_network is None else keras.layers.serialize(self.value_network),
                "hidden_units": list(self.hidden_units),
                "activation": self.activation,
                "gamma": self.gamma,
                "baseline": self.baseline,
                "entropy_coef": self.entropy_coef,
                "value_coef": self.value_coef,
                "normalize_advantages": self.normalize_advantages,
                "batch_steps": self.batch_steps,
                "initial_log_std": self.initial_log_std,
            }
        )
        return config
