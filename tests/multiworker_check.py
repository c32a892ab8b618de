"""Train a tiny kgen model for a few steps as one worker of a MultiWorkerMirroredStrategy cluster
(TF_CONFIG names it), or alone on one device (`--single`), with a `kgen.callbacks.Checkpoint`
in FOLDER/checkpoint; save the final weights to FOLDER/weights-<task>.npz and print where the
checkpoint was written.

    TF_CONFIG='{"cluster": {"worker": ["127.0.0.1:P0", "127.0.0.1:P1"]}, "task": {"type": "worker", "index": 0}}' \\
        python tests/multiworker_check.py FAMILY FOLDER          (one command per worker)
    python tests/multiworker_check.py FAMILY FOLDER --single
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from distributed_models import GLOBAL_BATCH, STEPS, build, data  # noqa: E402

from kgen.callbacks import Checkpoint  # noqa: E402
from kgen.recipes.training import batch_dataset, batch_indices  # noqa: E402


def main(family, folder, single):
    strategy = None if single else tf.distribute.MultiWorkerMirroredStrategy()
    task = "single" if single else f"worker-{strategy.cluster_resolver.task_id}"
    keras.utils.set_random_seed(0)
    with strategy.scope() if strategy is not None else tf.name_scope("one_device"):
        model = build(family)
        model.compile()
    examples = data(family)
    indices = batch_indices(len(examples[0]), GLOBAL_BATCH, seed=0, start_epoch=0, stop_epoch=1)
    checkpoint = Checkpoint(os.path.join(folder, "checkpoint"), every_n_steps=2)
    model.fit(batch_dataset(examples, indices, strategy), epochs=1, steps_per_epoch=STEPS, verbose=0,
              callbacks=[checkpoint])
    np.savez(os.path.join(folder, f"weights-{task}.npz"), *model.get_weights())
    print(json.dumps({"task": task, "checkpoint_written_to": checkpoint.last_written,
                      "replicas": 1 if strategy is None else strategy.num_replicas_in_sync}))


if __name__ == "__main__":
    os.makedirs(sys.argv[2], exist_ok=True)
    main(sys.argv[1], sys.argv[2], "--single" in sys.argv[3:])
