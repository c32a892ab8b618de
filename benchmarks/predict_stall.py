"""Whether Keras `predict` on a numpy array waits for tf.data's autotuning thread at its end,
as `fit` does at every epoch's (see `kgen.core.feeding`): the shipped classifier's features of
--images random images, computed in turn, for --rounds interleaved rounds, by:

- "direct": the compiled feature network called on batches of 500 in a Python loop (no
  tf.data at all: the floor);
- "keras predict": `feature_extractor.predict(x, batch_size=500)`, Keras's array adapter;
- "kgen features": `Classifier.features(x)`, which feeds the array through
  `kgen.core.feeding.predict_feed` (autotuning off).

Prints each one's median seconds, every round's, and the median over the floor's.

    python benchmarks/predict_stall.py [--images 10000] [--rounds 5]
"""

import argparse
import os
import statistics

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import kgen  # noqa: E402 - before TensorFlow: kgen chooses its CPU kernels (kgen.core.cpu_kernels)

# isort: split
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from interleaved import interleaved_seconds  # noqa: E402

BATCH = 500


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    classifier = kgen.models.Classifier.from_preset("fashion_mnist_classifier")
    network = classifier.feature_extractor
    x = np.random.default_rng(0).uniform(size=(args.images, 28, 28, 1)).astype("float32")
    step = tf.function(lambda batch: network(batch, training=False))
    contestants = {
        "direct": lambda: np.concatenate([step(tf.constant(x[i:i + BATCH])).numpy() for i in range(0, len(x), BATCH)]),
        "keras predict": lambda: network.predict(x, batch_size=BATCH, verbose=0),
        "kgen features": lambda: classifier.features(x, batch_size=BATCH),
    }
    seconds = interleaved_seconds(contestants, args.rounds)
    floor = statistics.median(seconds["direct"])
    print(f"features of {args.images:,} images at batch {BATCH}, {args.rounds} interleaved rounds")
    print(f"{'feed':<16}{'median s':>10}{'vs direct':>11}  rounds (s)")
    for name, times in seconds.items():
        median = statistics.median(times)
        print(f"{name:<16}{median:>10.2f}{median / floor:>10.2f}x  " + " ".join(f"{t:.2f}" for t in times))


if __name__ == "__main__":
    main()
