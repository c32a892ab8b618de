"""kgen's RL agents beside Stable-Baselines3, in one process, with the same budgets.

Training (default): for each seed, trains kgen's recipe (`kgen.recipes.DQNCartPole`,
`DQNAcrobot` or `ReinforceCartPole`, the ones behind the presets) and then SB3 with
the rl-baselines3-zoo hyperparameters for the same environment and number of
environment steps; both are scored on the same 20 episodes (reset seeds
1000..1019, deterministic actions). kgen's recipe trains as `kgen train` trains it,
through the recipe's `fit`: a recipe with `stop_at` (dqn_cartpole's 475) stops at
the first of its own evaluations (reset seeds 2000..2019) that reaches it, and
those evaluations count in its time; SB3 runs the zoo's whole budget. Prints, per
seed, the final evaluation return, the wall-clock of training and kgen's env
steps used, and the ratio of the median times. SB3 runs only
when it is importable (`pip install stable-baselines3`, with torch CPU) and for
DQN (SB3 has no REINFORCE; --no-sb3 skips it).

    python benchmarks/rl.py [--algo dqn|reinforce] [--env CartPole-v1] [--steps N] [--seeds 0 1 2] [--no-sb3]
                            [--set batch_size=64 --set gradient_steps=128]   # a variant of kgen's recipe

Model-based (--algo mbrl): per seed, environment steps until the mean return of the 20
evaluation episodes reaches the threshold (475 CartPole-v1, -200 Pendulum-v1), evaluated
every --eval-every steps, for kgen's model-based recipe (`mbrl_cartpole` / `mbrl_pendulum`),
kgen's DQN recipe and SB3's DQN with the zoo settings (CartPole), or SB3's SAC with the zoo
settings (Pendulum); and the model-based agent's planning time per action (median of 50
single-observation plans, the preset's settings, after training).

    python benchmarks/rl.py --algo mbrl [--env CartPole-v1|Pendulum-v1] [--seeds 0 1 2] [--no-sb3]

Planning cost (--plan-cost): milliseconds per action of the model-based agent's search
(CartPole-v1, an untrained agent's ensemble of 5 and value network, population 200, one
observation),
for ensemble widths and CEM settings, with and without XLA, interleaved rounds, medians,
and each as a ratio of the preset's settings.

    python benchmarks/rl.py --plan-cost [--rounds 3]

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
from interleaved import interleaved_seconds  # noqa: E402

from kgen import recipes  # noqa: E402
from kgen.recipes.rl import EVAL_SEED  # noqa: E402 - the cards' reset seeds
from kgen.rl import DQNAgent  # noqa: E402
from kgen.rl.evaluation import run_episodes  # noqa: E402

EVAL_EPISODES = 20
ALGORITHMS = ("dqn", "reinforce", "mbrl")  # the RL recipe families (`kgen train dqn|reinforce|mbrl`)
THRESHOLDS = {"CartPole-v1": 475.0, "Acrobot-v1": -100.0, "Pendulum-v1": -200.0}
PEER_STEPS = {"CartPole-v1": 50_000, "Pendulum-v1": 20_000}
"""Budgets of the model-free peers in the model-based comparison (the zoo's)."""

# rl-baselines3-zoo hyperparams/dqn.yml
ZOO_DQN = {
    "CartPole-v1": dict(learning_rate=2.3e-3, batch_size=64, buffer_size=100_000, learning_starts=1_000, gamma=0.99,
                        target_update_interval=10, train_freq=256, gradient_steps=128, exploration_fraction=0.16,
                        exploration_final_eps=0.04, policy_kwargs=dict(net_arch=[256, 256])),
    "Acrobot-v1": dict(learning_rate=6.3e-4, batch_size=128, buffer_size=50_000, learning_starts=0, gamma=0.99,
                       target_update_interval=250, train_freq=4, gradient_steps=-1, exploration_fraction=0.12,
                       exploration_final_eps=0.1, policy_kwargs=dict(net_arch=[256, 256])),
}


# rl-baselines3-zoo hyperparams/sac.yml
ZOO_SAC = {"Pendulum-v1": dict(learning_rate=1e-3)}


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
    """(evaluation return, seconds, env steps used) of kgen's recipe trained as `kgen train` trains
    it: the recipe's `fit`, with its `stop_at` evaluations when it has one (their time counts)."""
    recipe = dataclasses.replace(recipes.recipe_class(algo, env_id)(seed=seed), env_steps=steps, **overrides)
    agent = recipe.build(None)
    recipe.compile(agent, None)  # Adam, learning rate decaying linearly to 0 over `steps`, as the preset's
    started = time.perf_counter()
    recipe.fit(agent, None, verbose=0)
    elapsed = time.perf_counter() - started
    return float(np.mean(run_episodes(agent, env_id, EVAL_EPISODES, EVAL_SEED))), elapsed, agent.env_steps


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
    header = f"{'seed':>4}  {'kgen return':>11}  {'kgen s':>7}  {'env steps':>9}  {'steps/s':>8}"
    if sb3:
        header += f"  {'SB3 return':>10}  {'SB3 s':>7}  {'SB3/kgen time':>13}"
    print(header)
    rows = []
    for seed in args.seeds:
        k_return, k_time, k_steps = train_kgen(args.algo, args.env, steps, seed, args.overrides)
        line = f"{seed:>4}  {k_return:>11.1f}  {k_time:>7.1f}  {k_steps:>9,}  {k_steps / k_time:>8.0f}"
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


def steps_to_threshold(train_chunk, evaluate, budget, every, threshold):
    """Train `every` env steps at a time up to `budget`; the first step count whose evaluation
    reaches `threshold` (None if none does), and the evaluations."""
    curve, steps = [], 0
    while steps < budget:
        chunk = min(every, budget - steps)
        train_chunk(chunk)
        steps += chunk
        curve.append((steps, evaluate()))
        if curve[-1][1] >= threshold:
            return steps, curve
    return None, curve


def planning_ms(agent, repeats=50):
    observation = agent.observation_space.sample()
    agent.planner.plan(observation, seed=0)
    times = []
    for i in range(repeats):
        started = time.perf_counter()
        agent.planner.plan(observation, seed=i)
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def kgen_steps(algo, env_id, budget, seed, every, threshold, overrides=None):
    """(steps to the threshold or None, the evaluations, the agent) for kgen's `algo` recipe, its
    fields replaced by `overrides`."""
    recipe = dataclasses.replace(recipes.recipe_class(algo, env_id)(seed=seed), env_steps=budget, **(overrides or {}))
    agent = recipe.build(None)
    recipe.compile(agent, None)
    reached, curve = steps_to_threshold(
        lambda n: agent.fit(env_steps=n, verbose=0, log_interval=n),
        lambda: float(np.mean(run_episodes(agent, env_id, EVAL_EPISODES, EVAL_SEED))), budget, every, threshold)
    return reached, curve, agent


def sb3_steps(sb3, env_id, budget, seed, every, threshold):
    from stable_baselines3.common.callbacks import BaseCallback

    if env_id == "Pendulum-v1":
        model = sb3.SAC("MlpPolicy", env_id, seed=seed, verbose=0, **ZOO_SAC[env_id])
    else:
        model = sb3.DQN("MlpPolicy", env_id, seed=seed, verbose=0, **ZOO_DQN[env_id])
    curve = []

    class Evaluate(BaseCallback):
        def _on_step(self):
            if self.num_timesteps % every == 0:
                curve.append((self.num_timesteps, float(np.mean(sb3_returns(model, env_id)))))
                return curve[-1][1] < threshold  # stop once reached
            return True

    model.learn(total_timesteps=budget, callback=Evaluate())
    reached = curve[-1][0] if curve and curve[-1][1] >= threshold else None
    return reached, curve


def model_based(args):
    env_id, threshold = args.env, args.threshold
    budget = args.steps or recipes.recipe_class("mbrl", env_id)().env_steps
    every = args.eval_every or max(budget // 5, 1)
    peer_budget = PEER_STEPS[env_id]
    sb3 = None if args.no_sb3 else _sb3()
    peer = "SAC" if env_id == "Pendulum-v1" else "DQN"
    print(f"{env_id}: env steps until the mean return of {EVAL_EPISODES} deterministic episodes (reset seeds "
          f"{EVAL_SEED}..) reaches {threshold}; model-based evaluated every {every:,} of {budget:,} steps, "
          f"the peers every {peer_budget // 10:,} of {peer_budget:,} ('-': not reached)")
    if args.overrides:
        print(f"model-based recipe with {args.overrides}")
    header = f"{'seed':>4}  {'kgen MBRL':>9}  {'plan ms':>7}"
    if env_id == "CartPole-v1" and not args.no_dqn:
        header += f"  {'kgen DQN':>8}"
    if sb3:
        header += f"  {'SB3 ' + peer:>8}"
    print(header)
    show = lambda value: "-" if value is None else f"{value:,}"  # noqa: E731
    series = {}
    for seed in args.seeds:
        reached, curve, agent = kgen_steps("mbrl", env_id, budget, seed, every, threshold, args.overrides)
        series[f"kgen model-based, seed {seed}"] = tuple(zip(*curve))
        line = f"{seed:>4}  {show(reached):>9}  {planning_ms(agent):>7.1f}"
        if env_id == "CartPole-v1" and not args.no_dqn:
            dqn_reached, dqn_curve, _ = kgen_steps("dqn", env_id, peer_budget, seed, peer_budget // 10, threshold)
            series[f"kgen DQN, seed {seed}"] = tuple(zip(*dqn_curve))
            line += f"  {show(dqn_reached):>8}"
        if sb3:
            sb3_reached, sb3_curve = sb3_steps(sb3, env_id, peer_budget, seed, peer_budget // 10, threshold)
            series[f"SB3 {peer}, seed {seed}"] = tuple(zip(*sb3_curve))
            line += f"  {show(sb3_reached):>8}"
        print(line + "   model-based curve: " + ", ".join(f"{s:,}: {r:.0f}" for s, r in curve), flush=True)
    if args.plot:
        from kgen import plot

        print(plot.curves(series, args.plot, xlabel="environment steps", ylabel=f"mean return of {EVAL_EPISODES} episodes",
                          logx=True, title=f"{env_id}: return against experience"))


PLAN_SETTINGS = {  # name: (hidden_units, horizon, iterations, jit_compile)
    "preset: 64x64x64, H 15, 3 rounds, XLA": ((64, 64, 64), 15, 3, True),
    "the same without XLA": ((64, 64, 64), 15, 3, False),
    "128x128x128, H 15, 3 rounds, XLA": ((128, 128, 128), 15, 3, True),
    "PETS's 200x200x200, H 15, 5 rounds, XLA": ((200, 200, 200), 15, 5, True),
    "64x64x64, H 25, 3 rounds, XLA": ((64, 64, 64), 25, 3, True),
}


def plan_cost(args):
    from kgen.rl import ModelBasedAgent
    from kgen.rl.planners import Planner

    planners = {}
    for name, (hidden, horizon, iterations, jit) in PLAN_SETTINGS.items():
        agent = ModelBasedAgent("CartPole-v1", hidden_units=hidden, seed=0)  # its ensemble and value network
        planners[name] = Planner(agent.ensemble.step, 4, num_actions=2, horizon=horizon, population=200, elites=20,
                                 iterations=iterations, ensemble_size=5, grouped=True, discount=agent.gamma,
                                 terminal_value=agent.value, jit_compile=jit)
        planners[name].plan(np.zeros(4), seed=0)  # trace and compile

    def twenty_plans(planner):
        for i in range(20):
            planner.plan(np.zeros(4), seed=i)

    seconds = interleaved_seconds({name: lambda planner=planner: twenty_plans(planner)
                                   for name, planner in planners.items()}, args.rounds, warm_up=False)
    times = {name: [1000 * s / 20 for s in values] for name, values in seconds.items()}
    preset = statistics.median(times[next(iter(times))])
    print(f"ms per action (median of {args.rounds} interleaved rounds of 20 plans), population 200, ensemble of 5")
    for name, values in times.items():
        print(f"{name:<42} {statistics.median(values):7.1f} ms   {statistics.median(values) / preset:5.2f}x the preset's")


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


def literal(text):
    """A --set value: a Python literal (64, (64, 64), 0.5), else the text itself (known)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--throughput", action="store_true")
    parser.add_argument("--plan-cost", action="store_true")
    parser.add_argument("--algo", choices=[f for f in recipes.families() if f in ALGORITHMS], default="dqn")
    parser.add_argument("--env", default="CartPole-v1")
    parser.add_argument("--steps", type=int, default=None, help="environment steps (default: the recipe's)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threshold", type=float, default=None,
                        help="solved at (default 475 CartPole, -100 Acrobot, -200 Pendulum)")
    parser.add_argument("--eval-every", type=int, default=None, help="model-based: env steps between evaluations")
    parser.add_argument("--plot", default=None, help="model-based: PNG of the evaluation curves")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds")
    parser.add_argument("--no-sb3", action="store_true")
    parser.add_argument("--no-dqn", action="store_true", help="model-based: leave kgen's DQN out")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="replace one of the recipe's fields (agent arguments), e.g. --set batch_size=64 (repeatable)")
    args = parser.parse_args()
    args.overrides = {name: literal(value) for name, value in (item.split("=", 1) for item in args.set)}
    if args.threshold is None:
        args.threshold = THRESHOLDS[args.env]
    if args.throughput:
        throughput(args)
    elif args.plan_cost:
        plan_cost(args)
    elif args.algo == "mbrl":
        model_based(args)
    else:
        training(args)


if __name__ == "__main__":
    main()
