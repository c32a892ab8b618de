"""A learnt model of the world for continuous states: an ensemble of probabilistic MLPs, each
predicting a Gaussian over the (normalised) state change and the reward, and a termination logit
from the next state.

Reference: Chua et al., "Deep Reinforcement Learning in a Handful of Trials using
Probabilistic Dynamics Models" (PETS), NeurIPS 2018; Pineda et al., "MBRL-Lib", 2021.
"""

import keras
import numpy as np
import tensorflow as tf

from kgen.core import seeds
from kgen.core.adam import Adam
from kgen.core.errors import KgenTypeError
from kgen.core.exporter import ServingFunction
from kgen.core.feeding import without_autotune
from kgen.core.serialization import serializable
from kgen.core.validation import check_finite, check_int, check_mask, check_number, fail
from kgen.presets.model import KgenModel

TRANSITION_KEYS = ("observations", "actions", "rewards", "next_observations", "terminated")


@serializable
class EnsembleDense(keras.layers.Layer):
    """E independent Dense layers applied to E stacks of inputs at once: (E, n, d_in) -> (E, n, units)."""

    def __init__(self, ensemble_size, units, activation=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.ensemble_size = check_int("ensemble_size", ensemble_size, 1)
        self.units = check_int("units", units, 1)
        self.activation = keras.activations.get(activation)
        self.seed = seed

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.kernel = self.add_weight(shape=(self.ensemble_size, fan_in, self.units), name="kernel",
                                      initializer=keras.initializers.GlorotUniform(seed=self.seed))
        self.bias = self.add_weight(shape=(self.ensemble_size, 1, self.units), name="bias", initializer="zeros")

    def call(self, inputs):
        return self.activation(tf.einsum("eni,eio->eno", inputs, self.kernel) + self.bias)

    def call_member(self, inputs, member):
        """Member `member`'s layer alone: (n, d_in) -> (n, units)."""
        return self.activation(tf.matmul(inputs, self.kernel[member]) + self.bias[member])

    def get_config(self):
        return {**super().get_config(), "ensemble_size": self.ensemble_size, "units": self.units,
                "activation": keras.activations.serialize(self.activation), "seed": self.seed}


def check_transitions(transitions, observation_size, action_size, discrete):
    """The transitions as float32/int arrays with matching lengths, or a kgen error naming what is wrong."""
    if not isinstance(transitions, dict):
        fail("transitions", transitions, f"a dict of arrays {', '.join(TRANSITION_KEYS)}", KgenTypeError)
    missing = [key for key in TRANSITION_KEYS if key not in transitions]
    if missing:
        fail("transitions", sorted(transitions), f"a dict with keys {', '.join(TRANSITION_KEYS)} (missing {missing})")
    observations = check_finite("transitions['observations']", transitions["observations"]).astype("float32")
    next_observations = check_finite("transitions['next_observations']",
                                     transitions["next_observations"]).astype("float32")
    for name, array in (("observations", observations), ("next_observations", next_observations)):
        if array.ndim != 2 or array.shape[1] != observation_size or len(array) == 0:
            fail(f"transitions['{name}']", array.shape, f"an array of shape (n, {observation_size}) with n >= 1")
    n = len(observations)
    actions = check_actions("transitions['actions']", transitions["actions"], n, action_size, discrete)
    rewards = check_finite("transitions['rewards']", transitions["rewards"]).astype("float32").reshape(-1)
    terminated = check_mask("transitions['terminated']", transitions["terminated"]).reshape(-1)
    if not (len(next_observations) == len(actions) == len(rewards) == len(terminated) == n):
        fail("transitions", {key: len(np.asarray(transitions[key])) for key in TRANSITION_KEYS}, "arrays of one length")
    return observations, actions, rewards, next_observations, terminated.astype("float32")


def check_actions(name, actions, n, action_size, discrete):
    array = check_finite(name, actions)
    if discrete:
        array = array.reshape(-1)
        if len(array) != n or not np.all(array == np.round(array)) or np.any(array < 0) or np.any(array >= action_size):
            fail(name, array, f"{n} integer actions in [0, {action_size})")
        return array.astype("int32")
    array = array.astype("float32").reshape(n, -1) if array.size == n * action_size else array
    if array.shape != (n, action_size):
        fail(name, array.shape, f"an array of shape ({n}, {action_size})")
    return array


@serializable
class DynamicsEnsemble(KgenModel):
    """E probabilistic MLPs p_e(s' - s, r, done | s, a), trained together with `fit`.

    Each member outputs the mean and log-variance of a Gaussian over the normalised
    state change (log-variance softly bounded by learnt limits, as in PETS) and the
    normalised reward, from (s, a); and a termination logit from the next state s',
    by a small network of its own (trained on the true s', applied to the predicted
    one when planning: termination is a property of the state reached, and a
    classifier of s' cannot be fooled by action sequences that lead the (s, a)
    network outside its data, which a planner finds). Inputs and targets are normalised
    with statistics of the training data (`fit` sets them); every member trains on
    its own bootstrap of the data (Poisson(1) weights per transition and member).
    `predict(s, a)` samples a next state, reward and termination per row from one
    member per row (trajectory sampling: pass `members` to keep a trajectory on one
    member).

    Args:
        observation_size: int, the length of a state vector.
        action_size: int, the number of actions (discrete) or the action vector's length (Box).
        discrete: bool, actions are indices (one-hot encoded) (default True).
        ensemble_size: int >= 1, members E (default 5).
        hidden_units: tuple of int, each member's hidden layers (default (200, 200, 200)).
        termination_units: tuple of int, the hidden layers of each member's termination
            network (default (32, 32)).
        activation: str, the hidden activation (default "swish").
        termination_fn: optional callable (observations, actions, next_observations) ->
            bool tensor (n,), a known termination rule used instead of the learnt head
            (it is not saved with the model: pass it again after loading).
        seed: optional int; seeds the initial weights, bootstraps and sampling.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> obs, actions = rng.normal(size=(64, 3)), rng.integers(0, 2, 64)   # a made-up 1-D walk
        >>> transitions = {"observations": obs, "actions": actions, "rewards": obs[:, 0],
        ...                "next_observations": obs + 0.1 * (2 * actions[:, None] - 1), "terminated": np.zeros(64)}
        >>> ensemble = kgen.rl.DynamicsEnsemble(3, 2, ensemble_size=2, hidden_units=(16,), seed=0)
        >>> ensemble.compile()
        >>> history = ensemble.fit(transitions, epochs=2, batch_size=32, validation_fraction=0.0)
        >>> next_obs, rewards, terminated = ensemble.predict(obs[:5], actions[:5], seed=0)
        >>> next_obs.shape, rewards.shape, terminated.dtype
        ((5, 3), (5,), dtype('bool'))

    Reference:
        Chua, Calandra, McAllister and Levine, "Deep Reinforcement Learning in a Handful of
        Trials using Probabilistic Dynamics Models" (PETS), NeurIPS 2018.
    """

    def __init__(self, observation_size, action_size, discrete=True, ensemble_size=5, hidden_units=(200, 200, 200),
                 termination_units=(32, 32), activation="swish", termination_fn=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.observation_size = check_int("observation_size", observation_size, 1)
        self.action_size = check_int("action_size", action_size, 1)
        self.discrete = bool(discrete)
        self.ensemble_size = check_int("ensemble_size", ensemble_size, 1)
        self.hidden_units = tuple(check_int("hidden_units", units, 1) for units in hidden_units)
        self.termination_units = tuple(check_int("termination_units", units, 1) for units in termination_units)
        self.activation = activation
        self.termination_fn = None
        self.seed = None if seed is None else check_int("seed", seed, 0)
        d, inputs = self.observation_size, self.observation_size + self.action_size
        self.layers_ = [EnsembleDense(self.ensemble_size, units, activation, seed=None if seed is None else seed + i)
                        for i, units in enumerate(self.hidden_units)]
        self.head = EnsembleDense(self.ensemble_size, 2 * d + 1, seed=None if seed is None else seed + 100)
        self.termination_layers = [
            EnsembleDense(self.ensemble_size, units, activation, seed=None if seed is None else seed + 200 + i)
            for i, units in enumerate(self.termination_units)]
        self.termination_layers.append(EnsembleDense(self.ensemble_size, 1, seed=None if seed is None else seed + 300))
        statistic = dict(trainable=False, initializer="zeros")
        self.input_mean = self.add_weight(shape=(inputs,), name="input_mean", **statistic)
        self.input_std = self.add_weight(shape=(inputs,), name="input_std", trainable=False, initializer="ones")
        self.delta_mean = self.add_weight(shape=(d,), name="delta_mean", **statistic)
        self.delta_std = self.add_weight(shape=(d,), name="delta_std", trainable=False, initializer="ones")
        self.state_low = self.add_weight(shape=(d,), name="state_low", trainable=False, initializer="zeros")
        self.state_high = self.add_weight(shape=(d,), name="state_high", trainable=False, initializer="zeros")
        self.reward_mean = self.add_weight(shape=(), name="reward_mean", **statistic)
        self.reward_std = self.add_weight(shape=(), name="reward_std", trainable=False, initializer="ones")
        self.termination_weight = self.add_weight(shape=(), name="termination_weight", trainable=False,
                                                  initializer="ones")
        self.max_log_var = self.add_weight(shape=(d,), name="max_log_var", initializer=keras.initializers.Constant(0.5))
        self.min_log_var = self.add_weight(shape=(d,), name="min_log_var", initializer=keras.initializers.Constant(-10.0))
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mse_tracker = keras.metrics.Mean(name="delta_mse")
        self._members(tf.zeros((1, inputs)))
        self._termination_logits(tf.zeros((1, d)))
        self.built = True
        if termination_fn is not None:
            self.set_termination_fn(termination_fn)

    def set_termination_fn(self, fn):
        """Use the known termination rule `fn` instead of the learnt head, after calling it once on
        two zero rows: it must take (observations, actions, next_observations) and return one
        flag per row."""
        expected = "a callable (observations (n, d), actions, next_observations (n, d)) -> bool tensor (n,)"
        if not callable(fn):
            fail("termination_fn", fn, expected, KgenTypeError)
        states = tf.zeros((2, self.observation_size))
        actions = tf.zeros(2, tf.int32) if self.discrete else tf.zeros((2, self.action_size))
        try:
            flags = fn(states, actions, states)
        except TypeError as error:
            fail("termination_fn", fn, f"{expected} (calling it on two rows failed: {error})", KgenTypeError)
        if tuple(np.shape(flags)) != (2,):
            fail("termination_fn", f"a rule returning shape {tuple(np.shape(flags))} for 2 rows", expected)
        self.termination_fn = fn
        for layer in self.termination_layers:  # the learnt head is not used, so not trained
            layer.trainable = False

    @property
    def metrics(self):
        return [self.loss_tracker, self.mse_tracker]

    def compile(self, optimizer=None, **kwargs):
        """Adam(1e-3) by default (built here, inside any strategy scope); other arguments go to Keras."""
        super().compile(optimizer=optimizer or Adam(1e-3), **kwargs)
        self.optimizer.build(self.trainable_variables)

    # ----------------------------------------------------------------- the networks

    def _inputs(self, observations, actions):
        actions = tf.one_hot(tf.cast(actions, tf.int32), self.action_size) if self.discrete else tf.cast(actions, tf.float32)
        return tf.concat([tf.cast(observations, tf.float32), actions], axis=-1)

    def _per_member(self, layers, x, grouped):
        """`layers` on (n, k) rows: every member on every row, (E, n, units), or (`grouped`) member e
        on the e-th of E equal consecutive groups of rows, (E, n / E, units)."""
        if not grouped:
            x = tf.tile(x[None], [self.ensemble_size, 1, 1])
            for layer in layers:
                x = layer(x)
            return x
        # a chain of plain matmuls per member: XLA's CPU backend runs them faster than one batched
        # einsum over the members (docs/rl.md, what a planned action costs)
        groups = tf.split(x, self.ensemble_size)
        for layer in layers:
            groups = [layer.call_member(group, e) for e, group in enumerate(groups)]
        return tf.stack(groups)

    def _members(self, inputs, grouped=False):
        """Every member's (delta mean, delta log-variance, reward), each (E, n, ...), normalised.

        With `grouped`, the rows are E equal consecutive groups and member e computes only group e."""
        out = self._per_member([*self.layers_, self.head], (inputs - self.input_mean) / self.input_std, grouped)
        d = self.observation_size
        mean, log_var, reward = out[..., :d], out[..., d:2 * d], out[..., 2 * d]
        log_var = self.max_log_var - tf.nn.softplus(self.max_log_var - log_var)
        log_var = self.min_log_var + tf.nn.softplus(log_var - self.min_log_var)
        return mean, log_var, reward

    def _termination_logits(self, next_observations, grouped=False):
        """Every member's termination logit for reaching `next_observations`, (E, n) (grouped: (E, n / E)).

        A state beyond the range of the training data's next states is judged as the nearest one
        inside it: the network's extrapolation cannot call a far-out state safe, while a state at
        the edge of the data is where the episodes ended."""
        d = self.observation_size
        clipped = tf.clip_by_value(next_observations, self.state_low, self.state_high)
        return self._per_member(self.termination_layers, (clipped - self.input_mean[:d]) / self.input_std[:d],
                                grouped)[..., 0]

    def call(self, inputs):
        observations, actions = inputs
        return self._members(self._inputs(observations, actions))

    # ----------------------------------------------------------------- training

    def adapt(self, observations, actions, next_observations, rewards, terminated):
        """Set the input and target normalisers from training data (numpy arrays), and weigh the
        rare terminations up to balance them against the other steps (n_continue / n_terminated)."""
        inputs = self._inputs(observations, actions).numpy()
        delta = next_observations - observations
        self.input_mean.assign(inputs.mean(0))
        self.input_std.assign(np.maximum(inputs.std(0), 1e-6))
        self.delta_mean.assign(delta.mean(0))
        self.delta_std.assign(np.maximum(delta.std(0), 1e-6))
        self.state_low.assign(next_observations.min(0))
        self.state_high.assign(next_observations.max(0))
        self.reward_mean.assign(float(rewards.mean()))
        self.reward_std.assign(float(max(rewards.std(), 1e-6)))
        ended = float(np.sum(terminated))
        self.termination_weight.assign((len(terminated) - ended) / ended if ended else 1.0)

    def _loss(self, data, weights):
        observations, actions, rewards, next_observations, terminated = data
        mean, log_var, reward = self._members(self._inputs(observations, actions))
        logit = self._termination_logits(next_observations)
        target = (next_observations - observations - self.delta_mean) / self.delta_std
        nll = 0.5 * tf.reduce_sum((target[None] - mean) ** 2 * tf.exp(-log_var) + log_var, axis=-1)
        reward_error = (((rewards - self.reward_mean) / self.reward_std)[None] - reward) ** 2
        termination = tf.nn.weighted_cross_entropy_with_logits(
            tf.broadcast_to(terminated[None], tf.shape(logit)), logit, self.termination_weight)
        per_member = nll + reward_error + (termination if self.termination_fn is None else 0.0)  # (E, n)
        loss = tf.reduce_sum(tf.reduce_mean(weights * per_member, axis=1))
        loss += 0.01 * (tf.reduce_sum(self.max_log_var) - tf.reduce_sum(self.min_log_var))
        mse = tf.reduce_mean((target[None] - mean) ** 2)
        return loss, mse

    def train_step(self, data):
        *transition, weights = data
        with tf.GradientTape() as tape:
            loss, mse = self._loss(transition, tf.transpose(weights))
        self.optimizer.apply(tape.gradient(loss, self.trainable_variables), self.trainable_variables)
        self.loss_tracker.update_state(loss)
        self.mse_tracker.update_state(mse)
        return {metric.name: metric.result() for metric in self.metrics}

    def test_step(self, data):
        *transition, weights = data
        loss, mse = self._loss(transition, tf.ones_like(tf.transpose(weights)))
        self.loss_tracker.update_state(loss)
        self.mse_tracker.update_state(mse)
        return {metric.name: metric.result() for metric in self.metrics}

    def fit(self, transitions=None, epochs=1, batch_size=256, validation_fraction=0.1, verbose=0, callbacks=None,
            **kwargs):
        """Fit every member on its bootstrap of `transitions`; returns the Keras History.

        Args:
            transitions: dict of arrays "observations" (n, d), "actions" (n,) or (n, k),
                "rewards" (n,), "next_observations" (n, d), "terminated" (n,).
            epochs: int >= 1 (default 1); batch_size: int >= 1 (default 256).
            validation_fraction: float in [0, 1), the share held out (the last rows) for
                `val_loss` / `val_delta_mse` (default 0.1).
            verbose: passed to `keras.Model.fit`.
            callbacks: passed to `keras.Model.fit`.
            **kwargs: passed to `keras.Model.fit`.
        """
        if getattr(self, "optimizer", None) is None:
            fail("model", "an uncompiled DynamicsEnsemble", "a compiled model: call compile() before fit")
        arrays = check_transitions(transitions, self.observation_size, self.action_size, self.discrete)
        check_int("epochs", epochs, 1)
        batch_size = check_int("batch_size", batch_size, 1)
        fraction = check_number("validation_fraction", validation_fraction, 0.0, 1.0, high_open=True)
        n = len(arrays[0])
        held_out = int(n * fraction) if n * fraction >= 1 and n - int(n * fraction) >= 1 else 0
        train = tuple(a[: n - held_out] for a in arrays)
        self.adapt(train[0], train[1], train[3], train[2], train[4])
        rng = np.random.default_rng(self.seed)
        weights = rng.poisson(1.0, size=(len(train[0]), self.ensemble_size)).astype("float32")
        dataset = without_autotune(tf.data.Dataset.from_tensor_slices((*train, weights)).shuffle(
            len(train[0]), seed=self.seed).batch(batch_size))
        validation = None
        if held_out:
            validation = without_autotune(tf.data.Dataset.from_tensor_slices(
                (*(a[n - held_out:] for a in arrays), np.ones((held_out, self.ensemble_size), "float32"))
            ).batch(batch_size))
        # the dataset shuffles itself; shuffle=False only keeps Keras from warning that it ignores shuffle=True
        return super().fit(dataset, epochs=epochs, validation_data=validation, verbose=verbose, callbacks=callbacks,
                           shuffle=False, **kwargs)

    # ----------------------------------------------------------------- prediction

    def step(self, observations, actions, members, seed, deterministic=False, noise=None):
        """One model step on tensors (for planners' compiled code): each row from member `members[i]`,
        or, with `members=None`, rows in E equal consecutive groups, group e from member e (each
        member then computes only its own rows: E times less work). The sampled state change
        is the member's mean plus its standard deviation times standard normals drawn from
        `seed`, or given as `noise` (n, d) (a graph that takes its randomness as an input).

        Returns:
            (next_observations (n, d), rewards (n,), the probability of termination (n,)): the
            learnt head's sigmoid, or 0/1 from `termination_fn`. A planner weighs later rewards
            by the probability of still running, which ranks a plan that stays far from
            termination above one that grazes it (a 0/1 threshold ranks them equal).
        """
        grouped = members is None  # rows grouped by member: E equal consecutive groups (what a Planner passes)
        d = self.observation_size
        mean, log_var, reward = self._members(self._inputs(observations, actions), grouped)
        if grouped:
            mean, log_var, reward = tf.reshape(mean, [-1, d]), tf.reshape(log_var, [-1, d]), tf.reshape(reward, [-1])
        else:
            rows = tf.stack([tf.cast(members, tf.int32), tf.range(tf.shape(members)[0])], axis=1)
            mean, log_var, reward = tf.gather_nd(mean, rows), tf.gather_nd(log_var, rows), tf.gather_nd(reward, rows)
        if not deterministic:
            mean = mean + tf.exp(0.5 * log_var) * (seeds.normal(tf.shape(mean), seed) if noise is None else noise)
        next_observations = tf.cast(observations, tf.float32) + mean * self.delta_std + self.delta_mean
        rewards = reward * self.reward_std + self.reward_mean
        if self.termination_fn is None:
            if grouped:
                logit = tf.reshape(self._termination_logits(next_observations, grouped=True), [-1])
            else:  # each row's own member, on its own next state
                logit = tf.gather_nd(self._termination_logits(next_observations), rows)
            termination = tf.sigmoid(logit)
        else:
            termination = tf.reshape(tf.cast(self.termination_fn(observations, actions, next_observations), tf.float32),
                                     [-1])
        return next_observations, rewards, termination

    def serving_functions(self):
        """What `export` writes: "dynamics", observations (n, d), actions ((n,) int32 or (n, k)
        float32) and the member to ask for each row, int32 (n,) in [0, ensemble_size) ->
        that member's mean "next_observations" (n, d), "rewards" (n,) and probability of
        "termination" (n,): `step(..., deterministic=True)`, `predict(..., members=, deterministic=True)`.

        Returns:
            list of one `kgen.presets.ServingFunction`.
        """
        def dynamics(observations, actions, members):
            next_observations, rewards, termination = self.step(observations, actions, members, None,
                                                                deterministic=True)
            return {"next_observations": next_observations, "rewards": rewards, "termination": termination}

        actions = (tf.TensorSpec((None,), tf.int32, name="actions") if self.discrete
                   else tf.TensorSpec((None, self.action_size), tf.float32, name="actions"))
        signature = (tf.TensorSpec((None, self.observation_size), tf.float32, name="observations"), actions,
                     tf.TensorSpec((None,), tf.int32, name="members"))
        return [ServingFunction("dynamics", dynamics, signature,
                                "observations, actions and a member per row -> that member's mean next "
                                "observation, reward and probability of termination",
                                notes={"ensemble_size": self.ensemble_size,
                                       "termination": "learnt head" if self.termination_fn is None
                                       else "known rule (0 or 1)"})]

    def predict(self, observations, actions, seed=None, members=None, deterministic=False):
        """Next states, rewards and termination for a batch, as numpy.

        Args:
            observations: array (n, observation_size).
            actions: int array (n,) (discrete) or (n, action_size).
            seed: None, an int or a seed pair; seeds the members drawn and the Gaussian noise.
            members: optional int array (n,) in [0, ensemble_size), the member for each row
                (trajectory sampling); default drawn uniformly from `seed`.
            deterministic: bool, the members' means instead of samples (default False).

        Returns:
            (next_observations (n, d), rewards (n,), terminated (n,) bool).
        """
        observations = check_finite("observations", observations).astype("float32")
        if observations.ndim != 2 or observations.shape[1] != self.observation_size or not len(observations):
            fail("observations", observations.shape, f"an array of shape (n, {self.observation_size}) with n >= 1")
        n = len(observations)
        actions = check_actions("actions", actions, n, self.action_size, self.discrete)
        member_seed, noise_seed = seeds.split(seeds.stateless_seed(seed), 2)
        if members is None:
            members = tf.random.stateless_uniform([n], member_seed, 0, self.ensemble_size, tf.int32,
                                                  alg=seeds.ALGORITHM)
        else:
            members = check_actions("members", members, n, self.ensemble_size, True)
        next_observations, rewards, termination = self.step(observations, actions, members, noise_seed, deterministic)
        return np.asarray(next_observations), np.asarray(rewards), np.asarray(termination) > 0.5

    def get_config(self):
        config = super().get_config()
        config.update({
            "observation_size": self.observation_size, "action_size": self.action_size, "discrete": self.discrete,
            "ensemble_size": self.ensemble_size, "hidden_units": list(self.hidden_units),
            "termination_units": list(self.termination_units),
            "activation": self.activation, "seed": self.seed,
        })
        return config
