"""kgen.rl.ModelBasedAgent: fit collects, refits its ensemble and plans, logging the model's losses
and the planning time; the config round trip; bad settings."""

import keras
import numpy as np
import pytest

from kgen.core.errors import KgenError

gym = pytest.importorskip("gymnasium")
from kgen.rl import ModelBasedAgent  # noqa: E402

SMALL = dict(hidden_units=(16,), ensemble_size=2, population=20, elites=4, iterations=2, horizon=4,
             learning_starts=100, train_freq=100, model_epochs=1)


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


def test_the_config_round_trip_keeps_the_ensemble_and_the_planner():
    agent = ModelBasedAgent("CartPole-v1", seed=0, **SMALL)
    copy = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(agent))
    copy.set_weights(agent.get_weights())
    assert (copy.planner.horizon, copy.planner.population, copy.ensemble.ensemble_size) == (4, 20, 2)
    np.testing.assert_allclose(np.asarray(copy.preset_probe()), np.asarray(agent.preset_probe()), rtol=1e-6)


@pytest.mark.parametrize("bad", [dict(horizon=0), dict(population=0), dict(planner="mppi"), dict(train_freq=0)])
def test_bad_settings_are_kgen_errors(bad):
    with pytest.raises(KgenError):
        ModelBasedAgent("CartPole-v1", **{**SMALL, **bad})


def test_fit_needs_env_steps_and_predict_action_the_observation_shape():
    agent = ModelBasedAgent("CartPole-v1", seed=0, **SMALL)
    agent.compile()
    with pytest.raises(KgenError):
        agent.fit(env_steps=0)
    with pytest.raises(KgenError, match="observations"):
        agent.predict_action(np.zeros(3))
