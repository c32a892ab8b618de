"""Small Keras layers that kgen's networks use."""

import keras
import tensorflow as tf

from kgen.core import seeds
from kgen.core.serialization import serializable
from kgen.core.validation import check_int, check_number


@serializable
class SpaceToDepth(keras.layers.Layer):
    """Move each `block_size` x `block_size` patch of pixels into channels.

    (n, h, w, c) -> (n, h / b, w / b, c * b * b). Lossless, no parameters: a cheap
    way to start a convolutional encoder at half resolution.

    Args:
        block_size: int >= 2, b (default 2); h and w must be multiples of it.
        **kwargs: passed to `keras.layers.Layer`.

    Examples:
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> y = kgen.layers.SpaceToDepth(2)(x)
        >>> tuple(y.shape), y[0, 0, 0].numpy()         # the top-left 2 x 2 patch, as channels
        ((1, 2, 2, 4), array([0., 1., 4., 5.], dtype=float32))
    """

    def __init__(self, block_size=2, **kwargs):
        super().__init__(**kwargs)
        self.block_size = check_int("block_size", block_size, minimum=2)

    def call(self, inputs):
        return tf.nn.space_to_depth(inputs, self.block_size)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        b = self.block_size
        return (n, None if h is None else h // b, None if w is None else w // b, c * b * b)

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}


@serializable
class DepthToSpace(keras.layers.Layer):
    """The inverse of `SpaceToDepth`: (n, h, w, c * b * b) -> (n, h * b, w * b, c).

    After a convolution this is sub-pixel upsampling (Shi et al., "Real-Time Single
    Image and Video Super-Resolution Using an Efficient Sub-Pixel Convolutional
    Neural Network", CVPR 2016), cheaper than a transposed convolution at full resolution.

    Args:
        block_size: int >= 2, b (default 2).
        **kwargs: passed to `keras.layers.Layer`.

    Examples:
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> y = kgen.layers.DepthToSpace(2)(kgen.layers.SpaceToDepth(2)(x))
        >>> tuple(y.shape), bool(np.array_equal(y, x))   # lossless
        ((1, 4, 4, 1), True)

    Reference:
        Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient
        Sub-Pixel Convolutional Neural Network", CVPR 2016.
    """

    def __init__(self, block_size=2, **kwargs):
        super().__init__(**kwargs)
        self.block_size = check_int("block_size", block_size, minimum=2)

    def call(self, inputs):
        return tf.nn.depth_to_space(inputs, self.block_size)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        b = self.block_size
        return (n, None if h is None else h * b, None if w is None else w * b, c // (b * b))

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}


@serializable
class ExampleDropout(keras.layers.Layer):
    """Dropout whose mask for each example is keyed to its row of the global batch, so a
    `tf.distribute` replica drops exactly what one device would (Keras's `Dropout` draws
    each replica's mask independently).

    Args:
        rate: float in [0, 1), the fraction of inputs set to 0 while training.
        seed: int or None, seeds the masks.

    Reference:
        Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
        Overfitting", JMLR 2014.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_number("rate", rate, minimum=0.0, maximum=1.0, high_open=True)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        seed = seeds.stateless_seed(self.seed_generator)
        shape = tf.shape(inputs)
        uniform = seeds.replica_rows(
            lambda n: seeds.uniform(tf.concat([[n], shape[1:]], 0), seed, dtype=inputs.dtype), shape[0])
        return tf.where(uniform >= self.rate, inputs / (1.0 - self.rate), tf.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
