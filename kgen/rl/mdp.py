"""Finite Markov decision processes (S, A, R, P, gamma) and their exact solutions, in numpy.

The lecture's vocabulary made concrete: a policy is either deterministic (an action
per state, shape (S,)) or stochastic (a distribution over actions per state, shape
(S, A)); V^pi(s) = E[sum_t gamma^t r_t | s_0 = s, pi]; Q^pi(s, a) the same after
taking a first; pi* = argmax_pi E[sum_t gamma^t r_t | pi].

Examples:
    >>> from kgen.rl import mdp
    >>> world = mdp.GridWorld(["S..", ".#.", "..G"], slip=0.1)
    >>> values, policy = mdp.value_iteration(world.mdp)
    >>> print(world.render_policy(policy))
    >>v
    v#v
    >>G

Reference: Sutton & Barto, Reinforcement Learning: An Introduction (2nd ed.), ch. 3-4.
"""

import numpy as np

from kgen.core.errors import KgenTypeError
from kgen.core.validation import check_finite, check_int, check_mask, check_number, fail
from kgen.ops.returns import discounted_return, returns_to_go  # noqa: F401  (part of the MDP toolkit)

_ROW_TOLERANCE = 1e-6


class MDP:
    """A finite MDP with `num_states` states and `num_actions` actions.

    Args:
        transitions: array (S, A, S), P[s, a, s'] = p(s' | s, a); every row sums to 1.
        rewards: array (S, A) of expected rewards R[s, a], or (S, A, S) of R[s, a, s']
            (reduced to R[s, a] = sum_s' P[s, a, s'] R[s, a, s']).
        gamma: float in [0, 1], the discount factor (default 0.99).
        terminal: optional bool array (S,), absorbing states; their rows must stay
            in place with zero reward (GridWorld builds them so).
        initial: optional array (S,), the start distribution (default uniform).

    Raises:
        KgenValueError: shapes that disagree, negative probabilities, rows that do
            not sum to 1, gamma outside [0, 1].

    Examples:
        Two states, each with an action that stays (0) and one that moves to state 1 (1);
        staying in state 1 pays 1:

        >>> P = np.zeros((2, 2, 2))
        >>> P[:, 0, [0, 1]] = np.eye(2)          # action 0 stays
        >>> P[:, 1, 1] = 1.0                     # action 1 goes to state 1
        >>> R = np.array([[0.0, 0.0], [1.0, 0.0]])
        >>> mdp = kgen.rl.MDP(P, R, gamma=0.5)
        >>> mdp
        MDP(num_states=2, num_actions=2, gamma=0.5)
        >>> kgen.rl.mdp.value_iteration(mdp)      # V* = (gamma / (1 - gamma), 1 / (1 - gamma)) = (1, 2)
        (array([1., 2.]), array([1, 0]))

    Reference:
        Sutton and Barto, "Reinforcement Learning: An Introduction", 2nd ed., MIT Press 2018, ch. 3-4.
    """

    def __init__(self, transitions, rewards, gamma=0.99, terminal=None, initial=None):
        P = check_finite("transitions", transitions).astype("float64")
        if P.ndim != 3 or P.shape[0] != P.shape[2] or P.shape[0] < 1 or P.shape[1] < 1:
            fail("transitions", P.shape, "an array of shape (S, A, S) with S, A >= 1")
        if np.any(P < 0) or not np.all(np.isfinite(P)):
            fail("transitions", "an array with negative or non-finite entries", "probabilities in [0, 1]")
        sums = P.sum(axis=2)
        bad = np.argwhere(np.abs(sums - 1.0) > _ROW_TOLERANCE)
        if len(bad):
            s, a = bad[0]
            fail(
                "transitions",
                f"row P[{s}, {a}, :] summing to {sums[s, a]:.6g}",
                "rows P[s, a, :] that sum to 1",
            )
        num_states, num_actions = P.shape[:2]
        R = check_finite("rewards", rewards).astype("float64")
        if R.shape == P.shape:
            R = np.sum(P * R, axis=2)
        if R.shape != (num_states, num_actions):
            fail("rewards", R.shape, f"shape ({num_states}, {num_actions}) or ({num_states}, {num_actions}, {num_states})")
        if not np.all(np.isfinite(R)):
            fail("rewards", "an array with non-finite entries", "finite rewards")
        self.gamma = check_number("gamma", gamma, 0.0, 1.0)
        self.transitions = P
        self.rewards = R
        self.num_states, self.num_actions = num_states, num_actions
        self.terminal = np.zeros(num_states, bool) if terminal is None else check_mask("terminal", terminal)
        if self.terminal.shape != (num_states,):
            fail("terminal", self.terminal.shape, f"a bool array of shape ({num_states},)")
        if initial is None:
            start = ~self.terminal if np.any(~self.terminal) else np.ones(num_states, bool)
            initial = start / start.sum()
        self.initial = check_finite("initial", initial).astype("float64")
        if self.initial.shape != (num_states,) or np.any(self.initial < 0) or abs(self.initial.sum() - 1) > _ROW_TOLERANCE:
            fail("initial", initial, f"a distribution over the {num_states} states")

    def __repr__(self):
        return f"MDP(num_states={self.num_states}, num_actions={self.num_actions}, gamma={self.gamma})"

    def policy_matrix(self, policy):
        """The policy as an (S, A) array of action probabilities (validated)."""
        return _policy_matrix(self, policy)


def _policy_matrix(mdp, policy):
    policy = np.asarray(policy)
    S, A = mdp.num_states, mdp.num_actions
    if policy.shape == (S,) and np.issubdtype(policy.dtype, np.integer):
        if np.any(policy < 0) or np.any(policy >= A):
            fail("policy", policy, f"actions in [0, {A})")
        return np.eye(A)[policy]
    if policy.shape == (S, A):
        policy = policy.astype("float64")
        if np.any(policy < 0) or np.any(np.abs(policy.sum(axis=1) - 1) > _ROW_TOLERANCE):
            fail("policy", "rows that are not distributions", "rows pi(. | s) that are non-negative and sum to 1")
        return policy
    fail("policy", policy.shape, f"an int array ({S},) of actions or an array ({S}, {A}) of probabilities")


def policy_evaluation(mdp, policy, method="exact", tol=1e-10, max_iterations=100_000):
    """V^pi, the expected discounted return from each state under `policy`.

    `method="exact"` solves the Bellman equation V = R_pi + gamma P_pi V as a linear
    system, V = (I - gamma P_pi)^-1 R_pi; "iterative" applies the Bellman backup
    until successive values differ by less than `tol`.

    Args:
        mdp: MDP.
        policy: int array (S,) (deterministic) or float array (S, A) (stochastic).
        method: "exact" (default) or "iterative".
        tol: float > 0, the iterative stopping threshold.
        max_iterations: int, the iterative method's cap.

    Returns:
        float64 array (S,).
    """
    pi = _policy_matrix(mdp, policy)
    if method not in ("exact", "iterative"):
        fail("method", method, "'exact' or 'iterative'")
    P_pi = np.einsum("sa,sat->st", pi, mdp.transitions)
    R_pi = np.sum(pi * mdp.rewards, axis=1)
    if method == "exact":
        if mdp.gamma == 1.0 and not np.any(mdp.terminal):
            fail("method", "'exact' with gamma 1 and no terminal states", "gamma < 1 (the system is singular)")
        # Terminal states are absorbing with value 0: drop their self-loops from the system.
        P_pi = P_pi * ~mdp.terminal[:, None]
        return np.linalg.solve(np.eye(mdp.num_states) - mdp.gamma * P_pi, R_pi * ~mdp.terminal)
    tol = check_number("tol", tol, 0.0, low_open=True)
    values = np.zeros(mdp.num_states)
    for _ in range(check_int("max_iterations", max_iterations, 1)):
        new = (R_pi + mdp.gamma * P_pi @ values) * ~mdp.terminal
        if np.max(np.abs(new - values)) < tol:
            return new
        values = new
    return values


def q_values(mdp, values):
    """Q(s, a) = R[s, a] + gamma sum_s' P[s, a, s'] V(s'): one step of lookahead on V."""
    values = check_finite("values", values).astype("float64")
    if values.shape != (mdp.num_states,):
        fail("values", values.shape, f"shape ({mdp.num_states},)")
    q = mdp.rewards + mdp.gamma * mdp.transitions @ values
    return q * ~mdp.terminal[:, None]


def greedy_policy(q):
    """The deterministic policy argmax_a Q(s, a) (the lowest action index on ties)."""
    return np.argmax(np.round(q, 10), axis=1)


def value_iteration(mdp, tol=1e-10, max_iterations=100_000):
    """V* and a greedy optimal policy pi*, by repeated Bellman optimality backups.

    Returns:
        (values float64 (S,), policy int (S,)).
    """
    tol = check_number("tol", tol, 0.0, low_open=True)
    values = np.zeros(mdp.num_states)
    for _ in range(check_int("max_iterations", max_iterations, 1)):
        new = q_values(mdp, values).max(axis=1)
        if np.max(np.abs(new - values)) < tol:
            values = new
            break
        values = new
    return values, greedy_policy(q_values(mdp, values))


def policy_iteration(mdp, policy=None, max_iterations=1_000):
    """V* and pi* by alternating exact policy evaluation and greedy improvement.

    Returns:
        (values float64 (S,), policy int (S,)).
    """
    policy = np.zeros(mdp.num_states, int) if policy is None else np.asarray(policy)
    values = policy_evaluation(mdp, policy)
    for _ in range(check_int("max_iterations", max_iterations, 1)):
        q = q_values(mdp, values)
        # Keep the current action unless another is strictly better, so ties cannot cycle.
        current = q[np.arange(mdp.num_states), policy]
        better = np.round(q.max(axis=1) - current, 10) > 0
        new_policy = np.where(better, greedy_policy(q), policy)
        if np.array_equal(new_policy, policy):
            break
        policy = new_policy
        values = policy_evaluation(mdp, policy)
    return values, greedy_policy(q_values(mdp, values))


def estimate_mdp(transitions, num_states, num_actions, gamma=0.99, prior=1.0, unseen_reward=0.0, initial=None):
    """A model of the world learnt from experience: P-hat and R-hat by counting.

    P-hat(s' | s, a) = (N(s, a, s') + prior / S) / (N(s, a) + prior), a Dirichlet
    prior spread evenly over the next states, so a pair never tried is uniform and
    one tried often is its observed frequencies; R-hat(s, a) is the mean observed
    reward (`unseen_reward` for a pair never tried). States that some transition
    entered with `terminated` set are absorbing in the model, with zero reward.

    Args:
        transitions: dict of arrays "states", "actions", "rewards" (n,) and either
            "next_states" (n,) or, for one trajectory as `rollout` returns it,
            "states" of length n + 1; optional "terminated" (n,) bools.
        num_states, num_actions: int >= 1, the sizes of the model.
        gamma: float in [0, 1], the model's discount factor (default 0.99).
        prior: float >= 0, the pseudo-count per (s, a) (default 1.0); 0 is the
            maximum-likelihood estimate, and then every pair must have been tried.
        unseen_reward: float, R-hat of a pair never tried (default 0.0; a large
            value makes a planner explore, as R-max does).
        initial: optional start distribution (default: where the first transition started).

    Returns:
        The estimated `MDP`; its `counts` attribute holds N(s, a) (S, A).

    Examples:
        >>> from kgen.rl import mdp
        >>> world = mdp.GridWorld(["S..", ".#.", "..G"])
        >>> S = world.mdp.num_states
        >>> path = mdp.rollout(world.mdp, np.full((S, 4), 0.25), steps=500, seed=0)   # a random walk to G
        >>> model = mdp.estimate_mdp(path, S, 4, gamma=0.95)
        >>> int(model.counts.sum()) == len(path["actions"])   # every transition counted once
        True
        >>> values, policy = mdp.value_iteration(model)      # plan in the learnt model

    Reference: Sutton & Barto, Reinforcement Learning: An Introduction (2nd ed.), sec. 8.1-8.2
    (model learning and planning); Brafman & Tennenholtz, "R-MAX", JMLR 2002.
    """
    if not isinstance(transitions, dict):
        fail("transitions", transitions, "a dict of arrays states, actions, rewards and next_states", KgenTypeError)
    missing = [key for key in ("states", "actions", "rewards") if key not in transitions]
    if missing:
        fail("transitions", sorted(transitions), f"a dict with keys states, actions, rewards (missing {missing})")
    S = check_int("num_states", num_states, 1)
    A = check_int("num_actions", num_actions, 1)
    prior = check_number("prior", prior, 0.0)
    unseen_reward = check_number("unseen_reward", unseen_reward)
    states = _indices("transitions['states']", transitions["states"], S)
    actions = _indices("transitions['actions']", transitions["actions"], A)
    rewards = check_finite("transitions['rewards']", transitions["rewards"]).astype("float64").ravel()
    n = len(actions)
    if "next_states" in transitions:
        next_states = _indices("transitions['next_states']", transitions["next_states"], S)
    elif len(states) == n + 1:
        states, next_states = states[:-1], states[1:]
    else:
        fail("transitions", f"{len(states)} states for {n} actions", "next_states, or n + 1 states of one trajectory")
    if not (len(states) == len(next_states) == len(rewards) == n):
        fail("transitions", f"{len(states)} states, {n} actions, {len(rewards)} rewards, {len(next_states)} next states",
             "arrays of one length")
    terminated = check_mask("transitions['terminated']", transitions.get("terminated", np.zeros(n, bool)))
    if terminated.shape != (n,):
        fail("transitions['terminated']", terminated.shape, f"a bool array of shape ({n},)")
    counts = np.zeros((S, A, S))
    np.add.at(counts, (states, actions, next_states), 1.0)
    reward_sums = np.zeros((S, A))
    np.add.at(reward_sums, (states, actions), rewards)
    visits = counts.sum(axis=2)
    if prior == 0 and np.any(visits == 0):
        s, a = np.argwhere(visits == 0)[0]
        fail("prior", 0, f"a positive pseudo-count: the pair (s={s}, a={a}) was never tried")
    P = (counts + prior / S) / (visits + prior)[..., None]
    R = np.where(visits > 0, reward_sums / np.maximum(visits, 1), unseen_reward)
    terminal = np.zeros(S, bool)
    terminal[next_states[terminated]] = True
    P[terminal] = np.eye(S)[terminal][:, None, :]
    R[terminal] = 0.0
    if initial is None and n:
        initial = np.eye(S)[states[0]] if not terminal[states[0]] else None
    model = MDP(P, R, gamma=gamma, terminal=terminal, initial=initial)
    model.counts = visits
    return model


def _indices(name, values, size):
    array = check_finite(name, values).ravel()
    if not np.all(array == np.round(array)) or np.any(array < 0) or np.any(array >= size):
        fail(name, array, f"integer indices in [0, {size})")
    return array.astype(int)


def rollout(mdp, policy, steps, seed=None, start=None):
    """Sample one trajectory s_0, a_0, r_0, s_1, ... of at most `steps` steps.

    Stops early on reaching a terminal state.

    Returns:
        dict of numpy arrays "states" (T + 1,), "actions" (T,), "rewards" (T,).
    """
    pi = _policy_matrix(mdp, policy)
    steps = check_int("steps", steps, 1)
    rng = np.random.default_rng(seed)
    state = rng.choice(mdp.num_states, p=mdp.initial) if start is None else check_int("start", start, 0, mdp.num_states - 1)
    states, actions, rewards = [state], [], []
    for _ in range(steps):
        if mdp.terminal[state]:
            break
        action = rng.choice(mdp.num_actions, p=pi[state])
        rewards.append(mdp.rewards[state, action])
        actions.append(action)
        state = rng.choice(mdp.num_states, p=mdp.transitions[state, action])
        states.append(state)
    return {"states": np.array(states), "actions": np.array(actions, int), "rewards": np.array(rewards)}


class GridWorld:
    """A grid MDP drawn as text: "." floor, "#" wall, "S" start, "G" goal (+1, terminal),
    "X" pit (-1, terminal).

    Actions 0..3 move up, right, down, left. With probability `slip` the move goes
    to one of the two perpendicular directions instead (half each). Bumping into a
    wall or the edge stays put. Every step costs `step_reward`.

    Args:
        layout: list of equal-length strings.
        slip: float in [0, 1), the slip probability (default 0).
        step_reward: float, the reward of each non-terminal step (default -0.04).
        goal_reward: float (default 1.0); pit_reward: float (default -1.0).
        gamma: float in [0, 1] (default 0.99).

    Attributes:
        mdp: the MDP; cells: list of (row, col) per state; shape: (rows, cols).

    Examples:
        >>> world = kgen.rl.GridWorld(["S..", ".#.", "..G"], slip=0.1)
        >>> world.mdp, world.shape
        (MDP(num_states=8, num_actions=4, gamma=0.99), (3, 3))
        >>> values, policy = kgen.rl.mdp.value_iteration(world.mdp)
        >>> print(world.render_policy(policy))
        >>v
        v#v
        >>G
        >>> world.to_grid(values).round(2)        # V* laid out on the grid (the wall is nan)
        array([[0.79, 0.84, 0.9 ],
               [0.84,  nan, 0.95],
               [0.9 , 0.95, 0.  ]])
    """

    ACTIONS = ("up", "right", "down", "left")
    MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))

    def __init__(self, layout, slip=0.0, step_reward=-0.04, goal_reward=1.0, pit_reward=-1.0, gamma=0.99):
        if not isinstance(layout, (list, tuple)) or not layout or not all(isinstance(r, str) for r in layout):
            fail("layout", layout, "a non-empty list of strings", KgenTypeError)
        if len({len(r) for r in layout}) != 1 or not layout[0]:
            fail("layout", layout, "rows of equal, non-zero length")
        unknown = set("".join(layout)) - set(".#SGX")
        if unknown:
            fail("layout", "".join(sorted(unknown)), "only the characters . # S G X")
        self.slip = check_number("slip", slip, 0.0, 1.0, high_open=True)
        self.layout = list(layout)
        self.shape = (len(layout), len(layout[0]))
        self.cells = [(r, c) for r, row in enumerate(layout) for c, ch in enumerate(row) if ch != "#"]
        index = {cell: i for i, cell in enumerate(self.cells)}
        S = len(self.cells)
        P = np.zeros((S, 4, S))
        R = np.zeros((S, 4))
        terminal = np.array([layout[r][c] in "GX" for r, c in self.cells])
        for s, (r, c) in enumerate(self.cells):
            if terminal[s]:
                P[s, :, s] = 1.0
                continue
            for a in range(4):
                for direction, p in ((a, 1 - self.slip), ((a + 1) % 4, self.slip / 2), ((a + 3) % 4, self.slip / 2)):
                    if p == 0:
                        continue
                    dr, dc = self.MOVES[direction]
                    target = index.get((r + dr, c + dc), s)
                    P[s, a, target] += p
                    kind = layout[self.cells[target][0]][self.cells[target][1]]
                    reward = goal_reward if kind == "G" else pit_reward if kind == "X" else 0.0
                    R[s, a] += p * (reward + step_reward)
        starts = np.array([layout[r][c] == "S" for r, c in self.cells], float)
        initial = starts / starts.sum() if starts.any() else None
        self.mdp = MDP(P, R, gamma=gamma, terminal=terminal, initial=initial)

    def state(self, row, col):
        """The state index of cell (row, col)."""
        try:
            return self.cells.index((row, col))
        except ValueError:
            fail("(row, col)", (row, col), "a non-wall cell of the grid")

    def to_grid(self, per_state, fill=np.nan):
        """Lay a per-state array out on the grid (walls get `fill`)."""
        grid = np.full(self.shape, fill, dtype="float64")
        for s, (r, c) in enumerate(self.cells):
            grid[r, c] = per_state[s]
        return grid

    def render_policy(self, policy):
        """The deterministic policy as text arrows (^ > v <), walls '#', terminals as drawn."""
        arrows = "^>v<"
        rows = [list(r) for r in self.layout]
        for s, (r, c) in enumerate(self.cells):
            if not self.mdp.terminal[s]:
                rows[r][c] = arrows[int(policy[s])]
        return "\n".join("".join(r) for r in rows)
