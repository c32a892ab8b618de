"""The lab's RL page through its HTTP API: state, controls, bad input, the preset and the stream."""

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

pytest.importorskip("gymnasium")

from kgen.lab.rl_page import ReturnCurve, RLPage, decayed_learning_rate  # noqa: E402
from kgen.lab.server import LabServer  # noqa: E402

STATE_KEYS = {
    "env_steps", "episodes", "epsilon", "replay_size", "returns", "greedy_returns", "observation", "q_values",
    "speed", "learning", "steps_per_second", "source", "running", "error", "version",
}


@pytest.fixture(scope="module")
def server():
    server = LabServer({"rl": RLPage()}, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.close()
    thread.join(timeout=10)


@pytest.fixture
def lab(server):
    """A client of a paused, freshly reset page."""
    client = Client(server)
    client.control(action="reset", seed=0)
    client.control(action="speed", speed="normal")
    client.wait_for(lambda s: s["env_steps"] == 0 and not s["running"] and s["source"] == "new")
    return client


class Client:
    def __init__(self, server):
        self.server = server
        self.page = server.pages["rl"]

    def state(self):
        with urllib.request.urlopen(self.server.url + "api/rl/state", timeout=30) as response:
            return json.load(response)

    def post(self, payload):
        """(status, reply) of a control."""
        request = urllib.request.Request(self.server.url + "api/rl/control", data=json.dumps(payload).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def control(self, **payload):
        status, reply = self.post(payload)
        assert status == 200, reply
        return reply

    def wait_for(self, predicate, timeout=20.0):
        """The first state (polled) for which `predicate` holds: a control's reply can come before its state is published."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if predicate(state):
                return state
            assert time.monotonic() < deadline, f"the page never reached the expected state; last: {state}"
            time.sleep(0.02)


def test_state_holds_the_page_fields(lab):
    state = lab.state()
    assert STATE_KEYS <= set(state)
    assert state["speed"] == "normal" and state["learning"] is True and state["source"] == "new"
    assert state["epsilon"] == 1.0 and state["replay_size"] == 0 and state["returns"] == []
    assert state["env"] == "CartPole-v1" and state["preset"] == "dqn_cartpole"
    json.dumps(state)


def test_step_advances_exactly_one_env_step_learning_or_greedy(lab):
    for expected in (1, 2, 3):
        lab.control(action="step")
        state = lab.wait_for(lambda s, expected=expected: s["env_steps"] >= expected)
        assert state["env_steps"] == expected and state["training_steps"] == expected
        assert state["replay_size"] == expected
        assert len(state["observation"]) == 4 and len(state["q_values"]) == 2
    lab.control(action="learning", learning=False)
    lab.control(action="step")
    state = lab.wait_for(lambda s: s["env_steps"] >= 4)
    assert state["env_steps"] == 4 and state["training_steps"] == 3 and state["epsilon"] == 0.0
    assert not state["running"]


def test_play_raises_env_steps_and_pause_holds_them(lab):
    lab.control(action="play")
    playing = lab.wait_for(lambda s: s["env_steps"] >= 20 and s["steps_per_second"] > 0)
    assert playing["running"]
    lab.control(action="pause")
    paused = lab.wait_for(lambda s: not s["running"])
    time.sleep(0.3)
    held = lab.state()
    assert held["env_steps"] == paused["env_steps"] >= 20
    assert held["steps_per_second"] == 0


def test_very_fast_greedy_play_fills_the_return_curve(lab):
    lab.control(action="learning", learning=False)
    lab.control(action="speed", speed="very fast")
    lab.control(action="play")
    state = lab.wait_for(lambda s: len(s["greedy_returns"]) >= 3 and s["env_steps"] >= 200)
    assert state["speed"] == "very fast" and state["episodes"] >= 3
    assert all(len(point) == 2 for point in state["greedy_returns"])
    lab.control(action="pause")


@pytest.mark.parametrize("payload, named", [
    ({"action": "set", "learning_rate": -1}, "learning_rate"),
    ({"action": "set", "learning_rate": "__import__('os').system('true')"}, "learning_rate"),
    ({"action": "set", "hidden_units": 10**9}, "hidden_units"),
    ({"action": "set", "layers": 9}, "layers"),
    ({"action": "set", "batch_size": 2.5}, "batch_size"),
    ({"action": "set", "exploration_steps": -5}, "exploration_steps"),
    ({"action": "set", "env": "ALE/Pong-v5"}, "env"),
    ({"action": "set", "hidden": 8}, "control"),
    ({"action": "reset", "seed": -1}, "seed"),
    ({"action": "speed", "speed": "ludicrous"}, "speed"),
    ({"action": "learning", "learning": "yes"}, "learning"),
    ({"action": "fly"}, "action"),
    (["play"], "control"),
])
def test_bad_controls_get_400_naming_the_argument_and_the_worker_goes_on(lab, payload, named):
    status, reply = lab.post(payload)
    assert status == 400
    assert reply["error"].startswith(f"{named} must be"), reply
    lab.control(action="step")
    state = lab.wait_for(lambda s: s["env_steps"] >= 1)
    assert state["env_steps"] == 1 and state["error"] is None
    assert state["settings"]["hidden_units"] == 64 and state["settings"]["learning_rate"] == 1e-3


def test_settings_apply_at_reset_and_the_learning_rate_at_once(lab):
    lab.control(action="set", hidden_units=16, layers=1, batch_size=32, exploration_steps=500, learning_rate=5e-4)
    assert float(lab.page.agent.optimizer.learning_rate.numpy()) == pytest.approx(5e-4)
    assert lab.wait_for(lambda s: s["settings"]["learning_rate"] == 5e-4)["learning_rate"] == pytest.approx(5e-4)
    assert lab.page.agent.hidden_units == (64, 64)
    lab.control(action="reset", seed=7)
    state = lab.wait_for(lambda s: s["settings"]["seed"] == 7)
    assert state["settings"] == {"env": "CartPole-v1", "learning_rate": 5e-4, "hidden_units": 16, "layers": 1,
                                 "batch_size": 32, "exploration_steps": 500, "seed": 7}
    agent = lab.page.agent
    assert agent.hidden_units == (16,) and agent.batch_size == 32 and agent.exploration_steps == 500
    lab.control(action="set", hidden_units=64, layers=2, batch_size=256, exploration_steps=10_000,
                learning_rate=1e-3, seed=0)


def test_preset_loads_and_plays_without_learning(lab):
    lab.control(action="preset")
    state = lab.wait_for(lambda s: s["source"] == "preset dqn_cartpole" and s["env_steps"] >= 5)
    assert state["running"] and not state["learning"] and state["epsilon"] == 0.0
    assert state["speed"] == "normal" and state["replay_size"] == 0
    status, reply = lab.post({"action": "learning", "learning": True})
    assert status == 400 and reply["error"].startswith("learning must be false"), reply
    lab.control(action="pause")
    lab.control(action="reset")
    assert lab.wait_for(lambda s: s["source"] == "new")["learning"]


def test_stream_sends_state_as_server_sent_events(lab):
    lab.control(action="step")
    with urllib.request.urlopen(lab.server.url + "api/rl/stream", timeout=30) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        line = response.readline()
        while not line.startswith(b"data: "):
            line = response.readline()
    state = json.loads(line[len(b"data: "):])
    assert STATE_KEYS <= set(state) and state["env_steps"] >= 1


def test_return_curve_merges_neighbours_and_keeps_every_episode():
    curve = ReturnCurve(max_points=8)
    for episode in range(100):
        curve.add(episode + 1, episode)
    assert len(curve.points) < 8 and curve.bin_size == 16
    # each point is the mean return of its 16 episodes and sits at the last one's step
    assert curve.points == [[16 * (i + 1), 16 * i + 7.5] for i in range(6)]
    with pytest.raises(ValueError, match="max_points"):
        ReturnCurve(max_points=7)


def test_the_learning_rate_falls_linearly_to_a_tenth_then_stays():
    assert decayed_learning_rate(1e-3, 0) == pytest.approx(1e-3)
    assert decayed_learning_rate(1e-3, 100_000) == pytest.approx(5.5e-4)
    assert decayed_learning_rate(1e-3, 200_000) == pytest.approx(1e-4)
    assert decayed_learning_rate(1e-3, 10**7) == pytest.approx(1e-4)
