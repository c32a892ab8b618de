"""How far a model-based preset's learnt model drifts when it predicts k steps ahead.

    python examples/mbrl_model_error.py [--preset mbrl_cartpole] [--episodes 10] [--horizon 30]
                                        [--out docs/images/mbrl_model_error.png]

Plays `--episodes` episodes with the preset's own planner (reset seeds 2000, 2001, ...,
never its training or scoring ones), then from every step of them rolls the true
actions through the model open loop for k = 1..horizon steps, each member on its own
(its mean prediction) and the ensemble's average, and plots the root mean squared error
against the true states, each state dimension divided by its spread in these episodes.
"""

import argparse

import keras
import numpy as np

from kgen import plot, presets
from kgen.rl.envs import make_env, step_argument

parser = argparse.ArgumentParser()
parser.add_argument("--preset", default="mbrl_cartpole")
parser.add_argument("--episodes", type=int, default=10)
parser.add_argument("--horizon", type=int, default=30)
parser.add_argument("--out", default="out/mbrl_model_error.png")
parser.add_argument("--quick", action="store_true", help="one episode cut at 40 steps, 5 steps ahead")
args = parser.parse_args()
max_steps = 40 if args.quick else None
if args.quick:
    args.episodes, args.horizon = 1, 5

agent = presets.load(keras.Model, args.preset)
env = make_env(agent.env_id)
episodes = []
for episode in range(args.episodes):
    observation, _ = env.reset(seed=2000 + episode)
    states, actions, done = [observation], [], False
    while not done and len(actions) != max_steps:
        action = agent.predict_action(observation)
        observation, _, terminated, truncated, _ = env.step(step_argument(agent._to_env(action)))
        states.append(observation)
        actions.append(action)
        done = terminated or truncated
    episodes.append((np.array(states, "float32"), np.array(actions)))
spread = np.concatenate([states for states, _ in episodes]).std(0) + 1e-6

ensemble = agent.ensemble
members = ensemble.ensemble_size
squared = np.zeros((members + 1, args.horizon))  # per member, then the ensemble's average
counts = np.zeros(args.horizon)
for states, actions in episodes:
    starts = len(actions) - 1
    if starts < 1:
        continue
    for member in range(members + 1):
        predicted = states[:starts].copy()
        for k in range(min(args.horizon, starts)):
            rows = np.arange(starts - k)
            step_actions = actions[rows + k]
            if member < members:
                predicted = ensemble.predict(predicted[: len(rows)], step_actions, members=np.full(len(rows), member),
                                             deterministic=True)[0]
            else:  # the ensemble's average prediction
                predicted = np.mean([ensemble.predict(predicted[: len(rows)], step_actions,
                                                      members=np.full(len(rows), m), deterministic=True)[0]
                                     for m in range(members)], axis=0)
            error = ((predicted - states[rows + k + 1]) / spread) ** 2
            squared[member, k] += error.mean(1).sum()
            if member == 0:
                counts[k] += len(rows)
rmse = np.sqrt(squared / np.maximum(counts, 1))
ks = list(range(1, args.horizon + 1))
for k in (1, 5, 10, 20, args.horizon):
    if k <= args.horizon:
        print(f"k = {k:>2}: ensemble-average RMSE {rmse[-1, k - 1]:.3f}, members "
              + ", ".join(f"{value:.3f}" for value in rmse[:-1, k - 1]))
series = {f"member {m}": (ks, rmse[m]) for m in range(members)}
series["ensemble average"] = (ks, rmse[-1])
print(plot.curves(series, args.out, xlabel="steps predicted ahead (k)", ylabel="RMSE / state spread",
                  title=f"{args.preset}: open-loop prediction error on {args.episodes} held-out episodes"))
