"""The one decorator that registers kgen classes with Keras serialization."""

import keras

serializable = keras.saving.register_keras_serializable(package="kgen")
"""Register a public class under the "kgen" package so `keras.saving.load_model`
and `keras.saving.deserialize_keras_object` find it without `custom_objects`."""
