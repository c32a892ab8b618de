"""Training recipes for the RL presets: hyperparameters per (algorithm, environment), a
learning rate that decays linearly to zero over the run, evaluation and the model card."""

import os

import keras
import numpy as np

from kgen.rl.dqn import DQNAgent
from kgen.rl.evaluation import record_episode, run_episodes
from kgen.rl.reinforce import ReinforceAgent
from kgen.validation import check_choice, check_int, fail

ALGORITHMS = {"dqn": DQNAgent, "reinforce": ReinforceAgent}

# Started from the rl-baselines3-zoo hyperparameters; docs/rl.md says what differs and why.
RECIPES = {
    ("dqn", "CartPole-v1"): {
        "env_steps": 50_000,
        "learning_rate": 1e-3,
        "agent": dict(hidden_units=(256, 256), gamma=0.98, buffer_size=100_000, batch_size=128, learning_starts=1_000,
                      train_freq=256, gradient_steps=256, target_update_interval=10, exploration_steps=10_000,
                      exploration_final_eps=0.01),
    },
    ("dqn", "Acrobot-v1"): {
        "env_steps": 100_000,
        "learning_rate": 6.3e-4,
        "agent": dict(hidden_units=(256, 256), gamma=0.99, buffer_size=50_000, batch_size=128, learning_starts=0,
                      train_freq=4, gradient_steps=-1, target_update_interval=250, exploration_steps=12_000,
                      exploration_final_eps=0.1),
    },
    ("reinforce", "CartPole-v1"): {
        "env_steps": 200_000,
        "learning_rate": 3e-3,
        "agent": dict(hidden_units=(64, 64), batch_steps=500, baseline="value"),
    },
}


def recipe(algorithm, env_id):
    """The recipe for `algorithm` on `env_id` (a dict), or a clear error listing the known ones."""
    check_choice("algorithm", algorithm, tuple(ALGORITHMS))
    if (algorithm, env_id) not in RECIPES:
        known = ", ".join(env for (algo, env) in RECIPES if algo == algorithm)
        fail("env", env_id, f"an environment with a {algorithm} recipe ({known})")
    return RECIPES[(algorithm, env_id)]


def updates_in(agent, env_steps):
    """How many optimizer steps `agent.fit(env_steps)` makes (for the learning-rate schedule)."""
    if isinstance(agent, DQNAgent):
        rounds = max(1, (env_steps - agent.learning_starts) // agent.train_freq)
        return rounds * (agent.gradient_steps if agent.gradient_steps > 0 else agent.train_freq)
    return max(1, env_steps // agent.batch_steps)


def build_agent(algorithm, env_id, env_steps=None, seed=0, overrides=None):
    """A compiled agent with the recipe's hyperparameters (any of them replaced by
    `overrides`, a dict of constructor arguments) and a learning rate that decays
    linearly to 0 over `env_steps` (default the recipe's)."""
    settings = recipe(algorithm, env_id)
    env_steps = check_int("env_steps", env_steps or settings["env_steps"], 1)
    agent = ALGORITHMS[algorithm](env_id, seed=seed, **{**settings["agent"], **(overrides or {})})
    schedule = keras.optimizers.schedules.PolynomialDecay(settings["learning_rate"], updates_in(agent, env_steps), 0.0)
    agent.compile(keras.optimizers.Adam(schedule, global_clipnorm=10.0))
    return agent, env_steps


def train_agent(algorithm, env_id, env_steps=None, seed=0, verbose=1, callbacks=None):
    """Build and train an agent by its recipe. Returns (agent, history)."""
    agent, env_steps = build_agent(algorithm, env_id, env_steps, seed)
    history = agent.fit(env_steps=env_steps, callbacks=callbacks, verbose=verbose, log_interval=max(1000, env_steps // 50))
    return agent, history


EVAL_SEED = 1_000
"""Reset seed of the first evaluation episode in model cards (and the default of `kgen eval`)."""


def score(agent, env_id, episodes=100, seed=EVAL_SEED):
    """Mean and std of the return over `episodes` deterministic episodes (seeds seed, seed+1, ...)."""
    returns = run_episodes(agent, env_id, episodes=episodes, seed=seed)
    return {
        "eval_mean_return": round(float(np.mean(returns)), 2),
        "eval_std_return": round(float(np.std(returns)), 2),
        "eval_episodes": episodes,
        "eval_min_return": round(float(np.min(returns)), 2),
    }


def agent_card(algorithm, env_id, env_steps, seed, metrics, history, command):
    settings = recipe(algorithm, env_id)
    hyper = ", ".join(f"{k}={v}" for k, v in settings["agent"].items())
    name = "DQN (Double DQN, Huber loss, replay, target network)" if algorithm == "dqn" else "REINFORCE with a learned value baseline"
    steps, returns = history.history["env_steps"], history.history["episode_return"]
    rows = sorted(set(range(len(steps) - 1, -1, -max(1, len(steps) // 10))))  # about 10 rows, ending at the last
    curve = "\n".join(f"| {int(steps[i]):,} | {returns[i]:.1f} |" for i in rows)
    networks = "online and target Q-networks" if algorithm == "dqn" else "policy and value networks"
    return dict(
        description=f"A {name} agent for gymnasium's `{env_id}`; the parameter count covers its {networks}.",
        training=(
            f"`agent.fit(env_steps={env_steps})` with seed {seed}; {hyper}; Adam with learning rate "
            f"{settings['learning_rate']} decaying linearly to 0 over the run, global gradient norm clipped at 10. "
            f"Scored on `{env_id}` (gymnasium {_gym_version()}) over {metrics['eval_episodes']} episodes with "
            f"deterministic (greedy) actions, reset seeds 1000, 1001, ...: `eval_mean_return` +/- "
            f"`eval_std_return`, worst episode `eval_min_return`."
        ),
        command=command,
        metrics=metrics,
        tags=["reinforcement-learning", "gymnasium", algorithm, env_id],
        images={"one evaluation episode (seed 1000)": "episode.gif"},
        sections={"Training curve (mean return of the last 10 training episodes)":
                  "| env steps | return |\n|---|---|\n" + curve},
    )


def _gym_version():
    import gymnasium

    return gymnasium.__version__


def train_preset(algorithm, env_id, out, env_steps=None, seed=0, episodes=100, verbose=1, command=None):
    """Train by the recipe, score over `episodes` episodes, record a GIF, save the preset.

    Returns:
        (agent, metrics).
    """
    agent, history = train_agent(algorithm, env_id, env_steps, seed, verbose)
    metrics = score(agent, env_id, episodes=check_int("episodes", episodes, 1))
    os.makedirs(out, exist_ok=True)
    record_episode(agent, env_id, os.path.join(out, "episode.gif"), seed=EVAL_SEED)
    agent.save_to_preset(out, **agent_card(algorithm, env_id, agent.env_steps, seed, metrics, history, command))
    return agent, metrics
