"""The RL recipes: `dqn_cartpole`, `dqn_acrobot`, `reinforce_cartpole`, `mbrl_cartpole` and `mbrl_pendulum`. Hyperparameters per
(algorithm, environment), started from the rl-baselines3-zoo ones (docs/rl.md says what differs
and why); a learning rate that decays linearly to zero over the run; evaluation over 100 greedy
episodes; the model card."""

import dataclasses
import inspect
import os
from typing import ClassVar

import keras

from kgen.callbacks.evaluate_policy import EvaluatePolicy
from kgen.core.adam import Adam
from kgen.core.validation import check_int, check_number
from kgen.eval import scores
from kgen.recipes.base import Recipe, describe_optimizer, hyperparameter, redefault
from kgen.rl.dqn import DQNAgent
from kgen.rl.evaluation import record_episode
from kgen.rl.model_based import ModelBasedAgent
from kgen.rl.reinforce import ReinforceAgent

EVAL_SEED = 1_000
"""Reset seed of the first evaluation episode, so evaluation never replays a training episode's start."""

STOP_SEED = 2_000
"""Reset seed of the first episode of the evaluations that decide `stop_at`: neither a training
episode's start nor a scoring one's, so choosing when to stop does not flatter the score."""

STOP_EPISODES = 20
"""Episodes of each evaluation that decides `stop_at`."""


def agent_default(cls, name):
    """The default of constructor argument `name` of agent class `cls`: the recipe that uses
    the agent's own defaults states them once, where the agent defines them."""
    return inspect.signature(cls).parameters[name].default


@dataclasses.dataclass(frozen=True)
class AgentRecipe(Recipe):
    """Train `agent_class` on `env_id` with `fit(env_steps=...)`, Adam with a learning rate decaying
    linearly to 0 and the global gradient norm clipped at 10; score over greedy episodes.

    Fields of subclasses are the agent's constructor arguments.
    """

    agent_class: ClassVar[type]
    env_id: ClassVar[str]
    algorithm: ClassVar[str]
    networks: ClassVar[str]
    headline_metrics = ("eval_mean_return", "eval_std_return")
    checkpoint_every = 5000

    env_steps: int = hyperparameter(50_000, "environment steps to train for")
    learning_rate: float = hyperparameter(1e-3, "initial learning rate, decayed linearly to 0")
    eval_episodes: int = hyperparameter(100, "greedy episodes it is scored over", score=True)
    eval_seed: int = hyperparameter(EVAL_SEED, "reset seed of the first scoring episode", score=True)
    stop_at: float = hyperparameter(None, f"stop once the mean return of {STOP_EPISODES} evaluation episodes "
                                          f"(reset seeds {STOP_SEED}, ...), played every epoch, reaches this "
                                          "(none: never)")

    def __post_init__(self):
        super().__post_init__()
        check_int("env_steps", self.env_steps, minimum=1)
        if self.stop_at is not None:
            check_number("stop_at", self.stop_at)
        check_number("learning_rate", self.learning_rate, minimum=0.0, low_open=True)
        check_int("eval_episodes", self.eval_episodes, minimum=1)
        check_int("eval_seed", self.eval_seed, minimum=0)

    @classmethod
    def accepts(cls, model):
        return isinstance(model, cls.agent_class) and model.env_id == cls.env_id

    def agent_arguments(self):
        """The fields that are the agent's constructor arguments."""
        own = {field.name for field in dataclasses.fields(AgentRecipe)}
        return {name: value for name, value in self.hyperparameters().items() if name not in own}

    def selector_flags(self):
        return ["--env", self.env_id]

    def build(self, data):
        return self.agent_class(self.env_id, seed=self.seed, **self.agent_arguments())

    def compile(self, model, data):
        schedule = keras.optimizers.schedules.PolynomialDecay(self.learning_rate, self.updates(model), 0.0)
        model.compile(Adam(schedule, global_clipnorm=10.0))

    def updates(self, agent):
        """How many optimizer steps `agent.fit(env_steps)` makes (the schedule's length)."""
        raise NotImplementedError

    def fit(self, model, data, callbacks=(), verbose=1, checkpoint=None):
        self.ensure_compiled(model, data)
        if checkpoint is not None:
            checkpoint.restore(model)
        callbacks = list(callbacks)
        if self.stop_at is not None:
            callbacks.append(EvaluatePolicy(self.env_id, STOP_EPISODES, STOP_SEED, stop_at=self.stop_at))
        if checkpoint is not None:
            callbacks.append(checkpoint)
        resumed_after_stop = checkpoint is not None and self.stopped(checkpoint.history)
        remaining = 0 if resumed_after_stop else self.env_steps - model.env_steps
        history = model.fit(env_steps=remaining, callbacks=callbacks, verbose=verbose,
                            log_interval=max(1000, self.env_steps // 50)) if remaining > 0 else None
        if checkpoint is not None and checkpoint.history:
            history = keras.callbacks.History()
            history.history = checkpoint.history  # the whole run's, those before a resume too
        return history

    def stopped(self, history):
        """Whether the run that logged `history` (a History's dict) stopped at `stop_at`."""
        evaluations = history.get("eval_mean_return", ())
        return self.stop_at is not None and len(evaluations) > 0 and evaluations[-1] >= self.stop_at

    def describe_stop(self, history):
        """The card's sentence on `stop_at`, and where the run stopped when its History is given."""
        if self.stop_at is None:
            return ""
        rule = (f" Training stops once the mean return of {STOP_EPISODES} deterministic evaluation episodes (reset "
                f"seeds {STOP_SEED}, {STOP_SEED + 1}, ..., not the scoring ones), played every epoch, reaches "
                f"{self.stop_at:g}")
        if history is None:
            return rule + "."
        used = int(history.history["env_steps"][-1])
        return rule + (f": it stopped after {used:,} env steps." if self.stopped(history.history)
                       else f": it did not, and ran all {used:,} env steps.")

    def score(self, model, data, limit=None):
        episodes = self.eval_episodes if limit is None else min(self.eval_episodes, check_int("limit", limit, minimum=1))
        return scores.agent_scores(model, self.env_id, episodes=episodes, seed=self.eval_seed)

    def picture_names(self):
        return {f"one evaluation episode (seed {self.eval_seed})": "episode.gif"}

    def pictures(self, model, data, folder):
        record_episode(model, self.env_id, os.path.join(folder, "episode.gif"), seed=self.eval_seed)

    def describe(self, model, scores, history=None, data=None):
        import gymnasium

        arguments = ", ".join(f"{name}={value}" for name, value in self.agent_arguments().items())
        sections = {}
        if history is not None:
            steps, returns = history.history["env_steps"], history.history["episode_return"]
            rows = sorted(set(range(len(steps) - 1, -1, -max(1, len(steps) // 10))))  # about 10, ending at the last
            curve = "\n".join(f"| {int(steps[i]):,} | {returns[i]:.1f} |" for i in rows)
            sections["Training curve (mean return of the last 10 training episodes)"] = (
                "| env steps | return |\n|---|---|\n" + curve)
        return dict(
            description=(f"A {self.algorithm} agent for gymnasium's `{self.env_id}`; the parameter count covers "
                         f"its {self.networks}."),
            training=(
                f"`agent.fit(env_steps={self.env_steps})` with seed {self.seed}; {arguments}; "
                f"{describe_optimizer(model.optimizer)}. Scored on `{self.env_id}` (gymnasium "
                f"{gymnasium.__version__}) over {scores['eval_episodes']} episodes with deterministic (greedy) "
                f"actions, reset seeds {self.eval_seed}, {self.eval_seed + 1}, ...: `eval_mean_return` +/- "
                "`eval_std_return`, worst episode `eval_min_return`." + self.describe_stop(history)
            ),
            tags=["reinforcement-learning", "gymnasium", self.family, self.env_id],
            sections=sections,
        )


@dataclasses.dataclass(frozen=True)
class DQNRecipe(AgentRecipe):
    """Double DQN: the fields below are `kgen.rl.DQNAgent`'s arguments."""

    agent_class = DQNAgent
    family = "dqn"
    algorithm = "DQN (Double DQN, Huber loss, replay, target network)"
    networks = "online and target Q-networks"

    hidden_units: tuple = hyperparameter(agent_default(DQNAgent, "hidden_units"), "units of the Q-network's layers")
    gamma: float = hyperparameter(agent_default(DQNAgent, "gamma"), "discount factor")
    buffer_size: int = hyperparameter(agent_default(DQNAgent, "buffer_size"), "replay buffer capacity")
    batch_size: int = hyperparameter(agent_default(DQNAgent, "batch_size"), "transitions per gradient step")
    learning_starts: int = hyperparameter(agent_default(DQNAgent, "learning_starts"), "env steps before learning")
    train_freq: int = hyperparameter(agent_default(DQNAgent, "train_freq"), "env steps between training rounds")
    gradient_steps: int = hyperparameter(agent_default(DQNAgent, "gradient_steps"),
                                         "gradient steps per round (-1: as many as env steps)")
    target_update_interval: int = hyperparameter(agent_default(DQNAgent, "target_update_interval"),
                                                 "gradient steps between target-network updates")
    exploration_steps: int = hyperparameter(agent_default(DQNAgent, "exploration_steps"),
                                            "env steps over which epsilon decays")
    exploration_final_eps: float = hyperparameter(agent_default(DQNAgent, "exploration_final_eps"), "final epsilon")

    def updates(self, agent):
        rounds = max(1, (self.env_steps - agent.learning_starts) // agent.train_freq)
        return rounds * (agent.gradient_steps if agent.gradient_steps > 0 else agent.train_freq)


@dataclasses.dataclass(frozen=True)
class DQNCartPole(DQNRecipe):
    """`dqn_cartpole`: `kgen.rl.DQNAgent`'s defaults for at most 50,000 steps, in batches of 64 (the
    zoo's): half the gradient work of the agent's 128, and 5 of seeds 0-5 solved either way. Training
    stops once 20 evaluation episodes average 475: DQN's return on CartPole rises and falls, and
    stopping keeps the agent that solved it, with less work (docs/rl.md).

    Examples:
        >>> recipe = kgen.recipes.DQNCartPole(env_steps=1000)
        >>> recipe.command("my_dqn")
        'kgen train dqn --env CartPole-v1 --env-steps 1000 --out my_dqn'
        >>> agent = recipe.build(None)                  # the untrained agent; recipe.train("my_dqn") trains it
        >>> type(agent).__name__, agent.hidden_units
        ('DQNAgent', (256, 256))
    """

    preset = "dqn_cartpole"
    env_id = "CartPole-v1"
    summary = "Double DQN for gymnasium CartPole-v1, 256x256 MLP, at most 50,000 env steps"

    learning_rate: float = redefault(DQNRecipe, "learning_rate", DQNAgent.default_learning_rate)
    batch_size: int = redefault(DQNRecipe, "batch_size", 64)
    stop_at: float = redefault(DQNRecipe, "stop_at", 475.0)


@dataclasses.dataclass(frozen=True)
class DQNAcrobot(DQNRecipe):
    """`dqn_acrobot`: rl-zoo's Acrobot settings, 100,000 steps.

    Examples:
        >>> recipe = kgen.recipes.DQNAcrobot()
        >>> recipe.env_id, recipe.env_steps, recipe.train_freq, recipe.target_update_interval
        ('Acrobot-v1', 100000, 4, 250)
    """

    preset = "dqn_acrobot"
    env_id = "Acrobot-v1"
    summary = "Double DQN for gymnasium Acrobot-v1, 256x256 MLP, trained 100,000 env steps"

    env_steps: int = redefault(DQNRecipe, "env_steps", 100_000)
    learning_rate: float = redefault(DQNRecipe, "learning_rate", 6.3e-4)
    gamma: float = redefault(DQNRecipe, "gamma", 0.99)
    buffer_size: int = redefault(DQNRecipe, "buffer_size", 50_000)
    learning_starts: int = redefault(DQNRecipe, "learning_starts", 0)
    train_freq: int = redefault(DQNRecipe, "train_freq", 4)
    gradient_steps: int = redefault(DQNRecipe, "gradient_steps", -1)
    target_update_interval: int = redefault(DQNRecipe, "target_update_interval", 250)
    exploration_steps: int = redefault(DQNRecipe, "exploration_steps", 12_000)
    exploration_final_eps: float = redefault(DQNRecipe, "exploration_final_eps", 0.1)


@dataclasses.dataclass(frozen=True)
class ReinforceCartPole(AgentRecipe):
    """`reinforce_cartpole`: REINFORCE with a learned value baseline, 200,000 steps.

    Examples:
        >>> recipe = kgen.recipes.ReinforceCartPole(baseline="mean")   # the batch mean instead of V(s)
        >>> recipe.command("my_reinforce")
        'kgen train reinforce --env CartPole-v1 --baseline mean --out my_reinforce'

    Reference:
        Williams, "Simple statistical gradient-following algorithms for connectionist
        reinforcement learning", Machine Learning 1992.
    """

    preset = "reinforce_cartpole"
    family = "reinforce"
    env_id = "CartPole-v1"
    agent_class = ReinforceAgent
    algorithm = "REINFORCE with a learned value baseline"
    networks = "policy and value networks"
    summary = "REINFORCE with a learned value baseline for CartPole-v1, 64x64 MLPs, 200,000 env steps"

    env_steps: int = redefault(AgentRecipe, "env_steps", 200_000)
    learning_rate: float = redefault(AgentRecipe, "learning_rate", 3e-3)
    hidden_units: tuple = hyperparameter((64, 64), "units of the policy and value networks' layers")
    batch_steps: int = hyperparameter(500, "environment steps per policy-gradient update")
    baseline: str = hyperparameter("value", "baseline: value (a learned V(s)), mean or none")

    def updates(self, agent):
        return max(1, self.env_steps // agent.batch_steps)


@dataclasses.dataclass(frozen=True)
class ModelBasedRecipe(AgentRecipe):
    """PETS-style model-based RL: the fields below are `kgen.rl.ModelBasedAgent`'s arguments. The
    ensemble is refitted many times on growing data, so its learning rate stays constant."""

    agent_class = ModelBasedAgent
    family = "mbrl"
    algorithm = "model-based (a probabilistic dynamics ensemble and CEM model-predictive control)"
    networks = "dynamics ensemble and value network, if any (the planner has no weights)"
    checkpoint_every = 1000

    env_steps: int = redefault(AgentRecipe, "env_steps", 5_000)
    hidden_units: tuple = hyperparameter(agent_default(ModelBasedAgent, "hidden_units"),
                                         "units of each ensemble member's layers")
    ensemble_size: int = hyperparameter(agent_default(ModelBasedAgent, "ensemble_size"), "ensemble members")
    horizon: int = hyperparameter(agent_default(ModelBasedAgent, "horizon"), "planning horizon in steps")
    population: int = hyperparameter(agent_default(ModelBasedAgent, "population"), "candidate plans per CEM round")
    elites: int = hyperparameter(agent_default(ModelBasedAgent, "elites"), "best plans CEM refits to")
    iterations: int = hyperparameter(agent_default(ModelBasedAgent, "iterations"), "CEM rounds per action")
    value_units: tuple = hyperparameter(agent_default(ModelBasedAgent, "value_units"),
                                        "units of the value network the planner adds after its horizon")
    gamma: float = hyperparameter(agent_default(ModelBasedAgent, "gamma"), "discount factor")
    value_steps: int = hyperparameter(agent_default(ModelBasedAgent, "value_steps"),
                                      "gradient steps of the value network per model fit")
    td_lambda: float = hyperparameter(agent_default(ModelBasedAgent, "td_lambda"),
                                      "lambda of the value network's lambda-return targets")
    value_members: int = hyperparameter(agent_default(ModelBasedAgent, "value_members"),
                                        "independently fitted value networks")
    value_pessimism: float = hyperparameter(agent_default(ModelBasedAgent, "value_pessimism"),
                                            "the planner's value: the members' mean less this times their spread")
    learning_starts: int = hyperparameter(agent_default(ModelBasedAgent, "learning_starts"),
                                          "random env steps before the first model fit")
    train_freq: int = hyperparameter(agent_default(ModelBasedAgent, "train_freq"), "env steps between model fits")
    model_steps: int = hyperparameter(agent_default(ModelBasedAgent, "model_steps"),
                                      "least gradient steps of each model fit")
    termination: str = hyperparameter(agent_default(ModelBasedAgent, "termination"),
                                      "'learned' (a head of the ensemble) or 'known' (the environment's rule)")
    disagreement_penalty: float = hyperparameter(agent_default(ModelBasedAgent, "disagreement_penalty"),
                                                 "the planner's penalty on its members' spread of returns")

    def compile(self, model, data):
        model.compile(Adam(self.learning_rate))

    def describe(self, model, scores, history=None, data=None):
        described = super().describe(model, scores, history, data)
        described["training"] += (
            " The agent acts by planning: each action is the first of a CEM search in the learnt "
            f"ensemble ({model.planner.population} candidates x {model.planner.horizon} steps x "
            f"{model.planner.iterations} rounds x {model.ensemble.ensemble_size} members)"
            + (", the value network added after the horizon" if model.value_network is not None else "")
            + "; the scoring episodes are played in lockstep, one search per step for all of them, its "
            "random draws seeded from the first reset seed.")
        return described


@dataclasses.dataclass(frozen=True)
class ModelBasedCartPole(ModelBasedRecipe):
    """`mbrl_cartpole`: the agent's defaults with lambda-return value targets (0.95), at most 5,000
    env steps, learnt termination. Training stops once 20 evaluation episodes average 475: this
    agent's return can fall back after it has solved the task (docs/rl.md).

    Examples:
        >>> recipe = kgen.recipes.ModelBasedCartPole(termination="known")   # CartPole's own rule
        >>> recipe.env_steps, recipe.horizon, recipe.termination
        (5000, 15, 'known')

    Reference:
        Chua, Calandra, McAllister and Levine, "Deep Reinforcement Learning in a Handful of
        Trials using Probabilistic Dynamics Models" (PETS), NeurIPS 2018.
    """

    preset = "mbrl_cartpole"
    env_id = "CartPole-v1"
    summary = "Model-based agent (dynamics ensemble + CEM planner) for CartPole-v1, at most 5,000 env steps"

    td_lambda: float = redefault(ModelBasedRecipe, "td_lambda", 0.95)
    stop_at: float = redefault(ModelBasedRecipe, "stop_at", 475.0)


@dataclasses.dataclass(frozen=True)
class ModelBasedPendulum(ModelBasedRecipe):
    """`mbrl_pendulum`: Box actions (Gaussian CEM), 3,000 env steps. No value network: Pendulum's
    reward is dense, so the 15-step horizon sees enough of it. The first five episodes are random
    (1,000 steps, from every starting angle), and each model fit takes 1,000 gradient steps.

    Examples:
        >>> recipe = kgen.recipes.ModelBasedPendulum()
        >>> recipe.env_id, recipe.env_steps, recipe.learning_starts, recipe.value_units
        ('Pendulum-v1', 3000, 1000, None)

    Reference:
        Chua, Calandra, McAllister and Levine, "Deep Reinforcement Learning in a Handful of
        Trials using Probabilistic Dynamics Models" (PETS), NeurIPS 2018.
    """

    preset = "mbrl_pendulum"
    env_id = "Pendulum-v1"
    summary = "Model-based agent (dynamics ensemble + CEM planner) for Pendulum-v1, 3,000 env steps"

    env_steps: int = redefault(ModelBasedRecipe, "env_steps", 3_000)
    value_units: tuple = redefault(ModelBasedRecipe, "value_units", None)
    learning_starts: int = redefault(ModelBasedRecipe, "learning_starts", 1_000)
    model_steps: int = redefault(ModelBasedRecipe, "model_steps", 1_000)
