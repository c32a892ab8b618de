"""What a network computes in: "float32", or "bfloat16" through Keras's "mixed_bfloat16" dtype
policy (float32 variables and optimizer state, bfloat16 matrix products and convolutions),
with the network's output layers kept in float32.

The output layers are found by walking back from each output of the network: every layer met
is kept in float32 until the walk crosses a layer with weights (a Dense, a convolution, an
embedding), which is kept too and ends that path. So logits, a likelihood's parameters and
generated images leave the network in float32, and the losses and log-probabilities computed
from them are float32; batch normalization under the mixed policy keeps its statistics in
float32 (Keras does). bfloat16 has float32's exponent range, so no loss scale is needed.
"""

import functools
import warnings

import keras
import tensorflow as tf

from kgen.core.validation import check_choice, fail

PRECISIONS = {"float32": "float32", "bfloat16": "mixed_bfloat16"}
"""`precision=` values and the Keras dtype policy each gives the layers that may use it."""


def check_precision(precision):
    """`precision` if it is one of PRECISIONS, else a KgenValueError naming the argument."""
    return check_choice("precision", precision, PRECISIONS)


BFLOAT16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")
"""/proc/cpuinfo flags of CPUs whose matrix units multiply bfloat16 natively."""


def cpu_flags():
    """The CPU's feature flags from /proc/cpuinfo, or None where it cannot be read (not Linux)."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        return None
    return None


@functools.cache
def bfloat16_is_native():
    """True when a GPU or the CPU's matrix units compute bfloat16; False on a CPU without them
    (bfloat16 is then emulated, and slower than float32); None when the CPU cannot be told."""
    if tf.config.list_physical_devices("GPU"):
        return True
    flags = cpu_flags()
    return None if flags is None else bool(flags & set(BFLOAT16_CPU_FLAGS))


def warn_if_emulated(precision):
    """A RuntimeWarning when `precision` is "bfloat16" on a machine that emulates it."""
    if precision == "bfloat16" and bfloat16_is_native() is False:
        warnings.warn(
            'precision="bfloat16" on a CPU without bfloat16 matrix units (no amx_bf16 or avx512_bf16 '
            "in /proc/cpuinfo): bfloat16 is emulated there and trains slower than float32 (the PixelCNN "
            '9x slower on an AVX2 CPU, benchmarks/pixelcnn_step.py); pass precision="float32"',
            RuntimeWarning, stacklevel=3)


def _parents(layer, network):
    """The layers feeding `layer` inside a functional `network`."""
    parents = []
    for node in layer._inbound_nodes:
        for parent in node.parent_nodes:
            if parent.operation in network.layers and not isinstance(parent.operation, keras.layers.InputLayer):
                parents.append(parent.operation)
    return parents


def output_layers(network):
    """The layers of `network` (a functional or Sequential keras.Model) from each output back to
    and including the last layer with weights on that path."""
    if isinstance(network, keras.Sequential):
        kept = []
        for layer in reversed(network.layers):
            kept.append(layer)
            if layer.weights:
                break
        return kept
    if not isinstance(network, keras.Model) or not hasattr(network, "outputs") or not network.outputs:
        fail("network", network, "a functional or Sequential keras.Model")
    kept, frontier = [], [tensor._keras_history[0] for tensor in keras.tree.flatten(network.outputs)]
    while frontier:
        layer = frontier.pop()
        if layer in kept or isinstance(layer, keras.layers.InputLayer):
            continue
        kept.append(layer)
        if not layer.weights:
            frontier.extend(_parents(layer, network))
    return kept


def set_precision(network, precision):
    """Give every layer of `network` the dtype policy of `precision`, its output layers float32.

    Args:
        network: a keras.Model; functional or Sequential for "bfloat16" (its outputs are found
            through its graph), any for "float32" (every layer, nested ones too).
        precision: "float32" or "bfloat16".

    Examples:
        >>> net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.ReLU(),
        ...                         keras.layers.Dense(2)])
        >>> kgen.core.precision.set_precision(net, "bfloat16")
        >>> [layer.dtype_policy.name for layer in net.layers]
        ['mixed_bfloat16', 'mixed_bfloat16', 'float32']
        >>> net(np.ones((1, 4))).dtype
        'float32'
    """
    if check_precision(precision) == "float32":
        for layer in network._flatten_layers(include_self=False):
            layer.dtype_policy = "float32"
        return
    warn_if_emulated(precision)
    kept = output_layers(network)
    for layer in network.layers:
        if not isinstance(layer, keras.layers.InputLayer):
            layer.dtype_policy = "float32" if layer in kept else PRECISIONS[precision]
