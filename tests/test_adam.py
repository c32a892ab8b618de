"""kgen.core.adam.Adam: Keras's Adam with its update fused into one TensorFlow kernel per variable."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.core.adam import Adam


def variables_after(optimizer, steps=5, seed=0):
    """Two variables after `steps` updates with fixed random gradients, as numpy arrays."""
    rng = np.random.default_rng(seed)
    variables = [keras.Variable(rng.normal(size=(4, 3)).astype("float32"), name="kernel"),
                 keras.Variable(rng.normal(size=(3,)).astype("float32"), name="bias")]
    gradients = [[tf.constant(rng.normal(size=v.shape).astype("float32")) for v in variables] for _ in range(steps)]
    optimizer.build(variables)
    for step_gradients in gradients:
        optimizer.apply(step_gradients, variables)
    return [v.numpy() for v in variables], optimizer


@pytest.mark.parametrize("settings", [
    {"learning_rate": 1e-2},
    {"learning_rate": 3e-3, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-5},
    {"learning_rate": keras.optimizers.schedules.CosineDecay(1e-2, 5), "global_clipnorm": 0.5},
    {"learning_rate": 1e-2, "weight_decay": 0.1},
    {"learning_rate": 1e-2, "amsgrad": True},
])
def test_updates_equal_keras_adam(settings):
    fused, fused_optimizer = variables_after(Adam(**settings))
    plain, plain_optimizer = variables_after(keras.optimizers.Adam(**settings))
    for a, b in zip(fused, plain):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(fused[0], variables_after(Adam(**settings), steps=0)[0][0])  # the variables moved
    for a, b in zip(fused_optimizer.variables, plain_optimizer.variables):  # same state, same names
        assert a.name == b.name
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_inside_a_compiled_train_step_and_serialization(tmp_path):
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=Adam(5e-2), loss="mse")
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer) is Adam
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
