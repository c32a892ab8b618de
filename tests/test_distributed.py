"""Under `tf.distribute.MirroredStrategy` on 2 logical CPU devices, `fit` gives the one-device
weights: losses averaged over the global batch, noise keyed to each example's row of the global
batch, batch statistics synchronised (tests/distributed_check.py does the training)."""

import json
import os
import subprocess
import sys

import pytest

FAMILIES = ("gan", "cgan", "wgan", "vae", "classifier")
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distributed_check.py")


def check(family):
    # a fresh process per family: the CPU is split into logical devices before TensorFlow starts,
    # and one strategy's collectives per process
    done = subprocess.run([sys.executable, SCRIPT, family], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(next(line for line in done.stdout.splitlines() if line.startswith("{")))


@pytest.mark.parametrize("family", FAMILIES)
def test_two_replicas_give_the_one_device_weights(family):
    row = check(family)
    assert row["max_change_from_initial"] > 1e-3  # the steps really trained
    assert row["max_relative_difference"] < 1e-5, row
