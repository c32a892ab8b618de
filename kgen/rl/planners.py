"""Model-predictive control: choose the next action by searching action sequences in a model.

A planner rolls every candidate sequence of `horizon` actions through the model
once per ensemble member (trajectory sampling: a particle stays on one member),
scores it by the mean over members of the predicted rewards, each weighted by
the predicted probability that the episode is still running (so rewards after a
predicted termination are masked), and returns the first action of the best plan. The
whole search for one action is one compiled `tf.function` over population x
ensemble rows and the horizon, never a Python loop per candidate.

- "random": random shooting, the first action of the best sampled sequence.
- "cem": the cross-entropy method; the sampling distribution is refitted to the
  elites for `iterations` rounds, and the plan is the mean of the last elites (for
  discrete actions: their most frequent action per step), not the best sample,
  which would over-fit the model's errors.

Discrete actions use a categorical distribution per step; Box actions a Gaussian
per step, samples clipped to the bounds.

Reference: Chua et al., "Deep Reinforcement Learning in a Handful of Trials using
Probabilistic Dynamics Models" (PETS), NeurIPS 2018; Botev et al., "The
Cross-Entropy Method for Optimization", 2013; Nagabandi et al., "Neural Network
Dynamics for Model-Based Deep RL with Model-Free Fine-Tuning", ICRA 2018 (random shooting).
"""

import inspect

import numpy as np
import tensorflow as tf

from kgen.core import seeds
from kgen.core.errors import KgenTypeError
from kgen.core.validation import check_choice, check_finite, check_int, check_number, fail

METHODS = ("cem", "random")


class Planner:
    """Plan one action at a time in a model by random shooting or the cross-entropy method.

    Args:
        step: callable (observations (N, d), actions (N,) or (N, k), members (N,) int32,
            seed pair) -> (next_observations, rewards (N,), terminated (N,): bool, or the
            probability of termination); e.g. a `DynamicsEnsemble`'s `step`. Called on tensors inside the compiled search.
        observation_size: int, the length of a state vector.
        num_actions: int or None, the number of discrete actions (None for Box actions).
        low: float array (k,), a Box's lower bounds (for Box actions).
        high: float array (k,), its upper bounds.
        method: "cem" (default) or "random".
        horizon: int >= 1, steps per plan (default 15).
        population: int >= 1, candidate sequences per round (default 200).
        elites: int in [1, population], the best candidates CEM refits to (default 20).
        iterations: int >= 1, CEM rounds (default 5; random shooting uses 1).
        ensemble_size: int >= 1, particles per candidate, one per member (default 5).
        smoothing: float in [0, 1), the share of the old distribution kept each round (default 0.1).
        grouped: bool, call `step` with `members=None` on rows grouped by member (E equal
            consecutive groups), as `DynamicsEnsemble.step` takes them fastest (default False:
            an explicit member per row).
        discount: float in (0, 1], the weight gamma^t of the reward t steps ahead (default 1.0).
        terminal_value: optional callable (states (N, d)) -> (N,), an estimate of the return
            after the horizon, added to a particle's return as gamma^H V(s_H) times its
            probability of still running (the planner then sees past its horizon).
        disagreement_penalty: float >= 0, a candidate's score is the mean of its particles'
            returns minus this times their standard deviation over the members (default 0:
            the mean). The members disagree where the data they were fitted on is thin, so a
            penalty keeps the plans where the model has been seen to be right.
        jit_compile: bool, compile the search with XLA (default True: it fuses the small
            per-step operations; `python benchmarks/rl.py --plan-cost` compares). `step`
            must then be XLA-compatible.

    Examples:
        In a `ModelBasedAgent`, `step` is its `DynamicsEnsemble`'s; here a known model of a
        1-D walk (action 0 steps left, 1 right) whose reward is minus the distance to 0:

        >>> def step(states, actions, members, seed):
        ...     moved = states + 2.0 * tf.cast(actions, tf.float32)[:, None] - 1.0
        ...     return moved, -tf.abs(moved[:, 0]), tf.zeros(tf.shape(states)[:1])
        >>> planner = kgen.rl.Planner(step, 1, num_actions=2, horizon=3, population=16, elites=4,
        ...                           iterations=2, ensemble_size=1, jit_compile=False)
        >>> planner.plan(np.array([[3.0], [-3.0]]), seed=0)     # walk towards 0
        array([0, 1], dtype=int32)

    Reference:
        Rubinstein, "The Cross-Entropy Method for Combinatorial and Continuous Optimization",
        Methodology and Computing in Applied Probability 1999; Chua et al., "Deep Reinforcement
        Learning in a Handful of Trials using Probabilistic Dynamics Models" (PETS), NeurIPS 2018.
    """

    def __init__(self, step, observation_size, num_actions=None, low=None, high=None, method="cem", horizon=15,
                 population=200, elites=20, iterations=5, ensemble_size=5, smoothing=0.1, grouped=False, discount=1.0,
                 terminal_value=None, disagreement_penalty=0.0, jit_compile=True):
        if not callable(step):
            fail("step", step, "a callable (observations, actions, members, seed) -> (next, rewards, terminated)",
                 KgenTypeError)
        self.step = step
        self.step_takes_noise = "noise" in inspect.signature(step).parameters
        self.observation_size = check_int("observation_size", observation_size, 1)
        self.method = check_choice("method", method, METHODS)
        self.horizon = check_int("horizon", horizon, 1)
        self.population = check_int("population", population, 1)
        self.elites = check_int("elites", elites, 1, self.population)
        self.iterations = 1 if self.method == "random" else check_int("iterations", iterations, 1)
        self.ensemble_size = check_int("ensemble_size", ensemble_size, 1)
        self.smoothing = check_number("smoothing", smoothing, 0.0, 1.0, high_open=True)
        self.grouped = bool(grouped)
        self.discount = check_number("discount", discount, 0.0, 1.0, low_open=True)
        if terminal_value is not None and not callable(terminal_value):
            fail("terminal_value", terminal_value, "None or a callable (states) -> values", KgenTypeError)
        self.terminal_value = terminal_value
        self.disagreement_penalty = check_number("disagreement_penalty", disagreement_penalty, 0.0)
        self.discrete = num_actions is not None
        if self.discrete:
            self.num_actions = check_int("num_actions", num_actions, 1)
        else:
            if low is None or high is None:
                fail("low/high", (low, high), "the bounds of a Box action space (or num_actions for Discrete)")
            self.low = check_finite("low", low).astype("float32").reshape(-1)
            self.high = check_finite("high", high).astype("float32").reshape(-1)
            if self.low.shape != self.high.shape or not np.all(self.low < self.high):
                fail("low/high", (low, high), "vectors of one length with low < high")
        self.jit_compile = bool(jit_compile)
        self.search = tf.function(self._search, jit_compile=self.jit_compile)

    # ----------------------------------------------------------------- the compiled search

    def _returns(self, observations, actions, seed=None, noise=None):
        """Each candidate's score, (B, P): the mean over ensemble members of its masked return, less
        `disagreement_penalty` times their standard deviation; actions (B, P, H, ...).
        The model steps take `noise` (H, E * B * P, d), each step's standard normals, as
        `step(..., noise=)`, drawn from `seed` when not given; a `step` without `noise=` gets a
        seed per step instead."""
        E = self.ensemble_size
        B, P = tf.shape(observations)[0], self.population
        rows = E * B * P
        # particles grouped by member: rows [e * B * P, (e + 1) * B * P) are every candidate on member e
        states = tf.reshape(tf.tile(tf.cast(observations, tf.float32)[None, :, None], [E, 1, P, 1]),
                            [rows, self.observation_size])
        members = None if self.grouped else tf.repeat(tf.range(E, dtype=tf.int32), B * P)
        action_shape = actions.shape[3:]
        per_particle = tf.reshape(tf.tile(actions[None], [E] + [1] * actions.shape.rank),
                                  [rows, self.horizon, *action_shape])
        by_step = tf.transpose(per_particle, [1, 0] + list(range(2, per_particle.shape.rank)))  # (H, rows, ...)
        if noise is None and self.step_takes_noise:
            noise = self._model_draws(rows, seed)
        elif noise is None:
            step_seeds = tf.random.experimental.stateless_split(seed, num=self.horizon, alg=seeds.ALGORITHM)

        def one_step(t, states, alive, total):
            if noise is None:
                states, rewards, terminated = self.step(states, by_step[t], members, step_seeds[t])
            else:
                states, rewards, terminated = self.step(states, by_step[t], members, None, noise=noise[t])
            total += alive * self.discount ** tf.cast(t, tf.float32) * tf.cast(rewards, tf.float32)
            alive *= 1.0 - tf.cast(terminated, tf.float32)  # the probability of still running
            return t + 1, states, alive, total

        # a loop, not H unrolled copies of the model: the graph (and XLA's compile) stays small
        _, states, alive, total = tf.while_loop(
            lambda t, *_: t < self.horizon, one_step,
            (tf.constant(0), states, tf.ones([rows], tf.float32), tf.zeros([rows], tf.float32)))
        if self.terminal_value is not None:
            total += alive * self.discount**self.horizon * tf.cast(tf.reshape(self.terminal_value(states), [-1]),
                                                                   tf.float32)
        mean, variance = tf.nn.moments(tf.reshape(total, [E, B, P]), axes=[0])
        if not self.disagreement_penalty:
            return mean
        return mean - self.disagreement_penalty * tf.sqrt(variance + 1e-12)

    def _model_draws(self, rows, seed):
        """The standard normals of a round's model steps, (H, rows, d), for a `step` that takes
        `noise=`: one draw for the whole round, which XLA makes faster than one per step."""
        return seeds.normal([self.horizon, rows, self.observation_size], seed)

    def _action_draws(self, batch, seed):
        """The random numbers one round samples its candidates from, (B, P, H, A) uniforms in
        (0, 1) for the Gumbel-max trick (discrete) or (B, P, H, k) standard normals (Box)."""
        if self.discrete:
            return seeds.uniform([batch, self.population, self.horizon, self.num_actions], seed, 1e-9, 1.0)
        return seeds.normal([batch, self.population, self.horizon, len(self.low)], seed)

    def _sample(self, distribution, draws):
        """P candidate sequences per observation from its distribution and `_action_draws`: (B, P, H)
        or (B, P, H, k)."""
        if self.discrete:
            probabilities = distribution[0]  # (B, H, A)
            gumbel = -tf.math.log(-tf.math.log(draws))
            return tf.argmax(tf.math.log(probabilities)[:, None] + gumbel, axis=-1, output_type=tf.int32)
        mean, std = distribution  # (B, H, k) each
        return tf.clip_by_value(mean[:, None] + std[:, None] * draws, self.low, self.high)

    def _refit(self, distribution, elite_actions):
        """The distribution moved toward the elites (B, elites, H, ...)."""
        keep = self.smoothing
        if self.discrete:
            frequencies = tf.reduce_mean(tf.one_hot(elite_actions, self.num_actions), axis=1)
            return (keep * distribution[0] + (1 - keep) * frequencies,)
        mean, std = distribution
        elite_mean, elite_var = tf.nn.moments(elite_actions, axes=[1])
        return keep * mean + (1 - keep) * elite_mean, keep * std + (1 - keep) * tf.sqrt(elite_var + 1e-12)

    def _search(self, observations, initial, seed=None, noise=None):
        """(first actions (B, ...), plans (B, H, ...)) for a batch of observations (B, d); `initial` is
        the starting distribution of each (leading axis B). The random numbers come from `seed`,
        or are `noise` = (action draws, model draws) as `search_noise` makes them."""
        distribution = initial
        if noise is None:
            round_seeds = tf.random.experimental.stateless_split(seed, num=2 * self.iterations, alg=seeds.ALGORITHM)
        best_actions = None
        for i in range(self.iterations):
            if noise is None:
                draws = self._action_draws(tf.shape(observations)[0], round_seeds[2 * i])
                actions = self._sample(distribution, draws)
                returns = self._returns(observations, actions, seed=round_seeds[2 * i + 1])
            else:
                actions = self._sample(distribution, noise[0][i])
                returns = self._returns(observations, actions, noise=noise[1][i])
            top = tf.math.top_k(returns, k=self.elites).indices  # (B, elites)
            best_actions = tf.gather(actions, top[:, 0], batch_dims=1)
            distribution = self._refit(distribution, tf.gather(actions, top, batch_dims=1))
        if self.method == "random":
            plans = best_actions
        elif self.discrete:
            plans = tf.argmax(distribution[0], axis=-1, output_type=tf.int32)
        else:
            plans = distribution[0]
        return plans[:, 0], plans

    # ----------------------------------------------------------------- numpy interface

    def initial_distribution(self, batch=1):
        """The search's starting distribution for `batch` observations (an int or a scalar tensor):
        uniform categorical, or a Gaussian centred in the Box with half its width as the standard
        deviation."""
        H = self.horizon
        if self.discrete:
            return (tf.fill([batch, H, self.num_actions], 1.0 / self.num_actions),)
        centre, half = (self.low + self.high) / 2, (self.high - self.low) / 2
        return (tf.tile(tf.constant(centre)[None, None], [batch, H, 1]),
                tf.tile(tf.constant(half)[None, None], [batch, H, 1]))

    def noise_shapes(self, batch=None):
        """The shapes of `search_noise`'s two arrays for `batch` observations (None: any batch):
        (iterations, B, population, horizon, A or k) and (iterations, horizon, E * B * population, d).

        Args:
            batch: int or None.

        Returns:
            two tuples.
        """
        rows = None if batch is None else self.ensemble_size * batch * self.population
        last = self.num_actions if self.discrete else len(self.low)
        return ((self.iterations, batch, self.population, self.horizon, last),
                (self.iterations, self.horizon, rows, self.observation_size))

    def search_noise(self, seed, batch=1):
        """Every random number the search from `seed` draws for `batch` observations, as the two
        inputs of a planner that takes its randomness as data (`first_actions(..., noise=)`, what
        an exported planner runs): per CEM round, the candidates' draws (uniforms in (0, 1) for
        the Gumbel-max trick, or standard normals for Box actions) and the model's standard
        normals of every step (the `noise=` of a `DynamicsEnsemble.step`). Draw them with any
        generator to plan afresh; these reproduce `first_actions(observations, seed)` exactly.
        `plan` runs the search XLA-compiled, and XLA's Philox kernels draw other numbers than
        TensorFlow's for the same seed (TensorFlow 2.21), so its plans agree only where the draws
        do not decide them.

        Args:
            seed: None, an int or a seed pair.
            batch: int >= 1, the number of observations (default 1).

        Returns:
            (action_noise, model_noise), float32 numpy arrays of `noise_shapes(batch)`.
        """
        batch = check_int("batch", batch, 1)
        round_seeds = tf.random.experimental.stateless_split(seeds.stateless_seed(seed), num=2 * self.iterations,
                                                             alg=seeds.ALGORITHM)
        if not self.step_takes_noise:
            fail("step", self.step, "a model step that takes noise= (as DynamicsEnsemble.step does)", KgenTypeError)
        rows = self.ensemble_size * batch * self.population
        actions = [self._action_draws(batch, round_seeds[2 * i]) for i in range(self.iterations)]
        model = [self._model_draws(rows, round_seeds[2 * i + 1]) for i in range(self.iterations)]
        return tf.stack(actions).numpy(), tf.stack(model).numpy()

    def first_actions(self, observations, seed=None, noise=None):
        """The first action of the plan from each observation, on tensors and without XLA: the
        search as a graph embeds it (an export). `plan` is this search XLA-compiled, from numpy
        (with a seed, the draws differ: see `search_noise`).

        Args:
            observations: float32 tensor (B, observation_size).
            seed: a seed pair tensor (2,) int32, or None when `noise` is given.
            noise: (action_noise, model_noise) tensors of `noise_shapes(B)` (see `search_noise`),
                or None; the model's step must then take `noise=` (a `DynamicsEnsemble.step` does).

        Returns:
            tensor (B,) int32 (discrete) or (B, k) float32 (Box).
        """
        if (seed is None) == (noise is None):
            fail("seed/noise", (seed, noise), "exactly one of a seed pair and (action_noise, model_noise)")
        observations = tf.cast(observations, tf.float32)
        if noise is not None:
            noise = tuple(tf.convert_to_tensor(part, tf.float32) for part in noise)
        actions, _ = self._search(observations, self.initial_distribution(tf.shape(observations)[0]), seed, noise)
        return actions

    def plan(self, observations, seed=None):
        """The first action of the plan from each observation.

        Args:
            observations: one observation (observation_size,) or a batch (B, observation_size),
                searched together in one call (one trace per batch size).
            seed: None, an int or a seed pair.

        Returns:
            An int (discrete) or a float array (k,) (Box) for one observation; for a batch,
            an array (B,) or (B, k).
        """
        array = check_finite("observations", observations).astype("float32")
        single = array.ndim == 1
        batch = array[None] if single else array
        if batch.ndim != 2 or batch.shape[1] != self.observation_size or not len(batch):
            fail("observations", array.shape,
                 f"one observation ({self.observation_size},) or a batch (B, {self.observation_size})")
        actions, _ = self.search(tf.constant(batch), self.initial_distribution(len(batch)), seeds.stateless_seed(seed))
        actions = actions.numpy()
        return actions[0] if single else actions
