"""Train a tiny kgen model N steps on one device and under MirroredStrategy on 2 logical CPU devices,
from the same seed, initial weights and global batches; print the relative difference of the weights
(||w_mirrored - w_one|| / ||w_one|| over the whole model).

Run as a script (the logical devices must be set before TensorFlow starts):
    python tests/distributed_check.py FAMILY [FAMILY ...]   (gan, cgan, wgan, vae, classifier, dqn, reinforce)

One JSON line per family.

The agents (dqn, reinforce) run their update rule on synthetic replayed / collected batches.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
from distributed_models import AGENTS, GLOBAL_BATCH, build, data, relative_difference  # noqa: E402


def train(family, initial, strategy=None):
    keras.utils.set_random_seed(0)
    scope = strategy.scope() if strategy is not None else tf.name_scope("one_device")
    with scope:
        model = build(family)
        model.set_weights(initial)
        model.compile()
    if family in AGENTS:
        AGENTS[family](model)
        return model.get_weights()
    arrays = data(family)
    dataset = tf.data.Dataset.from_tensor_slices(arrays if len(arrays) > 1 else arrays[0]).batch(GLOBAL_BATCH)
    model.fit(dataset, epochs=1, verbose=0, shuffle=False)
    return model.get_weights()


def main(family, strategy):
    keras.utils.set_random_seed(0)
    initial = build(family).get_weights()
    single = train(family, initial)
    mirrored = train(family, initial, strategy)
    print(json.dumps({"family": family, "relative_difference": relative_difference(mirrored, single),
                      "change_from_initial": relative_difference(single, initial)}))


if __name__ == "__main__":
    # one strategy for every family: a second one's collective instance keys would collide with the first's
    mirrored_strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    for name in sys.argv[1:]:
        main(name, mirrored_strategy)
