"""tf.data pipelines whose iterators end at once: tf.data's autotuning thread off.

A tf.data iterator with autotuning on (tf.data's default, and what Keras's array adapter
builds for `fit(x_numpy)`) runs a thread that re-tunes the pipeline after sleeps that
double from 10 ms (TensorFlow 2.21). Deleting the iterator, which Keras does at the end
of every epoch, often waits for that sleep to end, so an epoch ends only when 10 * (2**k - 1)
ms have passed since the iterator started: 10.23, 20.47, 40.95 s, ... On 2 cores the
keras.io-style DCGAN's 50-step epoch computed for 11 s and returned after 20.5 s
(`python benchmarks/fit_stall.py`: the time after the last batch, per feed). These
pipelines keep a fixed prefetch instead and never start that thread.
"""

import numpy as np
import tensorflow as tf

PREFETCH = 2
"""Batches prepared ahead of the step (a fixed buffer: the autotuner is off)."""
KERAS_BATCH_SIZE = 32
"""`keras.Model.fit`'s default batch size."""


def without_autotune(dataset):
    """`dataset` with tf.data's autotuning off (see the module's docstring)."""
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def row_gatherer(arrays):
    """A function from a batch of row indices to those rows of each of `arrays` (a tuple; one
    array gives one tensor, several a tuple), the arrays held as tensors: a dataset of indices
    mapped through it reads batches without copying examples through tf.data."""
    tensors = tuple(tf.constant(array) for array in arrays)

    def gather(indices):
        picked = tuple(tf.gather(tensor, indices) for tensor in tensors)
        return picked if len(picked) > 1 else picked[0]

    return gather


def array_dataset(arrays, batch_size, shuffle):
    """Batches of the rows of `arrays` (a tuple of arrays with one first axis), reshuffled every
    epoch when `shuffle` (the order drawn from TensorFlow's global seed, as Keras's array adapter's
    is), the last batch partial as Keras's is; without autotuning, prefetching `PREFETCH` batches."""
    rows = tf.data.Dataset.range(len(arrays[0]))
    if shuffle:
        rows = rows.shuffle(len(arrays[0]), reshuffle_each_iteration=True)
    return without_autotune(rows.batch(batch_size).map(row_gatherer(arrays)).prefetch(PREFETCH))


def _is_array(x):
    return isinstance(x, np.ndarray)


def _replicated(strategy):
    """Whether batches go to several replicas, which Keras then shards itself: inside a
    `tf.distribute` strategy, or for a model built in one with several (`strategy`, the model's)."""
    return tf.distribute.has_strategy() or (strategy is not None and strategy.num_replicas_in_sync > 1)


def fit_feed(x, y, args, kwargs, strategy=None):
    """`keras.Model.fit`'s (x, y, kwargs) with numpy arrays (x, and `validation_data`) fed as
    `array_dataset`s, so no epoch waits for tf.data's autotuning thread. Left to Keras as given:
    anything but numpy arrays, positional arguments after y, `validation_split`, `sample_weight`,
    `class_weight`, `steps_per_epoch`, and training inside a `tf.distribute` strategy or for a model
    built in one with several replicas (`strategy`, the model's: Keras then shards the batches itself)."""
    kept = ("sample_weight", "class_weight", "steps_per_epoch")
    if (not _is_array(x) or args or kwargs.get("validation_split") or any(kwargs.get(name) is not None for name in kept)
            or _replicated(strategy) or (y is not None and not _is_array(y))):
        return x, y, kwargs
    kwargs = dict(kwargs)
    batch_size = kwargs.pop("batch_size", None) or KERAS_BATCH_SIZE
    shuffle = kwargs.pop("shuffle", True)
    validation = kwargs.get("validation_data")
    validation = (validation,) if _is_array(validation) else validation
    if isinstance(validation, tuple) and validation and all(part is None or _is_array(part) for part in validation):
        size = kwargs.pop("validation_batch_size", None) or batch_size
        kwargs["validation_data"] = array_dataset(tuple(part for part in validation if part is not None), size,
                                                  shuffle=False)
    data = (x,) if y is None else (x, y)
    # shuffle=False only keeps Keras from warning that a dataset ignores shuffle=True: this one shuffles itself
    return array_dataset(data, batch_size, shuffle), None, {**kwargs, "shuffle": False}


def predict_feed(x, args, kwargs, strategy=None):
    """`keras.Model.predict`'s (x, kwargs) with a numpy array x fed as an `array_dataset` in order,
    so no prediction ends waiting for tf.data's autotuning thread, as Keras's array adapter's
    can (`python benchmarks/predict_stall.py`). Left to Keras as given: anything but a numpy
    array, positional arguments after x, `steps`, and several replicas (see `fit_feed`)."""
    if not _is_array(x) or args or kwargs.get("steps") is not None or _replicated(strategy):
        return x, kwargs
    kwargs = dict(kwargs)
    batch_size = kwargs.pop("batch_size", None) or KERAS_BATCH_SIZE
    return array_dataset((x,), batch_size, shuffle=False), kwargs
