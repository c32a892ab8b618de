"""An inference copy of a functional model, rewritten to compute the same outputs faster on CPU.

Two rewrites, each exact up to float rounding:

- Batch-norm folding. At inference a batch norm is a fixed per-channel affine
  map, y = s * x + t with s = gamma / sqrt(moving_variance + epsilon) and
  t = beta - s * moving_mean. When it directly follows a linear layer (Dense,
  Conv2D or Conv2DTranspose without activation, or Dense then Reshape), it
  merges into that layer: the kernel's output channels are scaled by s and the
  bias becomes s * bias + t. One pass over the activations fewer per pair.
- Sub-pixel transposed convolutions. A 4x4, stride-2, "same" transposed
  convolution gives each of the four output pixel phases (even/odd row, even/odd
  column) a 2x2 window of the input, so it equals a 3x3 convolution with four
  times the output channels followed by depth_to_space(2). That costs 9/4 the
  multiply-adds, but when the layer has few output channels (an image's 1-4) the
  transposed-convolution kernel is the slower one on CPU
  (`benchmarks/dcgan.py --generation`), so only those layers are rewritten.

`GAN.generate` samples through `InferenceCopy(generator)`.
"""

import weakref

import keras
import numpy as np
import tensorflow as tf

from kgen.errors import KgenTypeError
from kgen.validation import fail

_LINEAR = (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Conv2DTranspose)
SUBPIXEL_MAX_FILTERS = 4
"""Transposed convolutions with at most this many output channels are rewritten as sub-pixel convolutions."""
_PHASE_TAPS = ({0: 3, 1: 1}, {1: 2, 2: 0})
"""For output phase p (0 even, 1 odd): {row (or column) of the 3x3 window: row of the 4x4 transposed kernel}."""


class _FoldedBatchNorm(keras.layers.Layer):
    """Stands where a folded batch norm was: passes its input through (takes the batch norm's call arguments)."""

    def call(self, inputs, training=None, mask=None):
        return inputs


class _SubPixelConv(keras.layers.Layer):
    """3x3 convolution to 4 * filters channels, depth_to_space(2), then the activation."""

    def __init__(self, filters, activation, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.activation = filters, keras.activations.get(activation)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(3, 3, input_shape[-1], 4 * self.filters), name="kernel")
        self.bias = self.add_weight(shape=(4 * self.filters,), name="bias")

    def call(self, inputs):
        phases = tf.nn.bias_add(tf.nn.conv2d(inputs, self.kernel, 1, "SAME"), self.bias)
        return self.activation(tf.nn.depth_to_space(phases, 2))


def subpixel_weights(kernel, bias):
    """A (4, 4, out, in) stride-2 "same" transposed-convolution kernel and its bias as `_SubPixelConv` weights."""
    _, _, filters, channels = kernel.shape
    phased = np.zeros((3, 3, channels, 2, 2, filters), kernel.dtype)
    for row_phase, row_taps in enumerate(_PHASE_TAPS):
        for column_phase, column_taps in enumerate(_PHASE_TAPS):
            for row, kernel_row in row_taps.items():
                for column, kernel_column in column_taps.items():
                    phased[row, column, :, row_phase, column_phase, :] = kernel[kernel_row, kernel_column].T
    return [phased.reshape(3, 3, channels, 4 * filters), np.tile(bias, 4)]


def _only_parent(layer):
    """The single layer feeding `layer`, or None when it has several inputs or call sites."""
    if len(layer._inbound_nodes) != 1 or len(layer._inbound_nodes[0].parent_nodes) != 1:
        return None
    return layer._inbound_nodes[0].parent_nodes[0].operation


def _foldable(layer):
    """Whether `layer`'s output channels can absorb a following per-channel affine map."""
    config = layer.get_config()
    return (
        isinstance(layer, _LINEAR)
        and config.get("activation") == "linear"
        and config.get("data_format", "channels_last") == "channels_last"
        and len(layer._inbound_nodes) == 1
        and len(layer._outbound_nodes) == 1
    )


def _subpixel(layer):
    """Whether `layer` is a transposed convolution the sub-pixel form computes faster."""
    config = layer.get_config()
    return (
        type(layer) is keras.layers.Conv2DTranspose
        and tuple(config["kernel_size"]) == (4, 4)
        and tuple(config["strides"]) == (2, 2)
        and config["padding"] == "same"
        and tuple(config["dilation_rate"]) == (1, 1)
        and config.get("data_format", "channels_last") == "channels_last"
        and config["filters"] <= SUBPIXEL_MAX_FILTERS
        and len(layer._inbound_nodes) == 1
    )


def _folding_pairs(model):
    """{linear layer name: batch norm name} for every batch norm that can be folded into the layer before it."""
    pairs = {}
    for layer in model.layers:
        if not isinstance(layer, keras.layers.BatchNormalization) or layer.axis not in (-1, len(layer.input.shape) - 1):
            continue
        parent = _only_parent(layer)
        if isinstance(parent, keras.layers.Reshape) and len(parent._outbound_nodes) == 1:
            parent = _only_parent(parent)
            if not isinstance(parent, keras.layers.Dense):
                continue
        if parent is not None and _foldable(parent):
            pairs[parent.name] = layer.name
    return pairs


def _affine(batch_norm):
    """(s, t) with batch_norm(x) = s * x + t at inference."""
    s = 1.0 / np.sqrt(keras.ops.convert_to_numpy(batch_norm.moving_variance) + batch_norm.epsilon)
    if batch_norm.gamma is not None:
        s = s * keras.ops.convert_to_numpy(batch_norm.gamma)
    t = -s * keras.ops.convert_to_numpy(batch_norm.moving_mean)
    if batch_norm.beta is not None:
        t = t + keras.ops.convert_to_numpy(batch_norm.beta)
    return s, t


class InferenceCopy:
    """An inference copy of a functional model with its batch norms folded and small transposed convolutions
    in sub-pixel form (see the module docstring).

    The copy's structure is built once; `sync()` recomputes its weights from the
    source model's current weights (one pass over the kernels), so the copy
    follows the source through training and weight loading. Call the synced
    model with training=False: it has no batch norms left to switch. The copy
    refers to its source weakly, so caching copies per model keeps no model alive.

    Args:
        model: a functional `keras.Model`.

    Example:
        >>> fast = InferenceCopy(generator)
        >>> images = fast.sync()(z)       # == generator(z, training=False), up to float rounding
    """

    def __init__(self, model):
        if not isinstance(model, keras.Model) or getattr(model, "inputs", None) is None:
            fail("model", model, "a functional keras.Model", KgenTypeError)
        self._source = weakref.ref(model)
        self._folded_into = _folding_pairs(model)
        self._folded_norms = set(self._folded_into.values())
        self._subpixel = {layer.name for layer in model.layers if _subpixel(layer)}

        def clone(layer):
            config = layer.get_config()
            if layer.name in self._folded_norms:
                return _FoldedBatchNorm(name=layer.name)
            if layer.name in self._subpixel:
                return _SubPixelConv(config["filters"], config["activation"], name=layer.name)
            if layer.name in self._folded_into:
                config["use_bias"] = True
            return layer.__class__.from_config(config)

        self.model = keras.models.clone_model(model, clone_function=clone)
        self.folded, self.subpixel = len(self._folded_into), len(self._subpixel)

    @property
    def source(self):
        """The model this is a copy of."""
        return self._source()

    def _weights(self, layer):
        """The copy's weights for a source layer: folded and/or in sub-pixel form where rewritten."""
        if layer.name not in self._folded_into and layer.name not in self._subpixel:
            return layer.get_weights()
        kernel = keras.ops.convert_to_numpy(layer.kernel)
        # Conv2DTranspose kernels are (h, w, out, in); the others end in the output channels
        transposed = isinstance(layer, keras.layers.Conv2DTranspose)
        filters = kernel.shape[-2] if transposed else kernel.shape[-1]
        bias = keras.ops.convert_to_numpy(layer.bias) if layer.use_bias else np.zeros(filters, kernel.dtype)
        if layer.name in self._folded_into:
            s, t = _affine(self.source.get_layer(self._folded_into[layer.name]))
            # Dense -> Reshape(..., c): unit j feeds channel j % c (a no-op tiling otherwise)
            s, t = np.tile(s, filters // len(s)), np.tile(t, filters // len(t))
            kernel = kernel * (s[:, None] if transposed else s)
            bias = s * bias + t
        if layer.name in self._subpixel:
            return subpixel_weights(kernel, bias)
        return [kernel, bias]

    def sync(self):
        """Copy the source's current weights into the copy; returns the copy (a `keras.Model`)."""
        for layer in self.source.layers:
            if layer.weights and layer.name not in self._folded_norms:
                self.model.get_layer(layer.name).set_weights(self._weights(layer))
        return self.model
