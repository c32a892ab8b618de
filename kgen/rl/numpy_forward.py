"""Acting without TensorFlow: a Dense-only network's forward pass in numpy.

One environment step needs one forward pass on one observation. A compiled
TensorFlow call costs ~100 us of dispatch for that; numpy on the weights costs a
few us, which is what lets the agent loop run thousands of steps a second.
"""

import numpy as np

_ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
}


def dense_layers(network):
    """The Dense layers of `network` if it is nothing but Dense layers with supported
    activations (and Input/Flatten-free of shape changes), else None."""
    import keras

    layers = [layer for layer in network.layers if not isinstance(layer, keras.layers.InputLayer)]
    if not layers:
        return None
    for layer in layers:
        if not isinstance(layer, keras.layers.Dense) or layer.activation.__name__ not in _ACTIVATIONS:
            return None
    return layers


class NumpyForward:
    """`forward(x)` = the network's output, computed in numpy from a snapshot of its weights.

    Call `refresh()` after the weights change (the agents do so after each update).
    """

    def __init__(self, layers):
        self.layers = layers
        self.activations = [_ACTIVATIONS[layer.activation.__name__] for layer in layers]
        self.refresh()

    def refresh(self):
        self.weights = [
            (np.asarray(layer.kernel.numpy(), np.float32), np.asarray(layer.bias.numpy(), np.float32) if layer.use_bias else 0.0)
            for layer in self.layers
        ]

    def __call__(self, x):
        for (kernel, bias), activation in zip(self.weights, self.activations):
            x = activation(x @ kernel + bias)
        return x


class CompiledForward:
    """The fallback for other networks: a traced `network(x)` returning numpy."""

    def __init__(self, network):
        import tensorflow as tf

        self._call = tf.function(lambda x: network(x, training=False), reduce_retracing=True)

    def refresh(self):
        pass

    def __call__(self, x):
        return self._call(x).numpy()


def forward_function(network):
    """The fastest exact forward pass of `network` for acting."""
    layers = dense_layers(network)
    return NumpyForward(layers) if layers is not None else CompiledForward(network)
