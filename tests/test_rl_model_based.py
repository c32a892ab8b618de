"""kgen.rl.ModelBasedAgent: fit collects, refits its ensemble and plans, logging the model's losses
and the planning time; the config round trip; bad settings."""

import keras
import numpy as np
import pytest

from kgen.core.errors import KgenError

gym = pytest.importorskip("gymnasium")
from kgen.rl import ModelBasedAgent  # noqa: E402

SMALL = dict(hidden_units=(16,), ensemble_size=2, population=20, elites=4, iterations=2, horizon=4,
             learning_starts=100, train_freq=100, model_steps=2, value_steps=20)


@pytest.mark.parametrize("env", ["CartPole-v1", "Pendulum-v1"])
def test_fit_runs_a_few_hundred_steps_and_logs_the_model_and_the_planning(env):
    agent = ModelBasedAgent(env, seed=0, **SMALL)
    agent.compile()
    history = agent.fit(env_steps=300, log_interval=100, verbose=0)
    logs = history.history
    assert {"episode_return", "model_loss", "model_val_loss", "plan_ms", "env_steps", "steps_per_second"} <= set(logs)
    assert logs["env_steps"][-1] == 300 and np.isfinite(logs["model_loss"][-1]) and logs["plan_ms"][-1] > 0
    action = agent.predict_action(agent.observation_space.sample())
    assert agent.action_space.contains(np.asarray(action, agent.action_space.dtype).reshape(agent.action_space.shape))


def test_evaluation_plays_the_episodes_in_lockstep_and_repeats_itself():
    from kgen.rl.evaluation import run_episodes

    agent = ModelBasedAgent("CartPole-v1", seed=0, **SMALL)
    first = run_episodes(agent, "CartPole-v1", episodes=3, seed=5, max_steps=8)
    assert len(first) == 3 and all(1 <= value <= 8 for value in first)
    assert run_episodes(agent, "CartPole-v1", episodes=3, seed=5, max_steps=8) == first
    assert agent.planner.search.experimental_get_tracing_count() == 1  # one batch size: one trace


@pytest.mark.slow  # up to 200 model epochs
def test_model_patience_stops_a_model_fit_once_the_held_out_loss_stalls():
    agent = ModelBasedAgent("CartPole-v1", seed=0, **{**SMALL, "model_steps": 400, "model_patience": 1})
    agent.compile()
    agent.fit(env_steps=300, log_interval=300, verbose=0)
    val_loss = agent.fit_model().history["val_loss"]  # 270 training rows, 2 batches: at most 200 epochs
    assert 2 <= len(val_loss) < 200 and val_loss[-1] >= min(val_loss[:-1])
    assert agent._model_logs["model_val_loss"] == min(val_loss)  # the restored best epoch's, not the last
    with pytest.raises(KgenError, match="model_patience"):
        ModelBasedAgent("CartPole-v1", **{**SMALL, "model_patience": 0})


def _chain(terminated_last):
    """Transitions 0 -> 1 -> 2 -> 3 -> 4 of one episode, reward 1 each, stored in shuffled order."""
    states = np.arange(5, dtype="float32")[:, None].repeat(4, axis=1)
    order = np.array([2, 0, 3, 1])
    return {"observations": states[:4][order], "next_observations": states[1:][order],
            "rewards": np.ones(4, "float32"), "terminated": (np.arange(4) == 3)[order] & terminated_last}, order


@pytest.mark.parametrize("terminated_last", [False, True])
def test_the_value_targets_are_lambda_returns_along_the_stored_trajectory(terminated_last):
    agent = ModelBasedAgent("CartPole-v1", seed=0, gamma=0.5, td_lambda=1.0, **SMALL)
    transitions, order = _chain(terminated_last)
    next_values = np.full(4, 8.0)  # V(s') of every step; only the last, truncated, step bootstraps from it
    last = 1.0 if terminated_last else 1.0 + 0.5 * 8.0
    expected = [1.0 + 0.5 * (1.0 + 0.5 * (1.0 + 0.5 * last)), 1.0 + 0.5 * (1.0 + 0.5 * last), 1.0 + 0.5 * last, last]
    np.testing.assert_allclose(agent.lambda_returns(transitions, next_values), np.array(expected)[order])
    one_step = ModelBasedAgent("CartPole-v1", seed=0, gamma=0.5, td_lambda=0.0, **SMALL)
    np.testing.assert_allclose(one_step.lambda_returns(transitions, next_values),
                               1.0 + 0.5 * (1.0 - transitions["terminated"]) * next_values)
    halfway = ModelBasedAgent("CartPole-v1", seed=0, gamma=0.5, td_lambda=0.5, **SMALL)
    returns = halfway.lambda_returns(transitions, next_values)
    first, second = returns[order == 0][0], returns[order == 1][0]
    assert first == pytest.approx(1.0 + 0.5 * (0.5 * 8.0 + 0.5 * second))


def test_a_pessimistic_value_is_the_members_mean_less_their_spread_and_each_member_fits_its_own_targets():
    agent = ModelBasedAgent("CartPole-v1", seed=0, value_members=3, value_pessimism=2.0, **SMALL)
    agent.compile()
    states = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    members = agent.member_values(states).numpy()
    assert members.shape == (3, 6) and members.std(axis=0).min() > 0  # independently initialised
    np.testing.assert_allclose(agent.value(states), members.mean(axis=0) - 2.0 * members.std(axis=0), rtol=1e-5)
    transitions, _ = _chain(terminated_last=True)
    next_values = np.stack([np.full(4, v) for v in (0.0, 4.0, 8.0)])
    returns = agent.lambda_returns(transitions, next_values)  # one row of one-step targets per member
    np.testing.assert_allclose(returns, 1.0 + agent.gamma * (1.0 - transitions["terminated"]) * next_values)
    agent.fit_value(transitions)  # each member moves towards its own targets
    assert agent.value_optimizer.iterations.numpy() == SMALL["value_steps"]


def test_the_config_round_trip_keeps_the_ensemble_and_the_planner():
    agent = ModelBasedAgent("CartPole-v1", seed=0, td_lambda=0.5, value_members=2, value_pessimism=0.5, **SMALL)
    copy = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(agent))
    copy.set_weights(agent.get_weights())
    assert (copy.planner.horizon, copy.planner.population, copy.ensemble.ensemble_size) == (4, 20, 2)
    assert (copy.td_lambda, copy.value_members, copy.value_pessimism) == (0.5, 2, 0.5)
    states = np.zeros((3, 4), "float32")
    np.testing.assert_allclose(copy.value(states), agent.value(states), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(copy.preset_probe()), np.asarray(agent.preset_probe()), rtol=1e-6)


def test_a_known_termination_replaces_the_head_and_survives_the_config_round_trip():
    agent = ModelBasedAgent("CartPole-v1", seed=0, termination="known", **SMALL)
    copy = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(agent))
    states = np.array([[0.0, 0, 0, 0], [2.5, 0, 0, 0], [0, 0, -0.25, 0]], "float32")
    actions = np.zeros(3, "int32")
    for model in (agent, copy):
        assert model.termination == "known"
        rule = model.ensemble.termination_fn
        np.testing.assert_array_equal(rule(states, actions, states), [False, True, True])  # off the track; fallen
        following, _, terminated = model.ensemble.predict(states * 10, actions, seed=0)
        np.testing.assert_array_equal(terminated, rule(states, actions, following))


@pytest.mark.parametrize("bad, named", [
    (dict(horizon=0), "horizon"), (dict(population=0), "population"), (dict(planner="mppi"), "planner"),
    (dict(train_freq=0), "train_freq"), (dict(termination="oracle"), "termination"),
    (dict(td_lambda=1.5), "td_lambda"),
    (dict(value_members=0), "value_members"), (dict(value_pessimism=-1.0), "value_pessimism"),
    (dict(value_pessimism=1.0), "value_pessimism"),
])
def test_bad_settings_are_kgen_errors(bad, named):
    with pytest.raises(KgenError, match=named):
        ModelBasedAgent("CartPole-v1", **{**SMALL, **bad})


def test_a_known_termination_for_an_environment_without_one_names_those_there_are():
    with pytest.raises(KgenError, match="termination.*CartPole-v1, Pendulum-v1"):
        ModelBasedAgent("MountainCarContinuous-v0", termination="known", **SMALL)


def test_fit_needs_env_steps_and_predict_action_the_observation_shape():
    agent = ModelBasedAgent("CartPole-v1", seed=0, **SMALL)
    agent.compile()
    with pytest.raises(KgenError):
        agent.fit(env_steps=0)
    with pytest.raises(KgenError, match="observations"):
        agent.predict_action(np.zeros(3))


def test_an_interrupted_fit_resumes_from_its_checkpoint_to_the_uninterrupted_weights(tmp_path):
    from interrupts import Interrupt, InterruptAt

    from kgen.callbacks import Checkpoint

    def agent():  # fitting every 250 steps, not 100: three model fits per run
        built = ModelBasedAgent("CartPole-v1", seed=0, **{**SMALL, "learning_starts": 250, "train_freq": 250})
        built.compile()
        return built

    reference = agent()
    reference.fit(env_steps=1000, log_interval=500, verbose=0)

    first = agent()
    with pytest.raises(Interrupt):  # 250-step chunks: checkpointed at 500, stopped after 750
        first.fit(env_steps=1000, log_interval=500, verbose=0,
                  callbacks=[Checkpoint(tmp_path / "ckpt", every_n_steps=500), InterruptAt(3)])
    checkpoint = Checkpoint(tmp_path / "ckpt", every_n_steps=500)
    resumed = agent()
    checkpoint.restore(resumed)
    assert resumed.env_steps == 500 and len(resumed.buffer) == 500
    resumed.fit(env_steps=1000 - resumed.env_steps, log_interval=500, verbose=0, callbacks=[checkpoint])
    assert resumed.env_steps == 1000
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(resumed.buffer.observations[:1000], reference.buffer.observations[:1000])


def test_the_command_line_picks_the_recipe_by_env_and_reads_the_issues_flags():
    from kgen import cli, recipes

    def parsed(*argv):
        args = cli.build_parser().parse_args(["train", "mbrl", *argv, "--out", "x"])
        cls = recipes.recipe_class(args.family, getattr(args, "env", None))
        return cls(**cli.recipe_overrides(args, cls))

    assert parsed("--env", "CartPole-v1", "--steps", "5000", "--seed", "0") == recipes.ModelBasedCartPole()
    assert parsed("--env", "Pendulum-v1", "--steps", "2000").env_steps == 2000
    assert parsed("--env", "Pendulum-v1").value_units is None
    assert parsed("--value-units", "none") == recipes.ModelBasedCartPole(value_units=None)


@pytest.mark.slow  # three planners compiled
def test_train_play_and_eval_from_the_command_line(tmp_path, capsys):
    from kgen import cli

    tiny = ["--steps", "200", "--hidden-units", "16", "--ensemble-size", "2", "--population", "20", "--elites", "4",
            "--iterations", "2", "--horizon", "4", "--learning-starts", "100", "--train-freq", "100",
            "--model-steps", "2", "--value-steps", "20", "--eval-episodes", "2"]
    out = tmp_path / "agent"
    assert cli.main(["train", "mbrl", "--env", "CartPole-v1", *tiny, "--out", str(out)]) == 0
    assert "eval_mean_return=" in capsys.readouterr().out
    card = (out / "README.md").read_text()
    assert "20 candidates x 4 steps x 2 rounds x 2 members), the value network added after the horizon" in card
    assert cli.main(["play", str(out), "--episodes", "1"]) == 0
    assert "episode 1: return" in capsys.readouterr().out
    assert cli.main(["eval", str(out), "--eval-episodes", "2"]) == 0
    assert "eval_episodes=2" in capsys.readouterr().out
