"""The MDP vocabulary on a grid: V*, Q* and pi* by value iteration, checked by policy iteration.

    python examples/gridworld_value_iteration.py [--slip 0.2] [--out docs/images/gridworld.png]

Then the same MDP as a gymnasium environment, where the optimal policy's average
return over sampled episodes matches V*(start).
"""

import argparse

import numpy as np

from kgen import plot
from kgen.rl import TabularEnv, mdp

parser = argparse.ArgumentParser()
parser.add_argument("--slip", type=float, default=0.2)
parser.add_argument("--gamma", type=float, default=0.95)
parser.add_argument("--out", default="out/gridworld.png")
parser.add_argument("--quick", action="store_true", help="100 episodes instead of 2000")
args = parser.parse_args()

world = mdp.GridWorld(["...G", ".#.X", "S..."], slip=args.slip, step_reward=-0.04, gamma=args.gamma)
values, policy = mdp.value_iteration(world.mdp)
q = mdp.q_values(world.mdp, values)
assert np.array_equal(policy, mdp.policy_iteration(world.mdp)[1])
print(world.render_policy(policy))
print("V* on the grid:\n", np.round(world.to_grid(values), 3))

start = world.state(2, 0)
env = TabularEnv(world, max_episode_steps=200)
returns = []
for episode in range(100 if args.quick else 2000):
    state, _ = env.reset(seed=episode)
    rewards, done = [], False
    while not done:
        state, reward, terminated, truncated, _ = env.step(policy[state])
        rewards.append(reward)
        done = terminated or truncated
    returns.append(mdp.discounted_return(rewards, world.mdp.gamma))
print(f"V*(start) = {values[start]:.4f}; mean discounted return of pi* over {len(returns)} episodes = "
      f"{np.mean(returns):.4f} +/- {np.std(returns) / np.sqrt(len(returns)):.4f}")
print(plot.gridworld(world, values, policy, q, args.out, title=f"slip {args.slip}, gamma {args.gamma}"))
