"""kgen's RL agents beside Stable-Baselines3, in one process, with the same budgets.

Training (default): for each seed, trains kgen's recipe (`kgen.recipes.DQNCartPole`,
`DQNAcrobot` or `ReinforceCartPole`, the ones behind the presets) and then SB3 with
the rl-baselines3-zoo hyperparameters for the same environment and number of
environment steps; both are scored on the same 20 episodes (reset seeds
1000..1019, deterministic actions). Prints, per seed, the final evaluation return
and the wall-clock of training, and the ratio of the median times. SB3 runs only
when it is importable (`pip install stable-baselines3`, with torch CPU) and for
DQN (SB3 has no REINFORCE; --no-sb3 skips it).

    python benchmarks/rl.py [--algo dqn|reinforce] [--env CartPole-v1] [--steps N] [--seeds 0 1 2] [--no-sb3]
                            [--set batch_size=64 --set gradient_steps=128]   # a variant of kgen's recipe

Throughput (--throughput): the agent loop alone (act with the network + store in
the replay buffer, no training) on CartPole-v1 with one environment, kgen's DQN
beside SB3's DQN collecting the same way (gradient_steps=0: it acts and stores, never trains),
environment steps per second and the ratio, 3 interleaved rounds (median).

    python benchmarks/rl.py --throughput [--steps 20000]
"""

import argparse
import ast
import dataclasses
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from kgen import recipes  # noqa: E402
from kgen.recipes.rl import EVAL_SEED  # noqa: E402 - the cards' reset seeds
from kgen.rl import DQNAgent  # noqa: E402
from kgen.rl.evaluation import run_episodes  # noqa: E402

EVAL_EPISODES = 20
ALGORITHMS = ("dqn", "reinforce")  # the RL recipe families (`kgen train dqn|reinforce`)

# rl-baselines3-zoo hyperparams/dqn.yml
ZOO_DQN = {
    "CartPole-v1": dict(learning_rate=2.3e-3, batch_size=64, buffer_size=100_000, learning_starts=1_000, gamma=0.99,
                        target_update_interval=10, train_freq=256, gradient_steps=128, exploration_fraction=0.16,
                        exploration_final_eps=0.04, policy_kwargs=dict(net_arch=[256, 256])),
    "Acrobot-v1": dict(learning_rate=6.3e-4, batch_size=128, buffer_size=50_000, learning_starts=0, gamma=0.99,
                       target_update_interval=250, train_freq=4, gradient_steps=-1, exploration_fraction=0.12,
                       exploration_final_eps=0.1, policy_kwargs=dict(net_arch=[256, 256])),
}


def _sb3():
    try:
        import stable_baselines3
    except ImportError:
        return None
    return stable_baselines3


def sb3_returns(model, env_id):
    """SB3's model on the same 20 evaluation episodes as kgen's agents."""
    import gymnasium as gym

    env = gym.make(env_id)
    returns = []
    for episode in range(EVAL_EPISODES):
        obs, _ = env.reset(seed=EVAL_SEED + episode)
        total, done = 0.0, False
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, reward, terminated, truncated, _ = env.step(action)
            total += reward
            done = terminated or truncated
        returns.append(total)
    return returns


def train_kgen(algo, env_id, steps, seed, overrides):
    recipe = dataclasses.replace(recipes.recipe_class(algo, env_id)(seed=seed), env_steps=steps, **overrides)
    agent = recipe.build(None)
    recipe.compile(agent, None)  # Adam, learning rate decaying linearly to 0 over `steps`, as the preset's
    started = time.perf_counter()
    agent.fit(env_steps=steps, verbose=0, log_interval=steps)
    elapsed = time.perf_counter() - started
    return float(np.mean(run_episodes(agent, env_id, EVAL_EPISODES, EVAL_SEED))), elapsed


def train_sb3(sb3, env_id, steps, seed):
    model = sb3.DQN("MlpPolicy", env_id, seed=seed, verbose=0, **ZOO_DQN[env_id])
    started = time.perf_counter()
    model.learn(total_timesteps=steps)
    elapsed = time.perf_counter() - started
    return float(np.mean(sb3_returns(model, env_id))), elapsed


def training(args):
    steps = args.steps or recipes.recipe_class(args.algo, args.env)().env_steps
    sb3 = None if args.no_sb3 or args.algo != "dqn" else _sb3()
    if sb3 is None and not args.no_sb3 and args.algo == "dqn":
        print("stable-baselines3 is not importable: kgen rows only")
    if args.overrides:
        print(f"kgen recipe with {args.overrides}")
    print(f"{args.algo} on {args.env}, {steps:,} environment steps, evaluation: mean return of "
          f"{EVAL_EPISODES} deterministic episodes (reset seeds {EVAL_SEED}..{EVAL_SEED + EVAL_EPISODES - 1})")
    header = f"{'seed':>4}  {'kgen return':>11}  {'kgen s':>7}  {'steps/s':>8}"
    if sb3:
        header += f"  {'SB3 return':>10}  {'SB3 s':>7}  {'SB3/kgen time':>13}"
    print(header)
    rows = []
    for seed in args.seeds:
        k_return, k_time = train_kgen(args.algo, args.env, steps, seed, args.overrides)
        line = f"{seed:>4}  {k_return:>11.1f}  {k_time:>7.1f}  {steps / k_time:>8.0f}"
        row = [k_return, k_time]
        if sb3:
            s_return, s_time = train_sb3(sb3, args.env, steps, seed)
            line += f"  {s_return:>10.1f}  {s_time:>7.1f}  {s_time / k_time:>12.2f}x"
            row += [s_return, s_time]
        print(line, flush=True)
        rows.append(row)
    rows = np.array(rows)
    threshold = args.threshold
    summary = (f"kgen: {int(np.sum(rows[:, 0] >= threshold))}/{len(rows)} seeds >= {threshold}, "
               f"median {statistics.median(rows[:, 1]):.1f} s")
    if sb3:
        summary += (f"; SB3: {int(np.sum(rows[:, 2] >= threshold))}/{len(rows)} seeds >= {threshold}, "
                    f"median {statistics.median(rows[:, 3]):.1f} s; SB3/kgen median time "
                    f"{statistics.median(rows[:, 3]) / statistics.median(rows[:, 1]):.2f}x")
    print(summary)


def throughput(args):
    import gymnasium as gym

    steps = args.steps or 20_000
    agent = DQNAgent("CartPole-v1", seed=0, learning_starts=0, train_freq=10**9, exploration_steps=0,
                     exploration_final_eps=0.05, buffer_size=steps)
    agent.compile()
    sb3 = _sb3()
    sb3_model = None
    if sb3:
        # gradient_steps=0: SB3 acts epsilon-greedily with its network and stores, but never trains
        sb3_model = sb3.DQN("MlpPolicy", gym.make("CartPole-v1"), seed=0, learning_starts=0, gradient_steps=0,
                            buffer_size=steps, exploration_fraction=1e-9, exploration_final_eps=0.05,
                            policy_kwargs=dict(net_arch=[256, 256]))
    rates = {"kgen": [], "SB3": []}
    for _ in range(args.rounds):
        started = time.perf_counter()
        agent.fit(env_steps=steps, verbose=0, log_interval=steps)
        rates["kgen"].append(steps / (time.perf_counter() - started))
        if sb3_model is not None:
            started = time.perf_counter()
            sb3_model.learn(total_timesteps=steps, reset_num_timesteps=False)
            rates["SB3"].append(steps / (time.perf_counter() - started))
    print(f"agent loop (act + store, no training), CartPole-v1, one env, {steps:,} steps x {args.rounds} rounds")
    kgen_rate = statistics.median(rates["kgen"])
    print(f"kgen DQNAgent: {kgen_rate:,.0f} env steps/s (median; rounds {', '.join(f'{r:,.0f}' for r in rates['kgen'])})")
    if rates["SB3"]:
        sb3_rate = statistics.median(rates["SB3"])
        print(f"SB3 DQN:       {sb3_rate:,.0f} env steps/s (median); kgen/SB3 {kgen_rate / sb3_rate:.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--throughput", action="store_true")
    parser.add_argument("--algo", choices=[f for f in recipes.families() if f in ALGORITHMS], default="dqn")
    parser.add_argument("--env", default="CartPole-v1")
    parser.add_argument("--steps", type=int, default=None, help="environment steps (default: the recipe's)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threshold", type=float, default=None, help="solved at (default 475 CartPole, -100 Acrobot)")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds")
    parser.add_argument("--no-sb3", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="replace one of the recipe's fields (agent arguments), e.g. --set batch_size=64 (repeatable)")
    args = parser.parse_args()
    args.overrides = {name: ast.literal_eval(value) for name, value in (item.split("=", 1) for item in args.set)}
    if args.threshold is None:
        args.threshold = -100.0 if args.env.startswith("Acrobot") else 475.0
    throughput(args) if args.throughput else training(args)


if __name__ == "__main__":
    main()
