"""Keras's Adam with each variable's update one fused TensorFlow kernel.

`keras.optimizers.Adam` writes its update for the TensorFlow backend as about twenty
element-wise ops per variable (casts, powers, the two moment updates, the step), each
dispatched on its own. `tf.raw_ops.ResourceApplyAdam` computes the same update in one
kernel: lr_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t); m += (g - m)(1 - beta_1);
v += (g^2 - v)(1 - beta_2); w -= lr_t m / (sqrt(v) + epsilon). After five steps the weights
agree with Keras's to within 1e-6 (`tests/test_adam.py`). On 2 AVX2 CPU cores it cut the VAE
preset's update from 5.31 and 5.00 ms a step to 3.24 and 3.16 (two runs), and its `fit`
epoch by 4-5% (`python benchmarks/adam.py`).

Everything else is Keras's: the optimizer's variables (the same names and shapes),
learning-rate schedules, clipping, weight decay, EMA, gradient accumulation and
tf.distribute. AMSGrad and sparse (IndexedSlices) gradients take Keras's own update.
"""

import keras
import tensorflow as tf

from kgen.core.serialization import serializable


@serializable
class Adam(keras.optimizers.Adam):
    """`keras.optimizers.Adam`, the per-variable update fused into one TensorFlow kernel.

    Takes Keras's arguments and keeps Keras's variables: a drop-in replacement. kgen's
    recipes and the default optimizers of the VAE, PixelCNN, GANs and agents are this class.

    Args:
        learning_rate: a float or a `keras.optimizers.schedules` schedule.
        beta_1: decay rate of the first-moment estimates.
        beta_2: decay rate of the second-moment estimates.
        epsilon: added to the square root of the second moment.
        amsgrad: AMSGrad's variant (Keras's own update: no fused kernel for it).
        name: the optimizer's name.
        **kwargs: every Keras optimizer's common arguments (weight_decay, clipnorm,
            global_clipnorm, use_ema, gradient_accumulation_steps, ...).

    Examples:
        >>> import numpy as np
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer=kgen.optimizers.Adam(1e-3), loss="mse")
        >>> history = model.fit(np.ones((8, 3)), np.ones((8, 1)), verbose=0)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 name="adam", **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, name=name, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        if self.amsgrad or isinstance(gradient, tf.IndexedSlices):
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)
        beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=self._momentums[index].value.handle,
            v=self._velocities[index].value.handle,
            beta1_power=tf.pow(beta_1, step),
            beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(learning_rate, dtype),
            beta1=beta_1,
            beta2=beta_2,
            epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.cast(gradient, dtype),
        )
