"""Model-based RL in the tabular case: learn P-hat and R-hat by counting random experience,
plan with value iteration in the learnt MDP, and watch the planned policy approach pi* as
experience grows.

    python examples/gridworld_model_based.py [--quick] [--out docs/images/gridworld_model_based.png]

For each amount of experience (transitions of random-policy episodes from the start
cell), over several seeds: the planned policy's value at the start in the true MDP,
V^pi_hat(start), beside V*(start), and the share of states where it acts as pi* does.
"""

import argparse

import numpy as np

from kgen import plot
from kgen.rl import mdp

parser = argparse.ArgumentParser()
parser.add_argument("--slip", type=float, default=0.2)
parser.add_argument("--gamma", type=float, default=0.95)
parser.add_argument("--seeds", type=int, default=20)
parser.add_argument("--quick", action="store_true", help="3 seeds, 4 sizes")
parser.add_argument("--out", default="out/gridworld_model_based.png")
args = parser.parse_args()

world = mdp.GridWorld(["...G", ".#.X", "S..."], slip=args.slip, step_reward=-0.04, gamma=args.gamma)
truth = world.mdp
S, A = truth.num_states, truth.num_actions
optimal_values, optimal = mdp.value_iteration(truth)
start = world.state(2, 0)
live = ~truth.terminal
sizes = [25, 100, 400, 1600] if args.quick else [25, 50, 100, 200, 400, 800, 1600, 3200, 6400]
seeds = range(3 if args.quick else args.seeds)


def random_experience(count, seed):
    """`count` transitions of uniformly random episodes from the start cell (the agent sees `terminated`)."""
    rng = np.random.default_rng(seed)
    parts = {"states": [], "actions": [], "rewards": [], "next_states": []}
    collected = 0
    while collected < count:
        path = mdp.rollout(truth, np.full((S, A), 1 / A), steps=count - collected, seed=int(rng.integers(2**31)))
        parts["states"].append(path["states"][:-1])
        parts["next_states"].append(path["states"][1:])
        parts["actions"].append(path["actions"])
        parts["rewards"].append(path["rewards"])
        collected += len(path["actions"])
    experience = {key: np.concatenate(value) for key, value in parts.items()}
    experience["terminated"] = truth.terminal[experience["next_states"]]
    return experience


value_at_start, agreement = [], []
print(f"V*(start) = {optimal_values[start]:.3f}")
print("transitions | V^pi_hat(start) (mean, min over seeds) | states acting as pi*")
for size in sizes:
    values, agree = [], []
    for seed in seeds:
        model = mdp.estimate_mdp(random_experience(size, seed), S, A, gamma=args.gamma)
        _, planned = mdp.value_iteration(model)
        values.append(mdp.policy_evaluation(truth, planned)[start])
        agree.append(np.mean(planned[live] == optimal[live]))
    value_at_start.append(np.mean(values))
    agreement.append(np.mean(agree))
    print(f"{size:>11,} | {np.mean(values):.3f}, {np.min(values):.3f} | {np.mean(agree):.0%}")

print(plot.curves(
    {"V^pi_hat(start), planned in the learnt MDP": (sizes, value_at_start),
     "V^pi_hat(start), planned in the learnt MDP (exact)": (sizes, [optimal_values[start]] * len(sizes)),
     "share of states where pi_hat = pi*": (sizes, agreement)},
    args.out, xlabel="transitions of random experience", ylabel="value / share", logx=True,
    title=f"plan in a counted model (slip {args.slip}, {len(seeds)} seeds); dashed: V*(start)"))
