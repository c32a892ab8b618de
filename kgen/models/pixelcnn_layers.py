"""The PixelCNN's layers: a masked convolution and the gated block of its two stacks.

The vertical stack sees only the rows above the current pixel; the horizontal
stack sees the current row up to the pixel and, through the vertical stack, every
row above. Together their receptive field is the whole causal past, with no blind
spot (van den Oord et al. 2016).
"""

import keras
import numpy as np
import tensorflow as tf

from kgen.core.serialization import serializable
from kgen.core.validation import check_choice, check_int, fail

DIRECTIONS = ("vertical", "horizontal")


def causal_mask(kernel_size, direction, include_center):
    """The (kh, kw) 0/1 mask of a causal kernel centred on the output pixel.

    "vertical": the rows above the centre, every column (and the centre row when
    `include_center`). "horizontal" (kh = 1): the columns left of the centre (and the
    centre when `include_center`).
    """
    kh, kw = kernel_size
    mask = np.zeros((kh, kw), "float32")
    if direction == "vertical":
        mask[: kh // 2 + int(include_center), :] = 1.0
    else:
        mask[:, : kw // 2 + int(include_center)] = 1.0
    return mask


@serializable
class MaskedConv2D(keras.layers.Layer):
    """A 2-D convolution whose kernel is multiplied by a causal mask fixed at build.

    Output pixel (i, j) has the spatial size of the input and depends only on the
    inputs the mask keeps. The kernel's all-zero rows and columns are cropped before
    the convolution (with the padding shifted to match), so no multiply is spent on
    masked taps; the result is the masked "same" convolution.

    Args:
        filters: int, output channels.
        kernel_size: int or (kh, kw), odd sizes; a horizontal kernel has kh = 1.
        direction: str, "vertical" or "horizontal" (see `causal_mask`).
        include_center: bool, whether the mask keeps the centre row (vertical) or
            pixel (horizontal): False for the first layer, which must not see the
            pixel it predicts ("mask A"), True after ("mask B").
    """

    def __init__(self, filters, kernel_size, direction, include_center, **kwargs):
        super().__init__(autocast=False, **kwargs)
        self.filters = check_int("filters", filters, minimum=1)
        sizes = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.kernel_size = tuple(check_int("kernel_size", k, minimum=1) for k in sizes)
        if len(self.kernel_size) != 2 or any(k % 2 == 0 for k in self.kernel_size):
            fail("kernel_size", kernel_size, "an odd int or a pair of odd ints (kh, kw)")
        self.direction = check_choice("direction", direction, DIRECTIONS)
        if self.direction == "horizontal" and self.kernel_size[0] != 1:
            fail("kernel_size", kernel_size, "(1, kw) for a horizontal kernel")
        self.include_center = bool(include_center)
        self.mask = causal_mask(self.kernel_size, self.direction, self.include_center)
        rows, cols = np.nonzero(self.mask)
        self.crop = (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1)
        center_row, center_col = self.kernel_size[0] // 2, self.kernel_size[1] // 2
        self.offset = (center_row - self.crop[0], center_col - self.crop[2])
        """How many rows above and columns left of the output pixel the cropped kernel starts."""

    def build(self, input_shape):
        kh, kw = self.kernel_size
        self.kernel = self.add_weight(name="kernel", shape=(kh, kw, input_shape[-1], self.filters),
                                      initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def cropped_kernel(self):
        """The masked kernel without its all-zero rows and columns: (rows, cols, in, filters)."""
        r0, r1, c0, c1 = self.crop
        return (self.kernel * self.mask[:, :, None, None])[r0:r1, c0:c1]

    def call(self, inputs):
        kernel = tf.cast(self.cropped_kernel(), inputs.dtype)
        rows, cols = kernel.shape[0], kernel.shape[1]
        top, left = self.offset
        bottom, right = rows - 1 - top, cols - 1 - left
        if bottom < 0 or right < 0:  # a kernel strictly above or left of the pixel never reads the last rows/columns
            inputs = inputs[:, : tf.shape(inputs)[1] + min(bottom, 0), : tf.shape(inputs)[2] + min(right, 0)]
        padded = tf.pad(inputs, [[0, 0], [top, max(bottom, 0)], [left, max(right, 0)], [0, 0]])
        output = tf.nn.conv2d(padded, kernel, strides=1, padding="VALID")
        return tf.nn.bias_add(output, tf.cast(self.bias, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "direction": self.direction, "include_center": self.include_center}


@serializable
class Pointwise(keras.layers.Layer):
    """A 1x1 convolution (a dense layer on the channel axis) computed in its input's dtype.

    Unlike `keras.layers.Dense` it never casts its input to its own dtype policy, so one
    network runs in float32 or, for training, in bfloat16 (`PixelCNN.compile(precision=...)`),
    with float32 weights either way.
    """

    def __init__(self, units, **kwargs):
        super().__init__(autocast=False, **kwargs)
        self.units = check_int("units", units, minimum=1)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        flat = tf.reshape(inputs, [-1, tf.shape(inputs)[-1]])  # one 2-D matmul, not a batched one per row
        output = tf.matmul(flat, tf.cast(self.kernel, inputs.dtype)) + tf.cast(self.bias, inputs.dtype)
        return tf.reshape(output, tf.concat([tf.shape(inputs)[:-1], [self.units]], 0))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@tf.function(jit_compile=True)
def gate(pre_activation):
    """tanh(a) * sigmoid(b) for the two halves a, b of the channels.

    Element-wise work weighs heavily in this network's step on a CPU (each op streams the
    whole activation through memory), so in bfloat16 the gate is one XLA-fused kernel: the
    gradient step is 1.20-1.25x faster than with TensorFlow's separate split, tanh, sigmoid
    and multiply; in float32 the fused gate is slower (0.93x), so `PixelCNN.network` in float32
    uses the plain ops (`python benchmarks/pixelcnn_step.py`). The cached sampler always calls
    the fused gate; that choice is not measured.
    """
    a, b = tf.split(pre_activation, 2, axis=-1)
    return tf.tanh(a) * tf.sigmoid(b)


def _gate(fused):
    """`gate`, or with `fused=False` its plain ops: tf2onnx cannot convert an XLA-compiled call."""
    return gate if fused else gate.python_function


@serializable
class GatedBlock(keras.layers.Layer):
    """One layer of the gated PixelCNN: a vertical and a horizontal stack.

    vertical: v' = gate(V * v + c_v); horizontal: h' = h + W_o gate(H * h + W_vh (V * v) + c_h),
    where V and H are causal masked convolutions, W are 1x1 convolutions and c_v, c_h
    are class embeddings (when `num_classes` is set). The first block (`first=True`)
    reads the image itself with centre-excluding masks and has no residual. Each block
    also emits a skip output W_s W_o gate(...) that the network sums before its head.

    Args:
        filters: int, channels of each stack.
        kernel_size: int, odd, the vertical kernel is (k, k), the horizontal (1, k).
        skip_filters: int, channels of the skip output.
        first: bool, the block that reads the image (default False).
        num_classes: int or None, classes of the conditioning labels (default None).

    Reference:
        van den Oord, Kalchbrenner, Vinyals, Espeholt, Graves and Kavukcuoglu,
        "Conditional Image Generation with PixelCNN Decoders", NeurIPS 2016.
    """

    def __init__(self, filters, kernel_size, skip_filters, first=False, num_classes=None, **kwargs):
        super().__init__(autocast=False, **kwargs)
        self.filters = check_int("filters", filters, minimum=1)
        self.kernel_size = check_int("kernel_size", kernel_size, minimum=1)
        self.skip_filters = check_int("skip_filters", skip_filters, minimum=1)
        self.first = bool(first)
        self.num_classes = None if num_classes is None else check_int("num_classes", num_classes, minimum=2)
        k, center = self.kernel_size, not self.first
        self.vertical = MaskedConv2D(2 * filters, (k, k), "vertical", center, name="vertical")
        self.horizontal = MaskedConv2D(2 * filters, (1, k), "horizontal", center, name="horizontal")
        self.vertical_to_horizontal = Pointwise(2 * filters, name="vertical_to_horizontal")
        self.horizontal_out = Pointwise(filters, name="horizontal_out")
        self.skip = Pointwise(skip_filters, name="skip")
        self.embedding = None
        if self.num_classes is not None:
            self.embedding = keras.layers.Embedding(self.num_classes, 4 * filters, name="class_bias")

    def build(self, input_shape):
        image = tuple(input_shape)
        stack = image[:-1] + (self.filters,)
        gated = image[:-1] + (2 * self.filters,)
        self.vertical.build(image if self.first else stack)
        self.horizontal.build(image if self.first else stack)
        self.vertical_to_horizontal.build(gated)
        self.horizontal_out.build(stack)
        self.skip.build(stack)
        if self.embedding is not None:
            self.embedding.build((None,))

    def class_biases(self, labels, dtype):
        """(c_v, c_h), each (n, 2 * filters) for labels (n,), or (1, 2 * filters) zeros without conditioning."""
        if self.embedding is None:
            zeros = tf.zeros([1, 2 * self.filters], dtype)
            return zeros, zeros
        return tf.split(tf.cast(self.embedding(labels), dtype), 2, axis=-1)

    def horizontal_step(self, h_pre, v_pre, h, bias, fused=True):
        """The horizontal stack's update from its convolution `h_pre` and the vertical one `v_pre`:
        (h', skip). Shared by the full pass and the cached sampler's single-pixel step. With
        `fused=False` the gate is plain TensorFlow ops, not an XLA cluster (what an export runs)."""
        out = self.horizontal_out(_gate(fused)(h_pre + self.vertical_to_horizontal(v_pre) + bias))
        return (out if self.first else h + out), self.skip(out)

    def call(self, v, h, labels=None, fused=True):
        """(v', h', skip) for stacks v, h (both the image in the first block); `fused` as in
        `horizontal_step`."""
        v_bias, h_bias = (bias[:, None, None, :] for bias in self.class_biases(labels, v.dtype))
        v_pre = self.vertical(v)
        h_new, skip = self.horizontal_step(self.horizontal(h), v_pre, h, h_bias, fused)
        return _gate(fused)(v_pre + v_bias), h_new, skip

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "skip_filters": self.skip_filters, "first": self.first, "num_classes": self.num_classes}
