"""Train a tiny kgen model N steps on one device and under MirroredStrategy on 2 logical CPU devices,
from the same seed, initial weights and global batches; print the largest relative weight difference.

Run as a script (the logical devices must be set before TensorFlow starts):
    python tests/distributed_check.py FAMILY      (gan, cgan, wgan, vae or classifier; one per process)
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

STEPS, GLOBAL_BATCH = 4, 16


def build(family):
    from kgen.models import DCGAN, VAE, Classifier
    from kgen.models import vae_networks as nets

    if family in ("gan", "cgan", "wgan"):
        return DCGAN(latent_dim=8, base_filters=4, seed=3, ema=0.9, num_classes=3 if family == "cgan" else None,
                     loss="wgan-gp" if family == "wgan" else "non_saturating")
    if family == "vae":
        return VAE(nets.conv_encoder(latent_dim=4), nets.conv_decoder(latent_dim=4), 4, binarize=True, seed=3)
    return Classifier(filters=(4,), dense_units=8, dropout=0.25, seed=3)


def data(family):
    rng = np.random.default_rng(0)
    x = rng.random((STEPS * GLOBAL_BATCH, 28, 28, 1), dtype="float32")
    y = (np.arange(len(x)) % (3 if family == "cgan" else 10)).astype("int32")
    return (x, y) if family in ("cgan", "classifier") else (x,)


def train(family, initial, strategy=None):
    keras.utils.set_random_seed(0)
    scope = strategy.scope() if strategy is not None else tf.name_scope("one_device")
    with scope:
        model = build(family)
        model.set_weights(initial)
        model.compile()
    arrays = data(family)
    dataset = tf.data.Dataset.from_tensor_slices(arrays if len(arrays) > 1 else arrays[0]).batch(GLOBAL_BATCH)
    model.fit(dataset, epochs=1, verbose=0, shuffle=False)
    return model.get_weights()


def main(family):
    keras.utils.set_random_seed(0)
    initial = build(family).get_weights()
    single = train(family, initial)
    mirrored = train(family, initial, tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
    worst = max(float(np.linalg.norm(a - b) / max(np.linalg.norm(a), 1e-12)) for a, b in zip(single, mirrored))
    moved = max(float(np.linalg.norm(a - b) / max(np.linalg.norm(a), 1e-12)) for a, b in zip(single, initial))
    print(json.dumps({"family": family, "max_relative_difference": worst, "max_change_from_initial": moved}))


if __name__ == "__main__":
    main(sys.argv[1])
