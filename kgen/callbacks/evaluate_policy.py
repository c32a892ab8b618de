"""Score an agent on evaluation episodes during `fit`, and stop it once it scores well enough."""

import keras

from kgen.core.validation import check_int, check_number
from kgen.rl.evaluation import evaluate_policy


class EvaluatePolicy(keras.callbacks.Callback):
    """At the end of every epoch of an agent's `fit` (an epoch is `log_interval` environment
    steps), the mean and standard deviation of its return over `episodes` deterministic episodes,
    added to the epoch's logs as `eval_mean_return` and `eval_std_return` (so the History, a
    CSVLogger or EarlyStopping see them). With `stop_at`, training stops after the first
    evaluation whose mean reaches it: Stable-Baselines3's `EvalCallback` with
    `StopTrainingOnRewardThreshold`, for agents whose return falls back after they have solved
    the task. From an environment id the episodes are played at once
    (`kgen.rl.evaluation.run_episodes(lockstep=True)`), one network call a step.

    Score the final agent on other episodes than the ones it was stopped on: choosing the moment
    on the scoring episodes flatters the score. The default reset seeds, 2000 onwards, are
    neither the recipes' training seeds nor their scoring ones (1000 onwards).

    Args:
        env_id: gymnasium id (or a single environment) to evaluate on.
        episodes: int >= 1, episodes per evaluation (default 20).
        seed: int >= 0, episode i resets with seed + i (default 2000).
        stop_at: optional float, the mean return that stops training.

    Examples:
        >>> agent = kgen.rl.DQNAgent("CartPole-v1", hidden_units=(16,), learning_starts=50, seed=0)
        >>> agent.compile()
        >>> evaluation = kgen.callbacks.EvaluatePolicy("CartPole-v1", episodes=2, stop_at=0.0)
        >>> history = agent.fit(env_steps=300, log_interval=100, callbacks=[evaluation], verbose=0)
        >>> history.history["env_steps"], "eval_mean_return" in history.history   # stopped after one epoch
        ([100.0], True)
    """

    def __init__(self, env_id, episodes=20, seed=2000, stop_at=None):
        super().__init__()
        self.env_id = env_id
        self.episodes = check_int("episodes", episodes, 1)
        self.seed = check_int("seed", seed, 0)
        self.stop_at = None if stop_at is None else check_number("stop_at", stop_at)

    def on_epoch_end(self, epoch, logs=None):
        # from an id, the episodes play at once: one network call a step, not one per episode
        lockstep = True if isinstance(self.env_id, str) else None
        mean, std = evaluate_policy(self.model, self.env_id, episodes=self.episodes, seed=self.seed,
                                    lockstep=lockstep)
        if logs is not None:
            logs.update(eval_mean_return=mean, eval_std_return=std)
        if self.stop_at is not None and mean >= self.stop_at:
            self.model.stop_training = True
