"""kgen.rl.planners.Planner: CEM and random shooting find the optimum of known rewards with an exact
model, rewards after a predicted termination are masked, a plan is one traced function."""

import numpy as np
import pytest
import tensorflow as tf

from kgen.core.errors import KgenError
from kgen.rl.planners import Planner

PLAIN = dict(jit_compile=False)
"""For the tests of the search's logic: XLA's compile costs seconds per planner; the optimum tests
keep the compiled default."""


def quadratic_discrete(states, actions, members, seed):
    """The state is the last action; reward -(a - 3)^2: the best action is 3 at every step."""
    actions = tf.cast(actions, tf.float32)
    return tf.stack([actions], axis=1), -((actions - 3.0) ** 2), tf.zeros_like(actions, tf.bool)


def quadratic_box(states, actions, members, seed):
    """s' = s + a; reward -(s' - 0.7)^2 - 0.1 a^2 per dimension: from s = 0 the first best move is about 0.64."""
    following = states + actions
    return following, -tf.reduce_sum((following - 0.7) ** 2 + 0.1 * actions**2, axis=1), tf.zeros(
        tf.shape(states)[0], tf.bool)


# random shooting over 2 steps: 300 draws of the 25 sequences all but surely include the best one
@pytest.mark.parametrize("method, horizon", [("cem", 4), ("random", 2)])
def test_the_planners_find_the_best_discrete_action_of_a_known_quadratic_reward(method, horizon):
    planner = Planner(quadratic_discrete, 1, num_actions=5, method=method, horizon=horizon, population=300, elites=30,
                      ensemble_size=2)
    assert planner.plan(np.zeros(1), seed=0) == 3


def test_cem_finds_the_optimum_of_a_known_quadratic_reward_for_box_actions():
    planner = Planner(quadratic_box, 1, low=[-1.0], high=[1.0], horizon=1, population=400, elites=40, iterations=6,
                      ensemble_size=1)
    action = planner.plan(np.zeros(1), seed=0)
    assert abs(float(action[0]) - 0.7 / 1.1) < 0.02  # argmin of (a - 0.7)^2 + 0.1 a^2
    assert -1.0 <= action[0] <= 1.0


def test_rewards_after_a_predicted_termination_are_masked():
    def model(states, actions, members, seed):
        # action 0: reward 1 every step but the episode ends at once; action 1: 0.6 a step and it goes on
        rewards = tf.where(actions == 0, 1.0, 0.6)
        return states, rewards, actions == 0

    planner = Planner(model, 1, num_actions=2, horizon=5, population=64, elites=8, ensemble_size=1, **PLAIN)
    assert planner.plan(np.zeros(1), seed=0) == 1  # unmasked, action 0 would score 5 > 3


def test_a_terminal_value_lets_the_planner_see_past_its_horizon():
    def model(states, actions, members, seed):
        # action 0 earns 1 a step but drifts the state up; action 1 earns 0.5 and stays
        moved = states + tf.cast(actions == 0, tf.float32)[:, None]
        return moved, tf.where(actions == 0, 1.0, 0.5), tf.zeros_like(actions, tf.bool)

    def value(states):  # drifting is ruinous beyond the horizon
        return -10.0 * states[:, 0]

    settings = dict(num_actions=2, horizon=3, population=64, elites=8, ensemble_size=1, **PLAIN)
    assert Planner(model, 1, **settings).plan(np.zeros(1), seed=0) == 0           # 3 > 1.5 within the horizon
    assert Planner(model, 1, terminal_value=value, discount=0.9, **settings).plan(np.zeros(1), seed=0) == 1


def test_a_disagreement_penalty_prefers_the_plan_the_members_agree_on():
    def model(states, actions, members, seed):
        # action 0 earns 1.0 on every member; action 1 earns 2.0 on member 0 and 0.4 on member 1 (mean 1.2)
        rows = tf.shape(states)[0]
        member = tf.cast(tf.range(rows) >= rows // 2, tf.float32)  # grouped: the second half is member 1
        risky = 2.0 - 1.6 * member
        return states, tf.where(actions == 0, 1.0, risky), tf.zeros_like(actions, tf.bool)

    settings = dict(num_actions=2, horizon=2, population=64, elites=8, ensemble_size=2, grouped=True, **PLAIN)
    assert Planner(model, 1, **settings).plan(np.zeros(1), seed=0) == 1  # mean 2.4 > 2.0 over the horizon
    # spread 0.8 a step: 2.4 - 1.0 * 1.6 < 2.0
    assert Planner(model, 1, disagreement_penalty=1.0, **settings).plan(np.zeros(1), seed=0) == 0


def test_a_batch_of_observations_is_planned_in_one_search():
    planner = Planner(quadratic_discrete, 1, num_actions=5, horizon=4, population=300, elites=30, ensemble_size=2,
                      **PLAIN)
    assert planner.plan(np.zeros((3, 1)), seed=0).tolist() == [3, 3, 3]


def test_a_plan_is_one_traced_function_over_steps():
    planner = Planner(quadratic_discrete, 1, num_actions=5, horizon=3, population=50, elites=5, ensemble_size=2,
                      **PLAIN)
    for t in range(4):
        planner.plan(np.full(1, float(t)), seed=t)
    assert planner.search.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("bad", [dict(horizon=0), dict(population=0), dict(elites=500), dict(method="mppi"),
                                 dict(num_actions=None), dict(step="model"), dict(discount=0.0),
                                 dict(terminal_value="V"), dict(disagreement_penalty=-1.0)])
def test_bad_settings_are_kgen_errors(bad):
    arguments = {"step": quadratic_discrete, "observation_size": 1, "num_actions": 5, **bad}
    with pytest.raises(KgenError):
        Planner(**arguments)


def test_an_observation_of_the_wrong_shape_is_a_kgen_error():
    with pytest.raises(KgenError, match="observation"):
        Planner(quadratic_discrete, 1, num_actions=5).plan(np.zeros(3))
