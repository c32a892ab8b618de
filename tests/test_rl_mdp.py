import numpy as np
import pytest

from kgen.errors import KgenError, KgenValueError
from kgen.rl import mdp
from kgen.rl.mdp import MDP, GridWorld


def two_state_chain(gamma=0.9):
    # action 0 stays, action 1 moves to the other state (with a 0.2 chance of staying)
    P = np.zeros((2, 2, 2))
    P[0, 0] = [1.0, 0.0]
    P[0, 1] = [0.2, 0.8]
    P[1, 0] = [0.0, 1.0]
    P[1, 1] = [0.8, 0.2]
    R = np.array([[0.0, 1.0], [2.0, -1.0]])
    return MDP(P, R, gamma=gamma)


def random_mdp(seed, states=6, actions=3, gamma=0.9):
    rng = np.random.default_rng(seed)
    P = rng.random((states, actions, states)) ** 3
    P /= P.sum(axis=2, keepdims=True)
    return MDP(P, rng.normal(size=(states, actions)), gamma=gamma)


def test_policy_evaluation_matches_the_closed_form_on_a_two_state_chain():
    chain = two_state_chain()
    policy = np.array([[0.3, 0.7], [0.6, 0.4]])
    P_pi = np.einsum("sa,sat->st", policy, chain.transitions)
    R_pi = (policy * chain.rewards).sum(axis=1)
    expected = np.linalg.inv(np.eye(2) - 0.9 * P_pi) @ R_pi
    np.testing.assert_allclose(mdp.policy_evaluation(chain, policy), expected, rtol=1e-12)
    np.testing.assert_allclose(mdp.policy_evaluation(chain, policy, method="iterative", tol=1e-12), expected, rtol=1e-9)


def test_deterministic_policy_by_hand():
    chain = two_state_chain(gamma=0.5)
    # "stay" everywhere: V(0) = 0, V(1) = 2 / (1 - 0.5) = 4
    np.testing.assert_allclose(mdp.policy_evaluation(chain, np.array([0, 0])), [0.0, 4.0])
    q = mdp.q_values(chain, np.array([0.0, 4.0]))
    # Q(0, move) = 1 + 0.5 (0.2 * 0 + 0.8 * 4) = 2.6
    np.testing.assert_allclose(q, [[0.0, 2.6], [4.0, -1.0 + 0.5 * 0.2 * 4.0]])


@pytest.mark.parametrize("seed", range(5))
def test_value_iteration_equals_policy_iteration_on_a_random_mdp(seed):
    world = random_mdp(seed)
    v_vi, pi_vi = mdp.value_iteration(world, tol=1e-12)
    v_pi, pi_pi = mdp.policy_iteration(world)
    np.testing.assert_allclose(v_vi, v_pi, atol=1e-8)
    np.testing.assert_array_equal(pi_vi, pi_pi)
    # V* is the value of pi*, and no action improves on it
    np.testing.assert_allclose(mdp.policy_evaluation(world, pi_vi), v_vi, atol=1e-8)
    assert np.all(mdp.q_values(world, v_vi).max(axis=1) <= v_vi + 1e-8)


def test_gridworld_optimal_policy_takes_the_shortest_path():
    world = GridWorld(["S...", ".##.", "...G"], step_reward=-0.1, gamma=1.0)
    values, policy = mdp.value_iteration(world.mdp)
    path = mdp.rollout(world.mdp, policy, steps=50, seed=0)
    assert path["states"][-1] == world.state(2, 3)
    assert len(path["actions"]) == 5  # Manhattan distance from (0, 0) to (2, 3)
    # every step costs 0.1 and the goal pays 1, so V*(start) = 1 - 5 * 0.1
    assert values[world.state(0, 0)] == pytest.approx(0.5)
    # along the top row and down the right side; ties go to the first action (up, right, down, left)
    assert world.render_policy(policy) == ">>>v\nv##v\n>>>G"


def test_slippery_gridworld_steers_away_from_the_pit():
    world = GridWorld(["...G", ".#.X", "S..."], slip=0.2, gamma=0.95)
    values, policy = mdp.value_iteration(world.mdp)
    # beside the pit, moving up (away from it) beats moving right along its edge
    assert policy[world.state(1, 2)] == 0
    assert values[world.state(0, 2)] > values[world.state(2, 2)]


def test_discounted_return_and_returns_to_go_by_hand():
    assert mdp.discounted_return([1.0, 2.0, 3.0], 0.5) == pytest.approx(1 + 1 + 0.75)
    np.testing.assert_allclose(mdp.returns_to_go([1.0, 2.0, 3.0], 0.5), [2.75, 3.5, 3.0])
    assert mdp.discounted_return([], 0.9) == 0.0


def test_rollout_is_reproducible_and_stochastic_policies_are_accepted():
    world = random_mdp(0)
    policy = np.full((6, 3), 1 / 3)
    a = mdp.rollout(world, policy, steps=20, seed=3)
    b = mdp.rollout(world, policy, steps=20, seed=3)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert len(a["states"]) == 21 and len(a["rewards"]) == 20


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"transitions": np.full((2, 1, 2), 0.4), "rewards": np.zeros((2, 1))}, "transitions"),
        ({"transitions": np.full((2, 1, 2), 0.5), "rewards": np.zeros((3, 1))}, "rewards"),
        ({"transitions": np.full((2, 1, 2), 0.5), "rewards": np.zeros((2, 1)), "gamma": 1.5}, "gamma"),
        ({"transitions": np.full((2, 1, 2), 0.5), "rewards": np.zeros((2, 1)), "gamma": -0.1}, "gamma"),
        ({"transitions": np.ones((2, 2)), "rewards": np.zeros((2, 1))}, "transitions"),
    ],
)
def test_bad_mdps_name_the_argument(kwargs, name):
    with pytest.raises(KgenValueError, match=name):
        MDP(**kwargs)


def test_bad_policies_and_layouts_are_rejected():
    chain = two_state_chain()
    with pytest.raises(KgenValueError, match="policy"):
        mdp.policy_evaluation(chain, np.array([0, 2]))
    with pytest.raises(KgenValueError, match="policy"):
        mdp.policy_evaluation(chain, np.array([[0.5, 0.6], [1.0, 0.0]]))
    with pytest.raises(KgenValueError, match="layout"):
        GridWorld(["S.", "..."])
    with pytest.raises(KgenValueError, match="layout"):
        GridWorld(["S?G"])
    with pytest.raises(KgenValueError, match="gamma"):
        mdp.discounted_return([1.0], 2.0)


def test_tabular_env_follows_the_mdp():
    from kgen.rl import TabularEnv

    world = GridWorld(["S.G"], step_reward=0.0)
    env = TabularEnv(world, max_episode_steps=10, one_hot=True)
    obs, _ = env.reset(seed=0)
    np.testing.assert_array_equal(obs, [1, 0, 0])
    obs, reward, terminated, truncated, info = env.step(1)
    assert info["state"] == 1 and reward == 0.0 and not terminated
    obs, reward, terminated, truncated, info = env.step(1)
    assert terminated and reward == 1.0 and not truncated
    env = TabularEnv(world, max_episode_steps=2)
    env.reset(seed=0)
    env.step(3)
    assert env.step(3)[3]  # truncated after 2 steps against the wall


def test_estimate_mdp_recovers_a_known_mdps_p_and_r_within_sampling_error():
    rng = np.random.default_rng(0)
    S, A, n = 4, 2, 40_000
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.normal(size=(S, A))
    states, actions = rng.integers(S, size=n), rng.integers(A, size=n)
    next_states = np.array([rng.choice(S, p=P[s, a]) for s, a in zip(states, actions)])
    rewards = R[states, actions] + rng.normal(scale=0.5, size=n)
    model = mdp.estimate_mdp({"states": states, "actions": actions, "rewards": rewards, "next_states": next_states},
                             S, A, prior=0.0)
    visits = model.counts[..., None]
    assert np.all(np.abs(model.transitions - P) < 4 * np.sqrt(P * (1 - P) / visits) + 1e-9)
    assert np.all(np.abs(model.rewards - R) < 4 * 0.5 / np.sqrt(model.counts))


def test_estimate_mdp_makes_unseen_pairs_uniform_and_terminated_states_absorbing():
    path = {"states": [0, 1, 2], "actions": [1, 1], "rewards": [0.0, 1.0], "terminated": [False, True]}
    model = mdp.estimate_mdp(path, 3, 2, prior=1.0, unseen_reward=5.0)
    np.testing.assert_allclose(model.transitions[0, 0], np.full(3, 1 / 3))  # never tried
    np.testing.assert_allclose(model.transitions[0, 1], [1 / 6, 2 / 3, 1 / 6])  # (count + 1/3) / (1 + 1)
    assert model.rewards[0, 0] == 5.0 and model.rewards[1, 1] == 1.0
    assert model.terminal.tolist() == [False, False, True] and model.rewards[2].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(model.transitions[2, :, 2], 1.0)
    assert model.initial.tolist() == [1.0, 0.0, 0.0]


def test_planning_in_a_model_learnt_from_random_experience_finds_the_optimal_policy():
    world = mdp.GridWorld(["...G", ".#.X", "S..."], slip=0.1, gamma=0.95)
    _, optimal = mdp.value_iteration(world.mdp)
    S = world.mdp.num_states
    random_policy = np.full((S, 4), 0.25)
    paths = [mdp.rollout(world.mdp, random_policy, steps=100, seed=i, start=i % S) for i in range(300)]
    experience = {
        "states": np.concatenate([p["states"][:-1] for p in paths]),
        "actions": np.concatenate([p["actions"] for p in paths]),
        "rewards": np.concatenate([p["rewards"] for p in paths]),
        "next_states": np.concatenate([p["states"][1:] for p in paths]),
    }
    experience["terminated"] = world.mdp.terminal[experience["next_states"]]
    model = mdp.estimate_mdp(experience, S, 4, gamma=0.95)
    _, planned = mdp.value_iteration(model)
    live = ~world.mdp.terminal
    assert np.array_equal(planned[live], optimal[live])


@pytest.mark.parametrize("bad", [
    dict(transitions=[1, 2]),
    dict(transitions={"states": [0], "actions": [0]}),
    dict(transitions={"states": [0, 5], "actions": [0], "rewards": [1.0]}),
    dict(transitions={"states": [0, 1], "actions": [0.5], "rewards": [1.0]}),
    dict(transitions={"states": [0, 1], "actions": [0], "rewards": [np.nan]}),
    dict(num_states=0),
    dict(prior=-1.0),
    dict(prior=0.0),  # pairs never tried
])
def test_estimate_mdp_rejects_bad_input_naming_the_argument(bad):
    arguments = dict(transitions={"states": [0, 1], "actions": [0], "rewards": [1.0]}, num_states=2, num_actions=2)
    arguments.update(bad)
    with pytest.raises(KgenError):
        mdp.estimate_mdp(**arguments)
