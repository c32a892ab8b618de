"""`fit` under `tf.distribute` gives the one-device weights: losses averaged over the global batch,
noise keyed to each example's row of the global batch, batch statistics synchronised.

On 2 logical CPU devices under MirroredStrategy (tests/distributed_check.py), and as 2 worker
processes on 127.0.0.1 under MultiWorkerMirroredStrategy (tests/multiworker_check.py), where
both workers must end with the same weights and only the chief writes the checkpoint.
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
from distributed_models import relative_difference

FAMILIES = ("gan", "cgan", "wgan", "vae", "pixelcnn", "classifier", "dqn", "reinforce")
HERE = os.path.dirname(os.path.abspath(__file__))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def last_json(stdout):
    return json.loads([line for line in stdout.splitlines() if line.startswith("{")][-1])


@pytest.fixture(scope="module")
def mirrored_rows():
    # one fresh process for all families: the CPU is split into logical devices before TensorFlow starts
    done = subprocess.run([sys.executable, os.path.join(HERE, "distributed_check.py"), *FAMILIES],
                          capture_output=True, text=True, timeout=900, env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {row["family"]: row for row in rows}


@pytest.mark.parametrize("family", FAMILIES)
def test_two_replicas_give_the_one_device_weights(family, mirrored_rows):
    row = mirrored_rows[family]
    assert row["change_from_initial"] > 1e-3  # the steps really trained
    assert row["relative_difference"] < 1e-5, row


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("family", ["vae", pytest.param("cgan", marks=pytest.mark.slow)])
def test_two_workers_give_the_single_process_weights_and_only_the_chief_checkpoints(family, tmp_path):
    script = os.path.join(HERE, "multiworker_check.py")
    cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
    workers = [
        subprocess.Popen([sys.executable, script, family, str(tmp_path / "cluster")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         env={**ENV, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})})
        for i in range(2)
    ]
    (tmp_path / "cluster").mkdir()
    single = subprocess.run([sys.executable, script, family, str(tmp_path / "single"), "--single"],
                            capture_output=True, text=True, timeout=600, env=ENV)
    outputs = [worker.communicate(timeout=600) for worker in workers]
    for worker, (_, err) in zip(workers, outputs):
        assert worker.returncode == 0, err[-3000:]
    assert single.returncode == 0, single.stderr[-3000:]

    chief, other = (last_json(out) for out, _ in outputs)
    assert chief["replicas"] == other["replicas"] == 2
    assert chief["checkpoint_written_to"] == str(tmp_path / "cluster" / "checkpoint")
    assert other["checkpoint_written_to"] != chief["checkpoint_written_to"]
    assert not os.path.exists(other["checkpoint_written_to"])  # the worker's temporary folder is gone
    assert sorted(os.listdir(tmp_path / "cluster")) == ["checkpoint", "weights-worker-0.npz", "weights-worker-1.npz"]

    def weights(folder, task):
        with np.load(tmp_path / folder / f"weights-{task}.npz") as stored:
            return [stored[name] for name in stored.files]

    reference = weights("single", "single")
    assert relative_difference(weights("cluster", "worker-1"), weights("cluster", "worker-0")) == 0.0
    assert relative_difference(weights("cluster", "worker-0"), reference) < 1e-5
