"""Stateless random seeds: what every seeded sampler and compiled train step draws from.

TensorFlow's stateless ops take a seed pair, a shape-[2] int32 tensor, and always
return the same numbers for the same pair. kgen turns a user's `seed=` (an int, a
`keras.random.SeedGenerator`, a pair, or None) into such a pair, and splits it when
a step needs several independent streams.
"""

import numbers

import keras
import numpy as np
import tensorflow as tf

from kgen.core import replicas
from kgen.core.errors import KgenTypeError
from kgen.core.validation import check_int, fail

MAX_SEED = 2**31 - 1

ALGORITHM = "philox"
"""The stateless RNG kgen draws with. Named, not TensorFlow's "auto_select", which picks
another generator inside XLA-compiled code: the noise of a step would then depend on
whether Keras compiled it with XLA (one device) or not (a multi-worker strategy)."""


def stateless_seed(seed, name="seed"):
    """A shape-[2] int32 seed tensor from `seed`.

    Args:
        seed: None (a fresh random pair), an int in [0, 2**31 - 1], a
            `keras.random.SeedGenerator` (its next state: a new pair each call, also
            inside a compiled step), or an integer tensor/array of shape [2].
        name: str, the argument name for error messages.
    """
    if seed is None:
        return tf.random.uniform([2], maxval=MAX_SEED, dtype=tf.int32)
    if isinstance(seed, keras.random.SeedGenerator):
        state = tf.convert_to_tensor(seed.next())
        return tf.cast(tf.math.floormod(tf.cast(state, tf.int64), MAX_SEED), tf.int32)
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return tf.constant([check_int(name, seed, minimum=0, maximum=MAX_SEED), 0], tf.int32)
    if tf.is_tensor(seed) or isinstance(seed, (np.ndarray, list, tuple)):
        tensor = tf.convert_to_tensor(seed)
        if tensor.dtype.is_integer and tensor.shape.rank == 1 and tensor.shape[0] == 2:
            return tf.cast(tensor, tf.int32)
    fail(
        name,
        seed,
        "None, an integer in [0, 2**31 - 1], a keras.random.SeedGenerator or a seed pair "
        "(an integer tensor of shape [2])",
        KgenTypeError,
    )


def split(seed, count):
    """`count` independent seed pairs from one pair."""
    return tf.unstack(tf.random.experimental.stateless_split(seed, num=count, alg=ALGORITHM))


def normal(shape, seed, dtype=tf.float32):
    """Standard normal draws for a seed pair, the same in eager, graph and XLA code."""
    return tf.random.stateless_normal(shape, seed=seed, dtype=dtype, alg=ALGORITHM)


def uniform(shape, seed, minval=0.0, maxval=1.0, dtype=tf.float32):
    """Uniform draws in [minval, maxval) for a seed pair, the same in eager, graph and XLA code."""
    return tf.random.stateless_uniform(shape, seed=seed, minval=minval, maxval=maxval, dtype=dtype, alg=ALGORITHM)


def step_seeds(seed_generator, count):
    """`count` seed pairs for one training step, the same on every replica.

    Draws the generator's next state (a variable update, so it advances inside a
    compiled step). Noise is then drawn for the whole global batch and each replica
    keeps its own examples' rows (`replica_rows`), so under a `tf.distribute`
    strategy every example gets the noise it gets on one device.
    """
    return split(stateless_seed(seed_generator), count)


def replica_rows(draw, local_batch):
    """This replica's rows of `draw(global_batch)`: the noise its examples get on one device.

    A strategy splits each global batch into consecutive, equal parts, replica r
    taking rows [r * local_batch, (r + 1) * local_batch). Outside a strategy (or with
    one replica) this is `draw(local_batch)`.

    Args:
        draw: callable(n) -> a tensor whose first axis has n rows (a stateless draw).
        local_batch: int or scalar tensor, the examples on this replica.
    """
    count = replicas.num_replicas()
    if count == 1:
        return draw(local_batch)
    start = replicas.replica_id() * local_batch
    return draw(local_batch * count)[start : start + local_batch]
