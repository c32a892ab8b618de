import os

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import estimators, losses
from kgen.callbacks import EvaluatePolicy
from kgen.errors import KgenTypeError, KgenValueError
from kgen.rl import DQNAgent, ReinforceAgent, evaluate_policy

gym = pytest.importorskip("gymnasium")

HISTORY_KEYS = {"episode_return", "episode_length", "episodes", "env_steps", "steps_per_second", "loss"}


def tiny_dqn(env="CartPole-v1", **kwargs):
    defaults = dict(hidden_units=(16,), learning_starts=50, train_freq=10, gradient_steps=2, batch_size=8,
                    buffer_size=500, exploration_steps=100, seed=0)
    defaults.update(kwargs)
    return DQNAgent(env, **defaults)


def tiny_reinforce(env="CartPole-v1", **kwargs):
    defaults = dict(hidden_units=(16,), batch_steps=100, seed=0)
    defaults.update(kwargs)
    return ReinforceAgent(env, **defaults)


def test_td_targets_terminal_vs_non_terminal_and_double_dqn_argmax():
    rewards = tf.constant([1.0, 1.0, 0.5])
    terminated = tf.constant([0.0, 1.0, 0.0])
    next_q_target = tf.constant([[1.0, 3.0], [5.0, 7.0], [4.0, 2.0]])
    next_q_online = tf.constant([[9.0, 0.0], [0.0, 9.0], [0.0, 9.0]])
    plain = losses.td_targets(rewards, terminated, next_q_target, 0.9)
    np.testing.assert_allclose(plain, [1 + 0.9 * 3, 1.0, 0.5 + 0.9 * 4])
    double = losses.td_targets(rewards, terminated, next_q_target, 0.9, next_q_online)
    # the online network picks the action, the target network values it
    np.testing.assert_allclose(double, [1 + 0.9 * 1, 1.0, 0.5 + 0.9 * 2])


def test_agent_td_targets_use_the_target_network_and_online_argmax():
    agent = tiny_dqn()
    obs = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    rewards = np.arange(5, dtype="float32")
    terminated = np.array([0, 1, 0, 0, 1], "float32")
    # make the target network differ from the online one
    agent.target_network.set_weights([w * 0.5 for w in agent.q_network.get_weights()])
    online = agent.q_network(obs).numpy()
    target = agent.target_network(obs).numpy()
    expected = rewards + agent.gamma * (1 - terminated) * target[np.arange(5), online.argmax(axis=1)]
    np.testing.assert_allclose(agent.td_targets(rewards, obs, terminated), expected, rtol=1e-5)
    agent.double_dqn = False
    expected = rewards + agent.gamma * (1 - terminated) * target.max(axis=1)
    np.testing.assert_allclose(agent.td_targets(rewards, obs, terminated), expected, rtol=1e-5)


def test_dqn_train_step_on_a_synthetic_batch_moves_q_toward_the_targets():
    agent = tiny_dqn()
    agent.compile(keras.optimizers.Adam(1e-2))
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(32, 4)).astype("float32")
    batch = (obs, rng.integers(0, 2, 32), np.ones(32, "float32"), obs, np.ones(32, "float32"))
    first = float(agent.train_step(batch)["loss"])
    for _ in range(50):
        logs = agent.train_step(batch)
    # every transition is terminal with reward 1, so Q(s, a) -> 1 and the loss -> 0
    assert float(logs["loss"]) < first
    q = agent.q_network(obs).numpy()[np.arange(32), batch[1]]
    assert np.mean(np.abs(q - 1.0)) < 0.3


def test_polyak_and_hard_target_updates():
    agent = tiny_dqn(tau=0.5)
    online = [w.copy() for w in agent.q_network.get_weights()]
    agent.target_network.set_weights([np.zeros_like(w) for w in online])
    agent.update_target(times=2)  # (1 - 0.5)^2 of zero plus 0.75 of online
    for t, w in zip(agent.target_network.get_weights(), online):
        np.testing.assert_allclose(t, 0.75 * w, rtol=1e-6)
    agent.tau = 1.0
    agent.update_target()
    for t, w in zip(agent.target_network.get_weights(), online):
        np.testing.assert_allclose(t, w)


def test_reinforce_gradient_equals_the_score_function_estimator_on_a_one_step_bandit():
    # one state, two actions with rewards 1 and 3: pi = softmax(theta), no baseline
    rng = np.random.default_rng(0)
    theta = tf.Variable([0.2, -0.4])
    actions = rng.choice(2, size=20_000, p=tf.nn.softmax(theta).numpy())
    rewards = np.where(actions == 1, 3.0, 1.0).astype("float32")
    with tf.GradientTape() as tape:
        log_probs = tf.gather(tf.nn.log_softmax(theta), actions)
        loss = losses.policy_gradient_loss(log_probs, rewards)
    gradient = -tape.gradient(loss, theta).numpy()
    # the score-function estimator of grad E[f(a)] from kgen.estimators, on the same draws
    probs = tf.nn.softmax(theta).numpy()
    score = np.eye(2)[actions] - probs  # grad_theta log softmax(theta)[a]
    np.testing.assert_allclose(gradient, np.mean(rewards[:, None] * score, axis=0), rtol=1e-4)
    estimate = estimators.score_function_gradient(
        lambda a: tf.where(tf.equal(a, 1), 3.0, 1.0),
        lambda params: tfp.distributions.Categorical(logits=params["logits"]),
        {"logits": theta},
        num_samples=20_000,
        seed=1,
    )
    exact = probs[1] * (1 - probs[1]) * 2.0 * np.array([-1.0, 1.0])  # d/dtheta of 1 + 2 pi_1
    np.testing.assert_allclose(np.asarray(estimate["logits"]), exact, atol=0.05)
    np.testing.assert_allclose(gradient, exact, atol=0.05)


def test_reinforce_agent_loss_is_the_policy_gradient_loss_with_the_chosen_baseline():
    agent = tiny_reinforce(baseline=None, normalize_advantages=False)
    agent.compile(keras.optimizers.SGD(0.0))
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(8, 4)).astype("float32")
    actions = rng.integers(0, 2, 8)
    returns = rng.normal(size=8).astype("float32")
    logs = agent.train_step((obs, actions, returns, np.ones(8, "float32")))
    log_probs = tf.nn.log_softmax(agent.policy_network(obs)).numpy()[np.arange(8), actions]
    assert float(logs["policy_loss"]) == pytest.approx(-np.mean(log_probs * returns), rel=1e-5)


@pytest.mark.parametrize("make", [tiny_dqn, tiny_reinforce])
def test_fit_runs_the_environment_and_returns_a_history(make):
    agent = make()
    agent.compile()
    history = agent.fit(env_steps=600, log_interval=200, verbose=0)
    assert isinstance(history, keras.callbacks.History)
    assert HISTORY_KEYS <= set(history.history)
    assert ("epsilon" if isinstance(agent, DQNAgent) else "entropy") in history.history
    assert history.history["env_steps"] == [200.0, 400.0, 600.0]
    assert history.history["episodes"][-1] > 5
    assert np.isfinite(history.history["episode_return"][-1])


class EpochSteps(keras.callbacks.Callback):
    """Records `params["steps"]` as each epoch begins, over every fit it is given to."""

    def __init__(self):
        super().__init__()
        self.steps = []

    def on_epoch_begin(self, epoch, logs=None):
        self.steps.append(self.params["steps"])


def test_short_epochs_say_their_own_length(capsys):
    agent = tiny_reinforce()
    agent.compile()
    epochs = EpochSteps()
    agent.fit(env_steps=250, log_interval=200, verbose=1, callbacks=[epochs])
    agent.fit(env_steps=500, log_interval=200, verbose=1, callbacks=[epochs])  # on to 750: epochs end at 400, 600
    assert epochs.steps == [200, 50, 150, 200, 150]
    bars = capsys.readouterr().out
    assert "50/50" in bars and "150/150" in bars and "200/50" not in bars and "200/150" not in bars


def test_fit_accepts_a_vector_env_and_keras_callbacks(tmp_path):
    envs = gym.make_vec("CartPole-v1", num_envs=3, vectorization_mode="sync")  # next-step autoreset
    agent = tiny_dqn(envs, buffer_size=10_000)
    agent.compile()
    stop = keras.callbacks.EarlyStopping(monitor="episode_return", mode="max", patience=0, baseline=1e9)
    csv = tmp_path / "log.csv"
    history = agent.fit(env_steps=900, log_interval=300, verbose=0,
                        callbacks=[stop, keras.callbacks.CSVLogger(str(csv))])
    # Keras' EarlyStopping never stops after the first epoch; with patience 0 it stops after the second
    assert len(history.history["episode_return"]) == 2
    assert "episode_return" in csv.read_text()
    # in next-step autoreset mode the step after an episode's end only resets: it is not stored
    steps, episodes = history.history["env_steps"][-1], history.history["episodes"][-1]
    assert steps - episodes <= len(agent.buffer) < steps


def test_evaluate_policy_callback_logs_the_evaluation_and_stops_at_the_threshold():
    agent = tiny_dqn()
    agent.compile()
    evaluation = EvaluatePolicy("CartPole-v1", episodes=3, seed=7)
    history = agent.fit(env_steps=400, log_interval=200, verbose=0, callbacks=[evaluation])
    assert history.history["env_steps"] == [200.0, 400.0]
    # the same episodes, after the last epoch, played at once as the callback plays them
    mean, std = evaluate_policy(agent, "CartPole-v1", episodes=3, seed=7, lockstep=True)
    assert (history.history["eval_mean_return"][-1], history.history["eval_std_return"][-1]) == (mean, std)

    stopped = tiny_dqn()
    stopped.compile()
    history = stopped.fit(env_steps=600, log_interval=200, verbose=0,
                          callbacks=[EvaluatePolicy("CartPole-v1", episodes=2, stop_at=1.0)])  # every episode scores >= 1
    assert history.history["env_steps"] == [200.0] and stopped.env_steps == 200
    history = stopped.fit(env_steps=400, log_interval=200, verbose=0,
                          callbacks=[EvaluatePolicy("CartPole-v1", episodes=2, stop_at=1e9)])  # never reached
    assert history.history["env_steps"] == [400.0, 600.0]


def test_a_recipe_with_stop_at_stops_once_solved_and_a_resumed_run_stays_stopped(tmp_path):
    from kgen import recipes
    from kgen.callbacks import Checkpoint

    recipe = recipes.DQNCartPole(env_steps=3000, stop_at=1.0, hidden_units=(16,), learning_starts=50, train_freq=10,
                                 gradient_steps=2, batch_size=8, buffer_size=500, exploration_steps=100)
    agent = recipe.build(None)
    history = recipe.fit(agent, None, verbose=0, checkpoint=Checkpoint(str(tmp_path / "run"), every_n_steps=500))
    assert history.history["env_steps"] == [1000.0] and recipe.stopped(history.history)  # one epoch: 1,000 steps
    card = recipe.describe(agent, {"eval_episodes": 1}, history)["training"]
    assert "reset seeds 2000, 2001, ..., not the scoring ones" in card and "it stopped after 1,000 env steps" in card

    resumed = recipe.build(None)  # a new process after a crash between the stop and the preset
    history = recipe.fit(resumed, None, verbose=0, checkpoint=Checkpoint(str(tmp_path / "run"), every_n_steps=500))
    assert resumed.env_steps == 1000 and history.history["env_steps"] == [1000.0]
    assert not recipes.DQNCartPole().stopped(history.history)  # no stop_at: never stopped
    with pytest.raises(KgenValueError, match="stop_at"):
        recipes.DQNCartPole(stop_at=float("nan"))


def test_evaluate_policy_callback_bad_input_names_the_argument():
    for kwargs, name in ((dict(episodes=0), "episodes"), (dict(seed=-1), "seed"), (dict(stop_at=float("nan")), "stop_at")):
        with pytest.raises((KgenTypeError, KgenValueError), match=name):
            EvaluatePolicy("CartPole-v1", **kwargs)

def test_tensorboard_and_model_checkpoint_work_unchanged(tmp_path):
    agent = tiny_reinforce()
    agent.compile()
    agent.fit(env_steps=400, log_interval=200, verbose=0, callbacks=[
        keras.callbacks.TensorBoard(str(tmp_path / "logs")),
        keras.callbacks.ModelCheckpoint(str(tmp_path / "agent.keras")),
    ])
    assert os.listdir(tmp_path / "logs" / "train")
    restored = keras.saving.load_model(tmp_path / "agent.keras")
    obs = np.zeros((2, 4), "float32")
    np.testing.assert_allclose(restored(obs), agent(obs), rtol=1e-6)


def test_continuous_actions_use_a_normal_policy():
    agent = tiny_reinforce("Pendulum-v1", batch_steps=200)
    agent.compile()
    history = agent.fit(env_steps=400, log_interval=200, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    action = agent.predict_action(np.zeros(3, "float32"), deterministic=False)
    assert action.shape == (1,)


def test_predict_action_single_and_batched_and_bad_shapes():
    agent = tiny_dqn()
    single = agent.predict_action(np.zeros(4))
    batch = agent.predict_action(np.zeros((5, 4)))
    assert np.ndim(single) == 0 and batch.shape == (5,)
    assert int(single) == int(batch[0])
    with pytest.raises(KgenValueError, match="observations"):
        agent.predict_action(np.zeros(3))
    with pytest.raises(KgenValueError, match="observations"):
        agent.predict_action(np.zeros((2, 5)))


def test_observations_and_episode_returns_follow_fit():
    agent = tiny_dqn()
    agent.compile()
    assert agent.observations is None and agent.episode_returns == []
    history = agent.fit(env_steps=300, verbose=0)
    observations = agent.observations
    assert observations.shape == (1, 4) and observations.dtype == np.float32
    observations[0, 0] = 99.0  # a copy: changing it leaves the agent's alone
    assert agent.observations[0, 0] != 99.0
    returns = agent.episode_returns
    assert len(returns) == history.history["episodes"][-1] > 5
    assert sum(returns) <= 300 and all(r >= 1 for r in returns)  # CartPole pays 1 a step
    agent.fit(env_steps=1, verbose=0)
    assert agent.env_steps == 301 and len(agent.episode_returns) >= len(returns)


def test_q_values_are_the_q_network_and_follow_training():
    agent = tiny_dqn()
    agent.compile()
    obs = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    for _ in range(2):  # before and after training rounds change the weights
        expected = keras.ops.convert_to_numpy(agent.q_network(obs))
        np.testing.assert_allclose(agent.q_values(obs), expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(agent.q_values(obs[0]), expected[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(agent.predict_action(obs), expected.argmax(axis=1))
        agent.fit(env_steps=200, verbose=0)
    with pytest.raises(KgenValueError, match="observations"):
        agent.q_values(np.zeros(3))


def test_actions_follow_weights_set_or_loaded_after_first_use(tmp_path):
    agent, other = tiny_dqn(seed=0), tiny_dqn(seed=1)
    obs = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    before = agent.predict_action(obs)
    assert not np.array_equal(before, other.predict_action(obs))
    agent.set_weights(other.get_weights())
    np.testing.assert_array_equal(agent.predict_action(obs), other.predict_action(obs))
    path = str(tmp_path / "a.weights.h5")
    tiny_dqn(seed=0).save_weights(path)
    agent.load_weights(path)
    np.testing.assert_array_equal(agent.predict_action(obs), before)


def test_evaluate_policy_is_deterministic_for_a_seed():
    agent = tiny_reinforce()
    a = evaluate_policy(agent, "CartPole-v1", episodes=3, seed=5, deterministic=False)
    b = evaluate_policy(agent, "CartPole-v1", episodes=3, seed=5, deterministic=False)
    assert a == b
    mean, std = evaluate_policy(agent, "CartPole-v1", episodes=3, seed=5)
    from kgen.rl.envs import make_env
    from kgen.rl.evaluation import run_episodes

    returns = run_episodes(agent, "CartPole-v1", episodes=3, seed=5)  # the same greedy episodes
    assert len(returns) == 3 and (mean, std) == pytest.approx((np.mean(returns), np.std(returns)))
    assert run_episodes(agent, "CartPole-v1", episodes=3, seed=5, lockstep=True) == returns  # played at once
    with pytest.raises(KgenValueError, match="env_or_id"):
        run_episodes(agent, make_env("CartPole-v1"), episodes=3, lockstep=True)


def test_bad_input_names_the_argument():
    with pytest.raises(KgenValueError, match="env"):
        DQNAgent("NoSuchEnv-v9")
    with pytest.raises(KgenValueError, match="DQNAgent supports Discrete"):
        DQNAgent("Pendulum-v1")
    with pytest.raises(KgenTypeError, match="env"):
        DQNAgent(42)
    with pytest.raises(KgenValueError, match="gamma"):
        DQNAgent("CartPole-v1", gamma=1.5)
    with pytest.raises(KgenValueError, match="baseline"):
        ReinforceAgent("CartPole-v1", baseline="median")
    agent = tiny_dqn()
    agent.compile()
    with pytest.raises(KgenValueError, match="env_steps"):
        agent.fit(env_steps=0)
    with pytest.raises(KgenTypeError, match="'x'"):
        agent.fit(x=np.zeros(3))


@pytest.mark.parametrize("make", [tiny_dqn, tiny_reinforce])
def test_config_and_keras_file_round_trips(make, tmp_path):
    agent = make()
    obs = np.random.default_rng(0).normal(size=(4, 4)).astype("float32")
    clone = type(agent).from_config(agent.get_config())
    assert clone.get_config() == agent.get_config()
    path = os.path.join(tmp_path, "agent.keras")
    agent.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded(obs), agent(obs), rtol=1e-6)
    np.testing.assert_array_equal(loaded.predict_action(obs), agent.predict_action(obs))


def test_train_play_and_eval_from_the_command_line(tmp_path, capsys):
    from kgen import cli

    # a tiny version of the CartPole recipe, from its generated flags, keeps this fast
    tiny = ["--env-steps", "600", "--hidden-units", "16", "--learning-starts", "100", "--train-freq", "50",
            "--gradient-steps", "5", "--batch-size", "16", "--eval-episodes", "5"]
    out = tmp_path / "agent"
    assert cli.main(["train", "dqn", "--env", "CartPole-v1", *tiny, "--out", str(out)]) == 0
    assert "eval_mean_return=" in capsys.readouterr().out
    card = (out / "README.md").read_text()
    assert "episode.gif" in card and "Reproduce with:" in card and "CartPole-v1" in card
    assert "kgen train dqn --env CartPole-v1 --env-steps 600 --eval-episodes 5 --hidden-units 16" in card
    assert "over 5 episodes" in card and "| env_steps | 600 |" in card
    gif = tmp_path / "play.gif"
    assert cli.main(["play", str(out), "--episodes", "2", "--gif", str(gif)]) == 0
    printed = capsys.readouterr().out
    assert "episode 2: return" in printed and gif.stat().st_size > 1000
    assert cli.main(["eval", str(out), "--eval-episodes", "3"]) == 0  # by the recipe its metadata records
    printed = capsys.readouterr().out
    assert "eval_mean_return=" in printed and "eval_episodes=3" in printed and "eval_min_return=" in printed
    assert cli.main(["train", "dqn", "--env", "Pong-v9", "--out", str(tmp_path / "x")]) == 1
    assert "env must be" in capsys.readouterr().err
