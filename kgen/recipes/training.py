"""Fit a Keras model for whole epochs on a data order fixed by the seed and the epoch, so a run
restored from a `kgen.callbacks.Checkpoint` skips exactly the batches it had consumed, and so
every replica of a `tf.distribute` strategy reads the rows of the global batch one device would."""

import keras
import numpy as np
import tensorflow as tf

from kgen.core.feeding import PREFETCH, row_gatherer, without_autotune
from kgen.core.validation import check_int, fail


def epoch_order(size, seed, epoch):
    """The shuffled order of `size` examples in epoch `epoch`: a function of the seed and epoch only."""
    return np.random.default_rng([seed, epoch]).permutation(size)


def steps_per_epoch(size, batch_size):
    """Full batches in an epoch (the last partial batch is dropped: one traced step shape)."""
    steps = size // batch_size
    if steps == 0:
        fail("batch_size", batch_size, f"at most the {size} training examples")
    return steps


def batch_indices(size, batch_size, seed, start_epoch, stop_epoch, start_step=0):
    """Rows of each batch from batch `start_step` of `start_epoch` up to the end of `stop_epoch - 1`,
    shape (batches, batch_size)."""
    steps = steps_per_epoch(size, batch_size)
    parts = [epoch_order(size, seed, epoch)[: steps * batch_size].reshape(steps, batch_size)
             for epoch in range(start_epoch, stop_epoch)]
    if not parts:
        return np.zeros((0, batch_size), np.int64)
    parts[0] = parts[0][start_step:]
    return np.concatenate(parts)


def batch_dataset(examples, indices, strategy=None):
    """A `tf.data` stream of the batches `indices` picks from `examples` (a tuple of arrays).

    Under a strategy with several replicas, each input pipeline yields its replicas'
    consecutive slices of every global batch, as `kgen.core.seeds.replica_rows`
    assumes (TensorFlow's own auto-sharding would give a worker every other example).
    """
    gather = row_gatherer(examples)
    replicas = 1 if strategy is None else strategy.num_replicas_in_sync
    if replicas == 1:
        return without_autotune(tf.data.Dataset.from_tensor_slices(indices).map(gather).prefetch(PREFETCH))
    batches, batch_size = indices.shape
    if batch_size % replicas:
        fail("batch_size", batch_size, f"a multiple of the {replicas} replicas")
    per_replica = indices.reshape(batches, replicas, batch_size // replicas)

    def pipeline(context):
        local = replicas // context.num_input_pipelines
        first = context.input_pipeline_id * local
        mine = per_replica[:, first:first + local].reshape(-1, batch_size // replicas)
        return without_autotune(tf.data.Dataset.from_tensor_slices(mine).map(gather).prefetch(PREFETCH))

    return strategy.distribute_datasets_from_function(pipeline)


def fit_epochs(model, examples, batch_size, epochs, seed, callbacks=(), verbose=1, checkpoint=None):
    """`model.fit` for `epochs` epochs of `examples` in `epoch_order`, resuming at `checkpoint`'s position.

    With a checkpoint that holds a run, the model is restored and training continues
    at the next batch: the rest of the interrupted epoch is one `fit` call (so its
    epoch ends where the uninterrupted run's did), the remaining epochs another.

    Args:
        model: a compiled Keras model (built in the strategy's scope when distributed).
        examples: tuple of arrays with the same first axis (e.g. (x,) or (x, y)).
        batch_size: int, global batch size.
        epochs: int, total epochs of the run (including those already done).
        seed: int, seeds the data order.
        callbacks: list of Keras callbacks; the checkpoint is added.
        verbose: Keras verbosity.
        checkpoint: `kgen.callbacks.Checkpoint` or None.

    Returns:
        A `keras.callbacks.History` of every epoch of the run (those before a resume too,
        when the checkpoint holds them).
    """
    check_int("epochs", epochs, minimum=1)
    check_int("batch_size", batch_size, minimum=1)
    check_int("seed", seed, minimum=0)
    if not isinstance(examples, tuple) or not examples or len({len(array) for array in examples}) != 1:
        fail("examples", examples, "a non-empty tuple of arrays with the same first axis, e.g. (x,) or (x, y)")
    size = len(examples[0])
    steps = steps_per_epoch(size, batch_size)
    strategy = model.distribute_strategy
    position = checkpoint.restore(model) if checkpoint is not None else None
    epoch, step = (position.epoch, position.step) if position is not None else (0, 0)
    callbacks = list(callbacks) + ([checkpoint] if checkpoint is not None else [])
    # (first epoch, stop epoch, batches of the first epoch already done)
    segments = [(epoch, epoch + 1, step), (epoch + 1, epochs, 0)] if step else [(epoch, epochs, 0)]
    fitted = {}
    for first_epoch, stop, done in segments:
        if first_epoch >= stop:
            continue
        indices = batch_indices(size, batch_size, seed, first_epoch, stop, done)
        history = model.fit(batch_dataset(examples, indices, strategy), initial_epoch=first_epoch, epochs=stop,
                            steps_per_epoch=steps - done, verbose=verbose, callbacks=callbacks, shuffle=False)
        for name, values in history.history.items():
            fitted.setdefault(name, []).extend(values)
        if model.stop_training:
            break
    history = keras.callbacks.History()
    history.history = checkpoint.history if checkpoint is not None and checkpoint.history else fitted
    return history
