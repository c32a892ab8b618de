"""Train REINFORCE on CartPole with `fit`, comparing the three baselines.

    python examples/train_reinforce.py [--steps 200000] [--seed 0] [--out out/reinforce]

The baseline only changes the variance of the score-function gradient, not its
mean (see docs/gradient-estimators.md); on CartPole a learned value baseline
learns fastest. Writes the three training curves to OUT/curves.png.
"""

import argparse
import dataclasses
import os

import kgen
from kgen import plot
from kgen.recipes import ReinforceCartPole

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=200_000)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", default="out/reinforce")
parser.add_argument("--quick", action="store_true", help="2,000 env steps per baseline, 2 evaluation episodes")
args = parser.parse_args()
if args.quick:
    args.steps = 2000
episodes = 2 if args.quick else 20

curves = {}
for baseline in ("value", "mean", None):
    recipe = dataclasses.replace(ReinforceCartPole(seed=args.seed), env_steps=args.steps, baseline=baseline)
    agent = recipe.build(None)
    recipe.compile(agent, None)  # Adam, learning rate decaying linearly to 0 over the run
    history = agent.fit(env_steps=args.steps, log_interval=min(5000, args.steps), verbose=0)
    mean, std = kgen.rl.evaluate_policy(agent, "CartPole-v1", episodes=episodes, seed=recipe.eval_seed)
    print(f"baseline={baseline}: final training return {history.history['episode_return'][-1]:.1f}, "
          f"evaluation {mean:.1f} +/- {std:.1f} ({episodes} deterministic episodes)")
    curves[f"baseline={baseline}"] = (history.history["env_steps"], history.history["episode_return"])
os.makedirs(args.out, exist_ok=True)
print(plot.curves(curves, os.path.join(args.out, "curves.png"), xlabel="environment steps",
                  ylabel="mean return of the last 10 episodes", title=f"REINFORCE on CartPole-v1, seed {args.seed}"))
