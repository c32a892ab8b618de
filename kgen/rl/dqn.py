"""Deep Q-learning: learn Q(s, a) from replayed transitions, act epsilon-greedily on it."""

import keras
import numpy as np
import tensorflow as tf

from kgen.core import replicas
from kgen.core.adam import Adam
from kgen.core.serialization import serializable
from kgen.core.validation import check_int, check_number
from kgen.ops import losses
from kgen.rl.agent import Agent, mlp, probe_observations
from kgen.rl.replay import ReplayBuffer


@serializable
class DQNAgent(Agent):
    """DQN with a replay buffer, a target network, Double DQN and a Huber TD loss.

    The defaults are those of the `dqn_cartpole` recipe (kgen.rl.recipes, which
    starts from the rl-baselines3-zoo hyperparameters for CartPole-v1); the recipe
    also decays the learning rate linearly to 0 over the run.

    Args:
        env: str gymnasium id, `gymnasium.Env` or `gymnasium.vector.VectorEnv` with
            Box observations and Discrete actions.
        q_network: optional `keras.Model` mapping observations (batch, *obs_shape)
            to Q-values (batch, num_actions); default an MLP of `hidden_units` (ReLU).
        hidden_units: tuple of int, the default network's layers (default (256, 256)).
        gamma: float in [0, 1], the discount factor (default 0.98).
        buffer_size: int, replay capacity in transitions (default 100,000).
        batch_size: int, transitions per gradient step (default 128).
        learning_starts: int, environment steps of uniformly random actions before
            the first update (default 1,000).
        train_freq: int, environment steps between updates (default 256).
        gradient_steps: int, gradient steps per update, or -1 for as many as the
            environment steps since the last update (default 256).
        target_update_interval: int, environment steps between target updates (default 10).
        tau: float in (0, 1], 1 copies the online network into the target (hard
            update), smaller values average it in (Polyak) (default 1.0).
        double_dqn: bool, pick the next action with the online network (default True).
        exploration_steps: int, environment steps over which epsilon falls linearly
            from `exploration_initial_eps` to `exploration_final_eps` (default 10,000).
        exploration_initial_eps: float (default 1.0); exploration_final_eps: float (default 0.01).
        huber_delta: float, where the Huber loss turns linear (default 1.0).
        seed: optional int; seeds the environment, exploration and replay sampling.

    Examples:
        >>> agent = kgen.rl.DQNAgent.from_preset("dqn_cartpole")
        >>> int(agent.predict_action(np.zeros(4))) in (0, 1), agent.predict_action(np.zeros((3, 4))).shape
        (True, (3,))
        >>> mean, std = kgen.rl.evaluate_policy(agent, "CartPole-v1", episodes=2, seed=0)
        >>> mean >= 475                               # CartPole-v1 counts as solved at 475
        True

        A new agent, trained briefly (the preset's recipe runs 50,000 steps):

        >>> agent = kgen.rl.DQNAgent("CartPole-v1", hidden_units=(16,), learning_starts=64, train_freq=64,
        ...                          gradient_steps=4, batch_size=32, seed=0)
        >>> agent.compile()
        >>> history = agent.fit(env_steps=256, verbose=0)
        >>> history.history["env_steps"][-1], "episode_return" in history.history
        (256.0, True)

    Reference:
        Mnih et al., "Human-level control through deep reinforcement learning", Nature 2015;
        van Hasselt, Guez and Silver, "Deep Reinforcement Learning with Double Q-learning", AAAI 2016.
    """

    default_learning_rate = 1e-3
    resume_attributes = Agent.resume_attributes + ("buffer", "_pending_target_updates", "_since_train")

    def __init__(
        self,
        env,
        q_network=None,
        hidden_units=(256, 256),
        gamma=0.98,
        buffer_size=100_000,
        batch_size=128,
        learning_starts=1_000,
        train_freq=256,
        gradient_steps=256,
        target_update_interval=10,
        tau=1.0,
        double_dqn=True,
        exploration_steps=10_000,
        exploration_initial_eps=1.0,
        exploration_final_eps=0.01,
        huber_delta=1.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(env, seed=seed, **kwargs)
        self.hidden_units = tuple(check_int("hidden_units", u, 1) for u in hidden_units)
        self.gamma = check_number("gamma", gamma, 0.0, 1.0)
        self.buffer_size = check_int("buffer_size", buffer_size, 1)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.learning_starts = check_int("learning_starts", learning_starts, 0)
        self.train_freq = check_int("train_freq", train_freq, 1)
        self.gradient_steps = check_int("gradient_steps", gradient_steps, -1)
        if self.gradient_steps == 0:
            check_int("gradient_steps", gradient_steps, 1)
        self.target_update_interval = check_int("target_update_interval", target_update_interval, 1)
        self.tau = check_number("tau", tau, 0.0, 1.0, low_open=True)
        self.double_dqn = bool(double_dqn)
        self.exploration_steps = check_int("exploration_steps", exploration_steps, 0)
        self.exploration_initial_eps = check_number("exploration_initial_eps", exploration_initial_eps, 0.0, 1.0)
        self.exploration_final_eps = check_number("exploration_final_eps", exploration_final_eps, 0.0, 1.0)
        self.huber_delta = check_number("huber_delta", huber_delta, 0.0, low_open=True)
        if isinstance(q_network, dict):
            q_network = keras.layers.deserialize(q_network)
        self.q_network = q_network or mlp(self.hidden_units, self.action_size, "relu", "q_network", seed=self.seed)
        self.target_network = keras.models.clone_model(self.q_network)
        dummy = np.zeros((1, *self.observation_shape), np.float32)
        self.q_network(dummy)
        self.target_network(dummy)
        self.target_network.set_weights(self.q_network.get_weights())
        self.target_network.trainable = False
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.q_tracker = keras.metrics.Mean(name="q_mean")
        self.buffer = None
        self._pending_target_updates = 0
        self._since_train = 0
        self._train_rounds = {}
        self.built = True

    def call(self, observations, training=False):
        return self.q_network(observations, training=training)

    @property
    def metrics(self):
        return [self.loss_tracker, self.q_tracker]

    def compile(self, optimizer=None, **kwargs):
        """Set the optimizer; default Adam(1e-3) with the global gradient norm clipped at 10.

        Other arguments (jit_compile, ...) go to `keras.Model.compile`.
        """
        if optimizer is None:
            optimizer = Adam(self.default_learning_rate, global_clipnorm=10.0)
        super().compile(optimizer=keras.optimizers.get(optimizer), **kwargs)
        self.optimizer.build(self.q_network.trainable_variables)

    @property
    def epsilon(self):
        """The exploration rate at the current environment step."""
        if self.exploration_steps == 0:
            return self.exploration_final_eps
        progress = min(1.0, self.env_steps / self.exploration_steps)
        return self.exploration_initial_eps + progress * (self.exploration_final_eps - self.exploration_initial_eps)

    def td_targets(self, rewards, next_observations, terminated, next_q_target=None):
        """y = r + gamma (1 - terminated) Q_target(s', a'), a' from the online network
        when `double_dqn` (else from the target network). `next_q_target` may be given
        when already computed (the target network at `next_observations`)."""
        if next_q_target is None:
            next_q_target = self.target_network(next_observations, training=False)
        next_q_online = self.q_network(next_observations, training=False) if self.double_dqn else None
        return losses.td_targets(rewards, terminated, next_q_target, self.gamma, next_q_online)

    def train_step(self, data, next_q_target=None):
        """One TD update on a batch (observations, actions, rewards, next_observations, terminated).

        Under a `tf.distribute` strategy it runs on each replica's rows, and the loss is
        divided by the replica count: the gradients Keras sums are those of the global batch mean.
        """
        observations, actions, rewards, next_observations, terminated = data
        targets = self.td_targets(rewards, next_observations, terminated, next_q_target)
        with tf.GradientTape() as tape:
            q = self.q_network(observations, training=True)
            q_taken = tf.gather(q, tf.cast(actions, tf.int32), batch_dims=1)
            loss = losses.q_learning_loss(q_taken, targets, self.huber_delta)
            replica_loss = loss / replicas.num_replicas()
        variables = self.q_network.trainable_variables
        self.optimizer.apply(tape.gradient(replica_loss, variables), variables)
        self.loss_tracker.update_state(loss)
        self.q_tracker.update_state(tf.reduce_mean(q_taken))
        return {metric.name: metric.result() for metric in self.metrics}

    def _train_round(self, steps):
        """`steps` gradient steps on fresh minibatches, in one compiled call."""
        if steps not in self._train_rounds:
            strategy = self.distribute_strategy

            # every replica is handed all the minibatches and trains on its rows of each
            def replica_targets(next_observations):
                # The target network is fixed during a round: value every next state in one large batch.
                flat = tf.reshape(replicas.own_rows(next_observations, axis=1), (-1, *self.observation_shape))
                return tf.reshape(self.target_network(flat, training=False), (steps, -1, self.action_size))

            def replica_step(i, minibatches, next_q_target):
                self.train_step(tuple(replicas.own_rows(part[i]) for part in minibatches), next_q_target[i])

            @tf.function(jit_compile=bool(self.jit_compile) and strategy.num_replicas_in_sync == 1)
            def train_round(*minibatches):
                next_q_target = strategy.run(replica_targets, args=(minibatches[3],))
                for i in tf.range(steps):
                    strategy.run(replica_step, args=(i, minibatches, next_q_target))

            self._train_rounds[steps] = train_round
        batch = self.buffer.sample(self.rng, (steps, self.batch_size))
        self._train_rounds[steps](*batch)

    def update_target(self, times=1):
        """Apply `times` target updates: theta' <- (1 - tau)^times theta' + (1 - (1 - tau)^times) theta."""
        keep = (1.0 - self.tau) ** times
        for target, online in zip(self.target_network.weights, self.q_network.weights):
            target.assign(keep * target + (1.0 - keep) * online if keep > 0 else online)

    def _start(self):
        self.buffer = ReplayBuffer(self.buffer_size, self.observation_shape)

    def _explore(self, observations):
        n = len(observations)
        if self.env_steps < self.learning_starts:
            return self.rng.integers(self.action_size, size=n)
        actions = self._act_deterministic(observations)
        explore = self.rng.random(n) < self.epsilon
        if explore.any():
            actions = np.where(explore, self.rng.integers(self.action_size, size=n), actions)
        return actions

    def _act_deterministic(self, observations):
        return np.argmax(self._forward(self.q_network)(observations), axis=-1)

    def q_values(self, observations):
        """Q(s, a) of every action for one observation or a batch, as numpy: the values the greedy action
        is the argmax of, computed with the acting network's fast forward pass.

        Args:
            observations: array of shape `observation_shape` or (n, *observation_shape).

        Returns:
            float32 array of shape (num_actions,) for one observation, else (n, num_actions).
        """
        batch, single = self._check_observations(observations)
        q = self._forward(self.q_network)(batch)
        return q[0] if single else q

    def _serve_actions(self, observations):
        q = self.q_network(observations, training=False)
        return {"actions": tf.argmax(q, axis=-1, output_type=tf.int32), "q_values": q}

    def _act_stochastic(self, observations):
        actions = self._act_deterministic(observations)
        explore = self.rng.random(len(actions)) < self.exploration_final_eps
        return np.where(explore, self.rng.integers(self.action_size, size=len(actions)), actions)

    def _record(self, observations, actions, rewards, next_observations, terminated, done, valid):
        if not valid.all():
            observations, actions, rewards = observations[valid], actions[valid], rewards[valid]
            next_observations, terminated = next_observations[valid], terminated[valid]
        self.buffer.add(observations, actions, rewards, next_observations, terminated)
        steps = len(valid)
        crossed = self.env_steps // self.target_update_interval - (self.env_steps - steps) // self.target_update_interval
        self._pending_target_updates += crossed
        self._since_train += steps
        if self.env_steps > self.learning_starts and self._since_train >= self.train_freq:
            self._flush_target_updates()
            gradient_steps = self.gradient_steps if self.gradient_steps > 0 else self._since_train
            self._since_train = 0
            self._train_round(gradient_steps)
            self._refresh_forwards()

    def _flush_target_updates(self):
        # The online network only changes in training rounds, so the updates due since
        # the last round can be applied together, just before the next one.
        if self._pending_target_updates:
            self.update_target(self._pending_target_updates)  # with tau = 1, n copies are one copy
            self._pending_target_updates = 0

    def training_state(self):
        # the online network only changes in training rounds, so settling the pending target
        # updates now gives the target network the next round would see
        self._flush_target_updates()
        return super().training_state()

    def fit(self, *args, **kwargs):
        history = super().fit(*args, **kwargs)
        self._flush_target_updates()
        return history

    def _extra_logs(self):
        return {"epsilon": self.epsilon}

    def preset_probe(self):
        """Q-values at four fixed observations, recorded in a preset's metadata."""
        return self.q_network(probe_observations(self.observation_space), training=False)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "q_network": keras.layers.serialize(self.q_network),
                "hidden_units": list(self.hidden_units),
                "gamma": self.gamma,
                "buffer_size": self.buffer_size,
                "batch_size": self.batch_size,
                "learning_starts": self.learning_starts,
                "train_freq": self.train_freq,
                "gradient_steps": self.gradient_steps,
                "target_update_interval": self.target_update_interval,
                "tau": self.tau,
                "double_dqn": self.double_dqn,
                "exploration_steps": self.exploration_steps,
                "exploration_initial_eps": self.exploration_initial_eps,
                "exploration_final_eps": self.exploration_final_eps,
                "huber_delta": self.huber_delta,
            }
        )
        return config
