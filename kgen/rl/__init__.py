"""Reinforcement learning: finite MDPs solved exactly, and deep agents trained with `fit`.

gymnasium (the `rl` extra) is imported where it is used, so `import kgen` works without it.
"""

from kgen.rl import mdp
from kgen.rl.dqn import DQNAgent
from kgen.rl.dynamics import DynamicsEnsemble
from kgen.rl.envs import make_env
from kgen.rl.evaluation import evaluate_policy, record_episode
from kgen.rl.mdp import MDP, GridWorld
from kgen.rl.model_based import ModelBasedAgent
from kgen.rl.planners import Planner
from kgen.rl.reinforce import ReinforceAgent
from kgen.rl.replay import ReplayBuffer

__all__ = [
    "DQNAgent",
    "DynamicsEnsemble",
    "GridWorld",
    "MDP",
    "ModelBasedAgent",
    "Planner",
    "ReinforceAgent",
    "ReplayBuffer",
    "TabularEnv",
    "evaluate_policy",
    "make_env",
    "mdp",
    "record_episode",
]


def __getattr__(name):
    # TabularEnv subclasses gymnasium.Env, so it is imported on first use.
    if name == "TabularEnv":
        from kgen.rl.tabular_env import TabularEnv

        return TabularEnv
    raise AttributeError(f"module 'kgen.rl' has no attribute {name!r}")
