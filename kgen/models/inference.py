"""An inference copy of a functional model, rewritten to compute the same outputs faster on CPU.

Two rewrites, each exact up to float rounding:

- Batch-norm folding. At inference a batch norm is a fixed per-channel affine
  map, y = s * x + t with s = gamma / sqrt(moving_variance + epsilon) and
  t = beta - s * moving_mean. When it directly follows a linear layer (Dense,
  Conv2D or Conv2DTranspose without activation, or Dense then Reshape), it
  merges into that layer: the kernel's output channels are scaled by s and the
  bias becomes s * bias + t. One pass over the activations fewer per pair.
- Tap-sum transposed convolutions. A 4x4, stride-2, "same" transposed
  convolution with few output channels (an image's 1-4) is slow on CPU: the
  convolution kernels are built for many channels. The copy computes it as one
  matrix product, every input pixel times the kernel's 16 taps, then gives each
  of the four output pixel phases (even/odd row, even/odd column) the sum of its
  four shifted taps, compiled by XLA into one pass with the bias and the
  activation (`benchmarks/dcgan.py --generation` measures the gain).

`GAN.generate` samples through `InferenceCopy(generator)` when `covers(generator)`:
every layer is of a type in `COVERED_LAYERS`, the layers of `dcgan_generator`, which
the parity tests (tests/test_inference.py) check. A generator with any other layer
(a user's own) is sampled as built.
"""

import weakref

import keras
import tensorflow as tf

from kgen.core.errors import KgenTypeError
from kgen.core.validation import fail

_LINEAR = (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Conv2DTranspose)
TAP_SUM_MAX_FILTERS = 4
"""Transposed convolutions with at most this many output channels are rewritten in tap-sum form."""
_PHASE_TAPS = (((-1, 3), (0, 1)), ((0, 2), (1, 0)))
"""For output phase p (0 even, 1 odd): (input row offset, row of the 4x4 kernel) of its two taps; the same for
columns. Output row 2m + p of a stride-2 "same" transposed convolution sums input rows m + offset."""


COVERED_LAYERS = (
    keras.layers.InputLayer,
    keras.layers.Dense,
    keras.layers.Reshape,
    keras.layers.BatchNormalization,
    keras.layers.ReLU,
    keras.layers.Conv2DTranspose,
    keras.layers.Embedding,
    keras.layers.Concatenate,
)
"""The layer types whose inference copy the parity tests compare with the source model: those of
`kgen.models.dcgan.dcgan_generator`, unconditional and conditional."""


def covers(model):
    """Whether `model` is a functional model made only of `COVERED_LAYERS` (exact types, not subclasses)."""
    return (
        isinstance(model, keras.Model)
        and getattr(model, "inputs", None) is not None
        and all(type(layer) in COVERED_LAYERS for layer in model.layers)
    )


class _FoldedBatchNorm(keras.layers.Layer):
    """Stands where a folded batch norm was: passes its input through (takes the batch norm's call arguments)."""

    def call(self, inputs, training=None, mask=None):
        return inputs


class TapSumConvTranspose(keras.layers.Layer):
    """A 4x4, stride-2, "same" Conv2DTranspose (same weights, bias always present) in tap-sum form."""

    def __init__(self, filters, activation, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.activation = filters, keras.activations.get(activation)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(4, 4, self.filters, input_shape[-1]), name="kernel")
        self.bias = self.add_weight(shape=(self.filters,), name="bias")

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        return (n, None if h is None else 2 * h, None if w is None else 2 * w, self.filters)

    def call(self, inputs):
        kernel, bias = tf.convert_to_tensor(self.kernel), tf.convert_to_tensor(self.bias)
        return _tap_sum(inputs, kernel, bias, self.activation)


@tf.function(jit_compile=True, reduce_retracing=True)
def _tap_sum(inputs, kernel, bias, activation):
    """activation(conv_transpose(inputs, kernel, stride 2, "same") + bias) as a matrix product and shifted sums."""
    n, h, w, channels = tf.unstack(tf.shape(inputs))
    filters = tf.shape(kernel)[2]
    taps = tf.matmul(tf.reshape(inputs, [-1, channels]), tf.reshape(tf.transpose(kernel, [3, 0, 1, 2]), [channels, -1]))
    taps = tf.pad(tf.reshape(taps, [n, h, w, 4, 4, filters]), [[0, 0], [1, 1], [1, 1], [0, 0], [0, 0], [0, 0]])
    phases = [
        tf.add_n([
            taps[:, 1 + row_shift : 1 + row_shift + h, 1 + column_shift : 1 + column_shift + w, row_tap, column_tap]
            for row_shift, row_tap in _PHASE_TAPS[row_phase]
            for column_shift, column_tap in _PHASE_TAPS[column_phase]
        ])
        for row_phase in (0, 1)
        for column_phase in (0, 1)
    ]
    interleaved = tf.transpose(tf.reshape(tf.stack(phases, axis=3), [n, h, w, 2, 2, filters]), [0, 1, 3, 2, 4, 5])
    return activation(tf.reshape(interleaved, [n, 2 * h, 2 * w, filters]) + bias)


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


def _tap_summable(layer):
    """Whether `layer` is a transposed convolution the tap-sum form computes faster."""
    config = layer.get_config()
    return (
        type(layer) is keras.layers.Conv2DTranspose
        and tuple(config["kernel_size"]) == (4, 4)
        and tuple(config["strides"]) == (2, 2)
        and config["padding"] == "same"
        and tuple(config["dilation_rate"]) == (1, 1)
        and config.get("data_format", "channels_last") == "channels_last"
        and config["filters"] <= TAP_SUM_MAX_FILTERS
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
    """(s, t) tensors with batch_norm(x) = s * x + t at inference."""
    s = tf.math.rsqrt(tf.convert_to_tensor(batch_norm.moving_variance) + batch_norm.epsilon)
    if batch_norm.gamma is not None:
        s = s * tf.convert_to_tensor(batch_norm.gamma)
    t = -s * tf.convert_to_tensor(batch_norm.moving_mean)
    if batch_norm.beta is not None:
        t = t + tf.convert_to_tensor(batch_norm.beta)
    return s, t


class InferenceCopy:
    """An inference copy of a functional model with its batch norms folded and small transposed convolutions
    in tap-sum form (see the module docstring).

    The copy's structure is built once; `sync()` recomputes its weights from the
    source model's current weights (one compiled pass over the kernels), so the copy
    follows the source through training and weight loading. Call the synced
    model with training=False: it has no batch norms left to switch. The copy
    refers to its source weakly, so caching copies per model keeps no model alive.

    Args:
        model: a functional `keras.Model`.

    Examples:
        >>> fast = InferenceCopy(generator)
        >>> images = fast.sync()(z)       # == generator(z, training=False), up to float rounding
    """

    def __init__(self, model):
        if not isinstance(model, keras.Model) or getattr(model, "inputs", None) is None:
            fail("model", model, "a functional keras.Model", KgenTypeError)
        self._source = weakref.ref(model)
        self._folded_into = _folding_pairs(model)
        self._folded_norms = set(self._folded_into.values())
        self._tap_sum = {layer.name for layer in model.layers if _tap_summable(layer)}

        def clone(layer):
            config = layer.get_config()
            if layer.name in self._folded_norms:
                return _FoldedBatchNorm(name=layer.name)
            if layer.name in self._tap_sum:
                return TapSumConvTranspose(config["filters"], config["activation"], name=layer.name)
            if layer.name in self._folded_into:
                config["use_bias"] = True
            return layer.__class__.from_config(config)

        self.model = keras.models.clone_model(model, clone_function=clone)
        self.folded, self.tap_sum = len(self._folded_into), len(self._tap_sum)
        self._assign_function = tf.function(self._assign)

    @property
    def source(self):
        """The model this is a copy of."""
        return self._source()

    def _weights(self, layer):
        """The copy's weights for a source layer (tensors): batch norm folded in, bias added where the copy has one."""
        if layer.name not in self._folded_into and layer.name not in self._tap_sum:
            return [tf.convert_to_tensor(weight) for weight in layer.weights]
        kernel = tf.convert_to_tensor(layer.kernel)
        # Conv2DTranspose kernels are (h, w, out, in); the others end in the output channels
        transposed = isinstance(layer, keras.layers.Conv2DTranspose)
        filters = kernel.shape[-2] if transposed else kernel.shape[-1]
        bias = tf.convert_to_tensor(layer.bias) if layer.use_bias else tf.zeros([filters], kernel.dtype)
        if layer.name in self._folded_into:
            s, t = _affine(self.source.get_layer(self._folded_into[layer.name]))
            # Dense -> Reshape(..., c): unit j feeds channel j % c (a no-op tiling otherwise)
            s, t = tf.tile(s, [filters // s.shape[0]]), tf.tile(t, [filters // t.shape[0]])
            kernel = kernel * (s[:, None] if transposed else s)
            bias = s * bias + t
        return [kernel, bias]

    def _assign(self):
        """Write the copy's weights computed from the source's (traced once into `_assign_function`)."""
        for layer in self.source.layers:
            if layer.weights and layer.name not in self._folded_norms:
                for target, value in zip(self.model.get_layer(layer.name).weights, self._weights(layer), strict=True):
                    target.assign(value)

    def sync(self):
        """Copy the source's current weights into the copy; returns the copy (a `keras.Model`)."""
        self._assign_function()
        return self.model
