"""Train a DQN agent on CartPole with `fit`, then score it and watch one episode.

    python examples/train_dqn.py [--env CartPole-v1] [--steps 50000] [--seed 0] [--out out/dqn]

The agent is a keras.Model: `compile()` sets the optimizer, `fit(env_steps=...)`
runs the environment and returns a Keras History whose `episode_return` is
plotted to OUT/curve.png. The hyperparameters, the learning-rate schedule and the
stop (once 20 evaluation episodes average 475 on CartPole) are those of the
`dqn_cartpole` preset: `recipe.fit` calls the agent's `fit` with them
(`kgen.recipes.DQNCartPole`; `--env Acrobot-v1` uses `kgen.recipes.DQNAcrobot`'s).
"""

import argparse
import dataclasses
import os

import keras

import kgen
from kgen import plot, recipes

parser = argparse.ArgumentParser()
parser.add_argument("--env", default="CartPole-v1")
parser.add_argument("--steps", type=int, default=None)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", default="out/dqn")
parser.add_argument("--quick", action="store_true", help="500 env steps, 2 evaluation episodes")
args = parser.parse_args()
if args.quick:
    args.steps = 500
episodes = 2 if args.quick else 20

os.makedirs(args.out, exist_ok=True)
recipe = recipes.recipe_class("dqn", args.env)(seed=args.seed)
if args.steps:
    recipe = dataclasses.replace(recipe, env_steps=args.steps)
agent = recipe.build(None)
recipe.compile(agent, None)  # Adam, learning rate decaying linearly to 0 over the run
history = recipe.fit(agent, None, callbacks=[keras.callbacks.CSVLogger(os.path.join(args.out, "log.csv"))], verbose=2)
print(f"trained for {agent.env_steps:,} env steps")
mean, std = kgen.rl.evaluate_policy(agent, args.env, episodes=episodes, seed=recipe.eval_seed)
print(f"{args.env}: {mean:.1f} +/- {std:.1f} over {episodes} deterministic episodes")
print(plot.curves({"DQN": (history.history["env_steps"], history.history["episode_return"])},
                  os.path.join(args.out, "curve.png"), xlabel="environment steps",
                  ylabel="mean return of the last 10 episodes", title=f"DQN on {args.env}, seed {args.seed}"))
print(kgen.rl.record_episode(agent, args.env, os.path.join(args.out, "episode.gif"), seed=recipe.eval_seed))
