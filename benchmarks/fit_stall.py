"""Where Keras `fit` loses time on a CPU: the keras.io-style DCGAN's step times under each way of feeding it.

The same model (benchmarks/dcgan_reference.py) trains one epoch at a time on the same
images, fed in turn, for --rounds interleaved rounds, by:

- "numpy": `fit(x, batch_size=...)`, Keras's array adapter (what most users do);
- "tf.data": `tf.data.Dataset.from_tensor_slices(x).batch(...)`;
- "tf.data + prefetch": the same with `.prefetch(AUTOTUNE)`;
- "numpy pipeline, sequential map": the array adapter's own pipeline rebuilt with its
  batch-gathering map run without `num_parallel_calls`;
- "numpy pipeline, no autotune": the adapter's pipeline with tf.data's autotuning off;
- "kgen feed": `kgen.core.feeding.array_dataset`, what kgen's models' `fit` turns arrays into;
- "tensors": a list of batches already in memory, fed by a Python loop calling the
  compiled train step (no tf.data iterator at all, no callbacks: the floor).

For each it prints the median, 90th percentile and largest step time (ms, measured
between consecutive batch-end callbacks, so it includes fetching the batch), the median
time from the last batch's end to `fit`'s return (the epoch's tail: where Keras deletes
the epoch's tf.data iterator, which waits for tf.data's autotuning thread to wake; see
`kgen.core.feeding`), and how the step times fall into bins of --bin ms, which shows a
fixed-rate stall as steps piling up at one multiple of a fixed wait, and the share of the machine's CPU time the
hypervisor took away while that feed ran (steal time, /proc/stat; a VM whose vCPUs are
held to a CPU quota loses them until the end of the host's scheduling period, 100 ms
by default, which would round steps up to multiples of it). TF_DATA_* and other
environment settings can be varied from the outside.

    python benchmarks/fit_stall.py [--images 6400] [--rounds 3] [--batch-size 128] [--bin 25]
"""

import argparse
import collections
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import kgen  # noqa: E402, F401 - before TensorFlow: kgen chooses its CPU kernels (kgen.core.cpu_kernels)

# isort: split
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from dcgan_reference import ReferenceDCGAN  # noqa: E402

from kgen import datasets  # noqa: E402
from kgen.core import cpu_kernels, feeding  # noqa: E402


class StepTimes(keras.callbacks.Callback):
    """Seconds between consecutive batch ends (the first from the epoch's start)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.times, self._last = [], time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        self.times.append(now - self._last)
        self._last = now

    def tail(self):
        """Seconds from the last batch's end to now."""
        return time.perf_counter() - self._last


def cpu_jiffies():
    """(steal, total) jiffies of all CPUs since boot from /proc/stat, or None where there is none."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return None
    return fields[7] if len(fields) > 7 else 0, sum(fields[:8])


def array_pipeline(x, batch_size, parallel=True, autotune=True):
    """Keras's array adapter's tf.data pipeline for unshuffled full batches, with its two knobs."""
    count = len(x) // batch_size
    indices = tf.data.Dataset.from_tensor_slices(tf.reshape(tf.range(count * batch_size, dtype=tf.int64),
                                                            [count, batch_size]))
    data = tf.data.Dataset.zip((indices, tf.data.Dataset.from_tensors(tf.constant(x)).repeat()))
    dataset = data.map(lambda i, images: tf.gather(images, i), num_parallel_calls=tf.data.AUTOTUNE if parallel else None)
    options = tf.data.Options()
    options.experimental_optimization.apply_default_optimizations = False
    options.autotune.enabled = autotune
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE if autotune else 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=6400)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bin", type=float, default=25.0, help="histogram bin width in ms")
    parser.add_argument("--jit", action="store_true", help="compile the reference with jit_compile=True")
    args = parser.parse_args()

    x, _ = datasets.load_fashion_mnist("train")
    x = x[: (args.images // args.batch_size) * args.batch_size] * 2.0 - 1.0
    batch = args.batch_size
    model = ReferenceDCGAN(seed=0)
    model.compile(jit_compile=args.jit)
    timer = StepTimes()
    fit = dict(epochs=1, verbose=0, callbacks=[timer])
    batches = [tf.constant(x[i : i + batch]) for i in range(0, len(x), batch)]

    def tensors():
        timer.on_epoch_begin(0)
        for images in batches:
            model.train_function_for_tensors(images)
            timer.on_train_batch_end(0)

    feeds = {
        "numpy": lambda: model.fit(x, batch_size=batch, shuffle=False, **fit),
        "tf.data": lambda: model.fit(tf.data.Dataset.from_tensor_slices(x).batch(batch), **fit),
        "tf.data + prefetch": lambda: model.fit(
            tf.data.Dataset.from_tensor_slices(x).batch(batch).prefetch(tf.data.AUTOTUNE), **fit),
        "numpy pipeline, sequential map": lambda: model.fit(array_pipeline(x, batch, parallel=False), **fit),
        "numpy pipeline, no autotune": lambda: model.fit(array_pipeline(x, batch, autotune=False), **fit),
        "kgen feed": lambda: model.fit(feeding.array_dataset((x,), batch, shuffle=False), **fit),
        "tensors": tensors,
    }
    model.fit(x[: 2 * batch], batch_size=batch, shuffle=False, epochs=1, verbose=0)  # build and trace
    model.train_function_for_tensors = tf.function(model.train_step, jit_compile=args.jit)
    for feed in feeds.values():  # every path traced and warm
        feed()
    times = {label: [] for label in feeds}
    tails = {label: [] for label in feeds}
    steal = {label: [0, 0] for label in feeds}
    labels = list(feeds)
    for round_ in range(args.rounds):
        for label in labels[round_ % len(labels) :] + labels[: round_ % len(labels)]:
            before = cpu_jiffies()
            feeds[label]()
            tails[label].append(timer.tail())
            after = cpu_jiffies()
            times[label].extend(timer.times[1:])  # the first step of an epoch also starts the iterator
            if before and after:
                steal[label][0] += after[0] - before[0]
                steal[label][1] += after[1] - before[1]

    print(f"{len(x)} images, batch {batch}, {args.rounds} interleaved epochs per feed, jit_compile={args.jit}, "
          f"{os.cpu_count()} CPUs, TF_ENABLE_ONEDNN_OPTS={os.environ.get(cpu_kernels.SETTING)}, TensorFlow {tf.__version__}, Keras {keras.__version__}")
    print(f"{'feed':32} {'median ms':>9} {'p90 ms':>7} {'max ms':>7} {'images/s':>9} {'tail s':>6} {'steal %':>7}  "
          f"steps per {args.bin:g} ms bin")
    for label, seconds in times.items():
        ms = np.array(seconds) * 1000
        bins = collections.Counter((ms // args.bin * args.bin).astype(int))
        histogram = " ".join(f"{start}:{bins[start]}" for start in sorted(bins))
        stolen, total = steal[label]
        stolen = f"{100 * stolen / total:.1f}" if total else "n/a"
        print(f"{label:32} {np.median(ms):9.1f} {np.percentile(ms, 90):7.1f} {ms.max():7.1f} "
              f"{batch / statistics.median(seconds):9.0f} {statistics.median(tails[label]):6.2f} {stolen:>7}  {histogram}")


if __name__ == "__main__":
    main()
