"""The lab's RL page: a DQN agent learning CartPole live, after Karpathy's ConvNetJS "rldemo".

The worker thread drives `kgen.rl.DQNAgent.fit` in small calls (each continues where the last one
stopped), or, with learning off, plays the greedy policy on its own copy of the environment; the
page draws the environment from the observation, the Q-value of each action, the episode returns,
epsilon and the replay size.
"""

import collections
import time

import numpy as np

from kgen.core.adam import Adam
from kgen.core.errors import KgenTypeError
from kgen.core.validation import check_choice, check_int, check_number, fail
from kgen.lab.page import PUBLISH_INTERVAL, LabPage
from kgen.rl import DQNAgent, make_env

ENVIRONMENTS = {"CartPole-v1": "dqn_cartpole", "Acrobot-v1": "dqn_acrobot"}
"""The environments the page can draw, each with the preset that plays it."""
ACTION_NAMES = {"CartPole-v1": ("push left", "push right"), "Acrobot-v1": ("torque -1", "torque 0", "torque +1")}
SPEEDS = ("normal", "fast", "very fast")

NORMAL_RATE = 60.0
"""Environment steps per second at "normal" speed; each step is published, so the page draws every one."""
FAST_RATE = 600.0
"""Environment steps per second at "fast" speed, run in chunks of `FAST_CHUNK` (the page draws each chunk's end)."""
FAST_CHUNK = 30
VERY_FAST_SECONDS = 0.05
"""Work per `advance` at "very fast" speed (as many steps as fit in it): a control waits at most about this long."""
CATCH_UP_SECONDS = 0.25
"""At "normal" and "fast" speed, steps late by up to this long (a training round) are caught up, so the rate holds."""
RATE_WINDOW = 1.0
"""Seconds of work over which `steps_per_second` is measured."""
MAX_CURVE_POINTS = 256

AGENT_ARGUMENTS = dict(
    gamma=0.98,
    buffer_size=100_000,
    learning_starts=1_000,
    train_freq=256,
    gradient_steps=32,
    target_update_interval=1_000,
    exploration_final_eps=0.04,
)
"""The page agent's fixed `DQNAgent` arguments. Against the `dqn_cartpole` recipe (256x256 units, batch 64,
a gradient step per env step, the target copied every round): a 64x64 network and batch 256 (settings) and a
gradient step per 8 env steps, so that "very fast" runs thousands of env steps a second on two cores, each
transition still drawn ~32 times; the target network is copied every 1,000 env steps (4 rounds, 128 gradient
steps). With a constant learning rate and gamma 0.99 this smaller setup's Q-values drift past
1 / (1 - gamma) and the policy collapses once learned; hence gamma 0.98 (the recipe's) and
`LEARNING_RATE_DECAY`."""

LEARNING_RATE_DECAY = (200_000, 0.1)
"""(training env steps, final fraction): the learning rate falls linearly from the set one to that fraction
of it over that many training steps, then stays (the recipe's decay goes to 0 at the end of its run; a live
run has no end)."""

DEFAULT_SETTINGS = dict(env="CartPole-v1", learning_rate=1e-3, hidden_units=64, layers=2, batch_size=256,
                        exploration_steps=10_000, seed=0)
"""The settings a fresh page starts from (`set` changes them; see `RLPage.configure` for the bounds)."""


def decayed_learning_rate(initial, env_steps):
    """`initial` decayed linearly, as `LEARNING_RATE_DECAY` says, at `env_steps` training steps."""
    steps, final = LEARNING_RATE_DECAY
    return initial * max(final, 1.0 - env_steps / steps * (1.0 - final))


class ReturnCurve:
    """Episode returns as at most `max_points` points [env_step, mean return], each the mean of
    `bin_size` consecutive episodes; when full, neighbouring points merge and `bin_size` doubles,
    so a long run keeps its whole history at a fixed size.

    Args:
        max_points: even int >= 2, the most points kept (default 256).
    """

    def __init__(self, max_points=MAX_CURVE_POINTS):
        self.max_points = check_int("max_points", max_points, 2)
        if self.max_points % 2:
            fail("max_points", max_points, "an even integer (points merge in pairs)")
        self.points = []
        self.bin_size = 1
        self._sum = 0.0
        self._count = 0

    def add(self, env_step, value):
        """Record one episode's return, finished at page step `env_step`."""
        self._sum += float(value)
        self._count += 1
        if self._count < self.bin_size:
            return
        self.points.append([int(env_step), self._sum / self.bin_size])
        self._sum, self._count = 0.0, 0
        if len(self.points) >= self.max_points:
            pairs = zip(self.points[::2], self.points[1::2])
            self.points = [[second[0], (first[1] + second[1]) / 2] for first, second in pairs]
            self.bin_size *= 2

    def json(self):
        return [[step, round(value, 2)] for step, value in self.points]


class RLPage(LabPage):
    """A DQN agent on a gymnasium environment (CartPole-v1 by default, or Acrobot-v1), learning live.

    Controls (`{"action": name, ...}`), each validated before it is queued:

    - `play`, `pause`; `step`: pause, then exactly one environment step.
    - `speed` with `speed` one of "normal" (60 env steps/s, every step drawn), "fast" (600 env
      steps/s, drawn 20 times a second) or "very fast" (as fast as the machine goes; the page
      stops drawing the environment but keeps the numbers and the chart).
    - `learning` with `learning` true or false: off plays the current greedy policy on a copy of
      the environment, without training (refused for the pretrained preset, which does not train).
    - `set` with any of `env`, `learning_rate`, `hidden_units`, `layers`, `batch_size`,
      `exploration_steps`, `seed`: stored for the next `reset`; the learning rate also applies at once.
    - `reset` with an optional `seed`: a fresh agent from the settings, paused, learning on.
    - `preset`: load the environment's pretrained preset (`dqn_cartpole`) and watch it play.

    `snapshot()` holds the page's counts (`env_steps` counts every step the page ran for the
    current agent, learning or not), `epsilon` (of the actions being taken: 1 while the replay
    fills, 0 when greedy), `replay_size`, the training and greedy episode returns as decimated
    [env_step, return] curves, the observation, its Q-values and `steps_per_second`.
    """

    name = "rl"
    actions = {
        "play": "play",
        "pause": "pause",
        "step": "step",
        "speed": "set_speed",
        "learning": "set_learning",
        "set": "configure",
        "reset": "reset",
        "preset": "load_preset",
    }

    def __init__(self):
        super().__init__()
        self.settings = dict(DEFAULT_SETTINGS)
        self.speed = "normal"
        self.learning = True
        self.source = "new"
        self.agent = None
        self._published_at = 0.0

    # ------------------------------------------------------------------ controls (HTTP threads)

    def play(self):
        """Run the agent at the current speed."""
        def apply():
            self.running = True
            self._restart_clock()
        return apply

    def pause(self):
        """Stop running (the agent and its environment keep their state)."""
        def apply():
            self.running = False
            self._restart_clock()
        return apply

    def step(self):
        """Pause, then run exactly one environment step (learning or greedy, as set)."""
        def apply():
            self.running = False
            self._run(1)
            self._restart_clock()
        return apply

    def set_speed(self, speed):
        """Args:
            speed: str, "normal", "fast" or "very fast".
        """
        speed = check_choice("speed", speed, SPEEDS)

        def apply():
            self.speed = speed
            self._restart_clock()
        return apply

    def set_learning(self, learning):
        """Args:
            learning: bool, train while running (True) or play the greedy policy without training (False).
        """
        if not isinstance(learning, bool):
            fail("learning", learning, "true or false", KgenTypeError)
        if learning and self.source != "new":
            fail("learning", learning, f"false while the pretrained {self.source} plays (press reset for a fresh "
                 "agent that learns)")

        def apply():
            if learning != self.learning:
                self.learning = learning
                if not learning:
                    self._start_greedy_episode()
                self._restart_clock()
        return apply

    def configure(self, env=None, learning_rate=None, hidden_units=None, layers=None, batch_size=None,
                  exploration_steps=None, seed=None):
        """Change settings for the next `reset` (None leaves one as it is).

        Args:
            env: str, "CartPole-v1" or "Acrobot-v1".
            learning_rate: float in (0, 0.1], Adam's step size at the start (it decays, `LEARNING_RATE_DECAY`);
                also applied to the current agent at once.
            hidden_units: int in [4, 512], units of each hidden layer of the Q-network.
            layers: int in [1, 4], hidden layers of the Q-network.
            batch_size: int in [8, 1024], transitions per gradient step.
            exploration_steps: int in [0, 1,000,000], env steps over which epsilon falls from 1 to 0.04.
            seed: int in [0, 2**31 - 1], seeds the agent's weights, environment and exploration.
        """
        given = {}
        if env is not None:
            given["env"] = check_choice("env", env, tuple(ENVIRONMENTS))
        if learning_rate is not None:
            given["learning_rate"] = check_number("learning_rate", learning_rate, 0.0, 0.1, low_open=True)
        if hidden_units is not None:
            given["hidden_units"] = check_int("hidden_units", hidden_units, 4, 512)
        if layers is not None:
            given["layers"] = check_int("layers", layers, 1, 4)
        if batch_size is not None:
            given["batch_size"] = check_int("batch_size", batch_size, 8, 1024)
        if exploration_steps is not None:
            given["exploration_steps"] = check_int("exploration_steps", exploration_steps, 0, 1_000_000)
        if seed is not None:
            given["seed"] = check_int("seed", seed, 0, 2**31 - 1)

        def apply():
            self.settings.update(given)
            if "learning_rate" in given:
                self._decay_learning_rate()
        return apply

    def reset(self, seed=None):
        """A fresh agent built from the settings, paused, learning on.

        Args:
            seed: optional int in [0, 2**31 - 1], replaces the settings' seed.
        """
        apply_settings = self.configure(seed=seed)

        def apply():
            apply_settings()
            self.running = False
            self._use(self._new_agent(), "new", learning=True)
        return apply

    def load_preset(self):
        """Load the selected environment's pretrained preset (`dqn_cartpole`) and play it greedily at normal speed."""
        preset = ENVIRONMENTS[self.settings["env"]]

        def apply():
            agent = DQNAgent.from_preset(preset)
            self._use(agent, f"preset {preset}", learning=False)
            self.speed = "normal"
            self.running = True
        return apply

    # ------------------------------------------------------------------ worker thread

    def setup(self):
        self._use(self._new_agent(), "new", learning=True)

    def _new_agent(self):
        settings = self.settings
        agent = DQNAgent(
            settings["env"],
            hidden_units=(settings["hidden_units"],) * settings["layers"],
            batch_size=settings["batch_size"],
            exploration_steps=settings["exploration_steps"],
            seed=settings["seed"],
            **AGENT_ARGUMENTS,
        )
        agent.compile(Adam(settings["learning_rate"], global_clipnorm=10.0))
        return agent

    def learning_rate(self):
        """The learning rate of the current agent's next update (None for the preset, which does not train)."""
        if self.source != "new":
            return None
        return decayed_learning_rate(self.settings["learning_rate"], self.agent.env_steps)

    def _decay_learning_rate(self):
        rate = self.learning_rate()
        if rate is not None and rate != self._rate:
            self.agent.optimizer.learning_rate = rate
            self._rate = rate

    def _use(self, agent, source, learning):
        """Make `agent` the page's, with fresh counts and curves."""
        self.agent, self.source, self.learning = agent, source, learning
        self._rate = None  # the learning rate last given to the optimizer
        self.env_steps = 0
        self.episodes = 0
        self.last_return = None
        self._fit_episodes = 0  # the agent's finished training episodes already in the curve
        self.training_curve = ReturnCurve()
        self.greedy_curve = ReturnCurve()
        self._greedy_env = make_env(agent.env_id)
        self._greedy_env.reset(seed=self.settings["seed"] + 1)  # not the training episodes' starts
        self._start_greedy_episode()
        self._chunk = 200
        self._restart_clock()

    def _start_greedy_episode(self):
        observation, _ = self._greedy_env.reset()
        self._greedy_observation = np.asarray(observation, np.float32)
        self._greedy_return = 0.0

    def advance(self):
        if self.speed == "very fast":
            started = time.perf_counter()
            self._run(self._chunk)
            elapsed = max(time.perf_counter() - started, 1e-6)
            # halfway (geometrically) to the size that would have taken VERY_FAST_SECONDS: a chunk holding a
            # training round is slower than one without, and the size should not swing with them
            self._chunk = int(np.clip(self._chunk * np.sqrt(VERY_FAST_SECONDS / elapsed), 20, 5_000))
        else:
            chunk, rate = (1, NORMAL_RATE) if self.speed == "normal" else (FAST_CHUNK, FAST_RATE)
            self._wait_until_due(chunk / rate)
            self._run(chunk)
        # The base loop publishes only when a full PUBLISH_INTERVAL has passed, which chunks of about that
        # length miss half the time: publish each normal step and fast chunk, and very fast at ~20 a second.
        now = time.perf_counter()
        if self.speed != "very fast" or now - self._published_at >= 0.8 * PUBLISH_INTERVAL:
            self.publish()
            self._published_at = now
        self._tick()
        return True

    def _wait_until_due(self, interval):
        now = time.perf_counter()
        if self._due is None or now - self._due > max(interval, CATCH_UP_SECONDS):
            self._due = now  # far behind (a compile, a long pause of the machine): go on from now rather than race
        elif self._due > now:
            time.sleep(self._due - now)
        self._due += interval

    def _run(self, steps):
        """`steps` environment steps: `fit` when learning, else the greedy policy on the page's environment."""
        if self.learning:
            self._decay_learning_rate()
            history = self.agent.fit(env_steps=steps, verbose=0, log_interval=10**9)
            self.env_steps += steps
            episodes = int(history.history["episodes"][-1])
            new = episodes - self._fit_episodes
            if new:
                # fit does not say at which of its steps each episode ended: spread them over the chunk
                start = self.env_steps - steps
                for i, value in enumerate(self.agent.episode_returns[-new:]):
                    self._finished(value, self.training_curve, start + round((i + 1) * steps / new))
            self._fit_episodes = episodes
            return
        env, agent = self._greedy_env, self.agent
        for _ in range(steps):
            observation, reward, terminated, truncated, _ = env.step(agent.env_action(self._greedy_observation))
            self.env_steps += 1
            self._greedy_return += float(reward)
            if terminated or truncated:
                self._finished(self._greedy_return, self.greedy_curve, self.env_steps)
                self._start_greedy_episode()
            else:
                self._greedy_observation = np.asarray(observation, np.float32)

    def _finished(self, value, curve, env_step):
        self.episodes += 1
        self.last_return = float(value)
        curve.add(env_step, value)

    def _restart_clock(self):
        self._due = None
        self._samples = collections.deque([(time.perf_counter(), self.env_steps)])

    def _tick(self):
        now = time.perf_counter()
        self._samples.append((now, self.env_steps))
        while len(self._samples) > 2 and now - self._samples[1][0] >= RATE_WINDOW:
            self._samples.popleft()

    def steps_per_second(self):
        """Environment steps per second over the last second or so of running (0 when paused)."""
        if not self.running:
            return 0.0
        (start, first), last = self._samples[0], self._samples[-1][1]
        # at least a fifth of a second: just after play, one step over a millisecond is no rate
        return (last - first) / max(time.perf_counter() - start, 0.2)

    def observation(self):
        """The observation the agent acts on next (None before a fresh agent's first step)."""
        if not self.learning:
            return self._greedy_observation
        observations = self.agent.observations
        return None if observations is None else observations[0]

    def epsilon(self):
        """The exploration rate of the actions being taken."""
        agent = self.agent
        if not self.learning:
            return 0.0
        return 1.0 if agent.env_steps < agent.learning_starts else float(agent.epsilon)

    def snapshot(self):
        agent, observation = self.agent, self.observation()
        q_values = [] if observation is None else agent.q_values(observation)
        return {
            "env": agent.env_id,
            "action_names": list(ACTION_NAMES[agent.env_id]),
            "source": self.source,
            "preset": ENVIRONMENTS[self.settings["env"]],
            "speed": self.speed,
            "learning": self.learning,
            "env_steps": self.env_steps,
            "training_steps": agent.env_steps,
            "episodes": self.episodes,
            "last_return": self.last_return,
            "epsilon": round(self.epsilon(), 4),
            "learning_rate": self.learning_rate(),
            "replay_size": 0 if agent.buffer is None else len(agent.buffer),
            "steps_per_second": round(self.steps_per_second(), 1),
            "observation": None if observation is None else [round(float(v), 4) for v in observation],
            "q_values": [round(float(v), 4) for v in q_values],
            "returns": self.training_curve.json(),
            "greedy_returns": self.greedy_curve.json(),
            "episodes_per_point": [self.training_curve.bin_size, self.greedy_curve.bin_size],
            "settings": dict(self.settings),
        }
