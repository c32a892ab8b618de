"""Scoring a trained agent: mean and spread of episode returns, and one episode as a GIF."""

import numpy as np

from kgen.core import files, progress
from kgen.core.validation import check_int, fail
from kgen.rl.envs import make_env, step_argument


def _check_agent(agent):
    if not hasattr(agent, "predict_action"):
        fail("agent", agent, "a kgen.rl agent (an object with predict_action)")


def _play(agent, env, seed, deterministic, max_steps=None, on_step=None):
    """One episode from `env.reset(seed=seed)`; returns (return, steps). `on_step(steps, done)`
    runs after the reset (steps 0) and after every step."""
    observation, _ = env.reset(seed=seed)
    total, steps, done = 0.0, 0, False
    if on_step is not None:
        on_step(steps, done)
    while not done and (max_steps is None or steps < max_steps):
        observation, reward, terminated, truncated, _ = env.step(agent.env_action(observation, deterministic))
        total += float(reward)
        steps += 1
        done = terminated or truncated
        if on_step is not None:
            on_step(steps, done)
    return total, steps


def _play_in_lockstep(agent, env_id, seeds, deterministic, max_steps=None):
    """The returns of one episode per reset seed, all played at once: every step, one
    `predict_action` call on the batch of current observations (an episode that ended
    keeps its last observation in the batch, so the batch size, and what a planner
    traces for it, stays fixed)."""
    envs = [make_env(env_id) for _ in seeds]
    try:
        observations = np.stack([env.reset(seed=s)[0] for env, s in zip(envs, seeds)])
        totals, steps, done = np.zeros(len(seeds)), np.zeros(len(seeds), int), np.zeros(len(seeds), bool)
        limit = getattr(envs[0].spec, "max_episode_steps", None) if max_steps is None else max_steps
        with progress.bar(limit, f"{len(seeds)} episodes in lockstep", unit="step") as bar:
            while not done.all():
                actions = agent._to_env(agent.predict_action(observations, deterministic))
                for i in np.flatnonzero(~done):
                    observation, reward, terminated, truncated, _ = envs[i].step(step_argument(actions[i]))
                    observations[i] = observation
                    totals[i] += float(reward)
                    steps[i] += 1
                    done[i] = terminated or truncated or (max_steps is not None and steps[i] >= max_steps)
                bar.update()
    finally:
        for env in envs:
            env.close()
    return [float(total) for total in totals]


def run_episodes(agent, env_or_id, episodes=10, seed=0, deterministic=True, max_steps=None, lockstep=None):
    """The return of each of `episodes` episodes (a list of floats).

    Episode i starts from `env.reset(seed=seed + i)`, so a deterministic policy
    gives the same returns for the same seed. In lockstep, all the episodes are
    played at once from an environment id, one batched `predict_action` a step. An
    agent whose `plays_in_lockstep` is true (a planner: one search per step for all
    the episodes, not one per episode) plays that way by default; its returns then
    depend on how many episodes are played together (their plans share random
    draws), never on anything else. Any other agent can (`lockstep=True`): a greedy
    network policy gives the same actions either way, up to the rounding of a
    batched matrix product, with one network call a step instead of one per episode.

    Args:
        lockstep: None (default: the agent's `plays_in_lockstep`), True or False.
    """
    _check_agent(agent)
    episodes = check_int("episodes", episodes, 1)
    seed = check_int("seed", seed, 0)
    if lockstep is None:
        lockstep = getattr(agent, "plays_in_lockstep", False) and isinstance(env_or_id, str)
    elif lockstep and not isinstance(env_or_id, str):
        fail("env_or_id", env_or_id, "a gymnasium id with lockstep=True (it makes one environment per episode)")
    env = make_env(env_or_id)
    if hasattr(env, "num_envs"):
        fail("env_or_id", env, "a single (not vector) environment for evaluation")
    rng_state = agent.rng
    agent.rng = np.random.default_rng(seed)  # stochastic actions are reproducible too
    returns = []
    try:
        if lockstep:
            return _play_in_lockstep(agent, env_or_id, [seed + i for i in range(episodes)], deterministic, max_steps)
        with progress.bar(episodes, "episodes", unit="episode") as bar:
            for episode in range(episodes):
                returns.append(_play(agent, env, seed + episode, deterministic, max_steps)[0])
                bar.update()
    finally:
        agent.rng = rng_state
        if isinstance(env_or_id, str):
            env.close()
    return returns


def evaluate_policy(agent, env_or_id, episodes=10, seed=0, deterministic=True, max_steps=None, lockstep=None):
    """Mean and standard deviation of the return over `episodes` episodes.

    Args:
        agent: a kgen.rl agent.
        env_or_id: a gymnasium id ("CartPole-v1") or a (single) environment.
        episodes: int >= 1 (default 10).
        seed: int >= 0; episode i resets with seed + i (default 0).
        deterministic: bool, greedy actions (default True).
        max_steps: optional int cap on steps per episode (the env's own limit applies anyway).
        lockstep: play the episodes at once (`run_episodes`); None: as the agent prefers.

    Returns:
        (mean, std) as floats.

    Examples:
        >>> agent = kgen.rl.DQNAgent.from_preset("dqn_acrobot")
        >>> mean, std = kgen.rl.evaluate_policy(agent, "Acrobot-v1", episodes=2, seed=0)
        >>> -500 < mean < -60                   # -1 a step; an episode that never swings up gives -500
        True
        >>> kgen.rl.evaluate_policy(agent, "Acrobot-v1", episodes=2, max_steps=10)   # capped
        (-10.0, 0.0)
    """
    returns = run_episodes(agent, env_or_id, episodes, seed, deterministic, max_steps, lockstep)
    return float(np.mean(returns)), float(np.std(returns))


def episode_frames(agent, env_id, seed=0, deterministic=True, every=1):
    """Play one episode rendered with the env's `rgb_array` mode.

    Args:
        agent: a kgen.rl agent.
        env_id: str, a gymnasium id whose environment renders "rgb_array".
        seed: int, the episode's reset seed (default 0).
        deterministic: bool (default True).
        every: int >= 1, keep every `every`-th frame, and the last (default 1).

    Returns:
        (frames: list of uint8 (H, W, 3) arrays, episode return, number of steps, the env's render_fps).
    """
    _check_agent(agent)
    every = check_int("every", every, 1)
    env = make_env(env_id, render_mode="rgb_array")
    frames = []

    def keep_frame(steps, done):
        if steps % every == 0 or done:
            frames.append(env.render())

    try:
        total, steps = _play(agent, env, check_int("seed", seed, 0), deterministic, on_step=keep_frame)
        return frames, total, steps, env.metadata.get("render_fps", 30)
    finally:
        env.close()


def record_episode(agent, env_id, path, seed=0, deterministic=True, every=2, scale=0.5, fps=None):
    """Play one episode rendered with the env's `rgb_array` mode and write it as a GIF.

    Args:
        agent: a kgen.rl agent.
        env_id: str, a gymnasium id whose environment renders "rgb_array".
        path: str, the .gif to write (atomically).
        seed: int, the episode's reset seed (default 0).
        deterministic: bool (default True).
        every: int >= 1, keep every `every`-th frame (default 2).
        scale: float in (0, 1], frame size factor (default 0.5).
        fps: optional playback rate (default the env's render_fps / every).

    Returns:
        (episode return, number of steps).

    Examples:
        >>> agent = kgen.rl.DQNAgent.from_preset("dqn_acrobot")
        >>> episode_return, steps = kgen.rl.record_episode(agent, "Acrobot-v1", "acrobot.gif", seed=0)
        >>> steps < 500, episode_return == 1 - steps      # swung up before the limit; -1 a step, 0 at the end
        (True, True)
    """
    from PIL import Image

    frames, total, steps, render_fps = episode_frames(agent, env_id, seed, deterministic, every)
    fps = fps or render_fps / every
    images = [Image.fromarray(frame) for frame in frames]
    if scale != 1:
        size = (max(1, int(images[0].width * scale)), max(1, int(images[0].height * scale)))
        images = [image.resize(size, Image.BILINEAR) for image in images]
    images = [image.convert("P", palette=Image.ADAPTIVE, colors=32) for image in images]
    with files.atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return total, steps
