"""`kgen train` survives SIGKILL: killed mid-epoch, then again inside a checkpoint write, the same
command rerun twice finishes at the uninterrupted run's step count with its weights
(tests/crash_run.py does the killing)."""

import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CRASH_RUN = os.path.join(HERE, "crash_run.py")

# small runs of the real recipes: 16 batches an epoch, a checkpoint every 5
IMAGE_RUN = ["--epochs", "2", "--batch-size", "64", "--train-subset", "1024", "--checkpoint-every", "5"]
RUNS = {
    "classifier": ["train", "classifier", *IMAGE_RUN, "--limit", "64"],
    "vae": ["train", "vae", *IMAGE_RUN, "--limit", "16", "--num-samples", "10"],
    "dcgan": ["train", "dcgan", *IMAGE_RUN, "--clusters", "4", "--limit", "64"],
    # 250-step chunks; checkpoints every 500 environment steps and at each 1,000-step epoch
    "dqn": ["train", "dqn", "--env-steps", "2000", "--hidden-units", "64", "64", "--eval-episodes", "2",
            "--checkpoint-every", "500"],
}
KILL_AFTER = {"classifier": 11, "vae": 11, "dcgan": 11, "dqn": 5}
"""Batches (agent: chunks) into the first run at which it is killed: after a checkpoint, mid-epoch."""


def kgen(args, out, *crash):
    done = subprocess.run([sys.executable, CRASH_RUN, *crash, "--", *args, "--out", str(out)], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return done


def finished(done):
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return int(re.search(r"training ended after (\d+)", done.stdout).group(1))


def killed(done):
    assert done.returncode == -signal.SIGKILL, done.stdout[-2000:] + done.stderr[-3000:]
    assert "crash_run: SIGKILL" in done.stdout


def weights(folder):
    import keras

    from kgen import presets

    return presets.load(keras.Model, str(folder)).get_weights()


# every killed run is -m slow (each is three processes); the default suite resumes in process:
# tests/test_checkpoint.py (the image families) and tests/test_rl_model_based.py (an agent, its replay buffer
# and environment included)
IN_DEFAULT_SUITE = ()


@pytest.mark.data
@pytest.mark.parametrize("family", [family if family in IN_DEFAULT_SUITE else pytest.param(family, marks=pytest.mark.slow)
                                    for family in sorted(RUNS)])
def test_killed_twice_the_rerun_command_ends_as_an_uninterrupted_run(family, tmp_path, fashion_mnist_test):
    args = RUNS[family]
    steps = finished(kgen(args, tmp_path / "uninterrupted"))

    out = tmp_path / "crashed"
    killed(kgen(args, out, "--kill-after-batches", str(KILL_AFTER[family])))
    assert (out / "checkpoint" / "state.json").is_file()
    killed(kgen(args, out, "--kill-in-write", "2"))   # the second checkpoint the resumed run writes
    assert (out / "checkpoint" / "state.json").is_file()  # the one before the torn write
    rerun = kgen(args, out)
    assert "continued the run checkpointed in" in rerun.stdout
    assert finished(rerun) == steps
    assert not (out / "checkpoint").exists()  # the preset replaced it

    pairs = list(zip(weights(tmp_path / "uninterrupted"), weights(out)))
    print(f"{family}: {steps} steps; largest weight difference after two kills and resumes: "
          f"{max(float(np.abs(a - b).max()) for a, b in pairs):.3g}")  # shown by pytest -rP
    for a, b in pairs:
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)


@pytest.mark.slow  # the refusal itself is tested in process in tests/test_checkpoint.py
@pytest.mark.data
def test_a_checkpoint_of_another_command_is_refused_and_fresh_starts_over(tmp_path, fashion_mnist_test):
    args = RUNS["classifier"]
    out = tmp_path / "run"
    killed(kgen(args, out, "--kill-after-batches", "6"))
    other = kgen([*args, "--learning-rate", "0.002"], out)
    assert other.returncode == 1
    assert "belongs to a different run" in other.stderr and "--fresh" in other.stderr
    assert other.stderr.strip().splitlines()[-1].startswith("kgen train: error: the checkpoint")  # one line, no traceback
    assert "Traceback" not in other.stderr
    fresh = kgen([*args, "--learning-rate", "0.002", "--fresh"], out)
    assert "continued the run" not in fresh.stdout
    assert finished(fresh) == 32
