"""A small convnet image classifier, the feature extractor of kgen's sample metrics."""

import keras
import numpy as np
import tensorflow as tf

from kgen.core.errors import KgenTypeError
from kgen.core.exporter import ServingFunction
from kgen.core.feeding import fit_feed, predict_feed
from kgen.core.precision import set_precision
from kgen.core.serialization import serializable
from kgen.core.validation import (
    check_images,
    check_int,
    check_labels,
    check_number,
    fail,
    is_data_stream,
)
from kgen.models.layers import ExampleDropout
from kgen.presets.model import KgenModel


@serializable
class Classifier(KgenModel):
    """Convolutional image classifier that returns logits.

    Each entry of `filters` adds a block of two 3x3 convolutions (batch norm,
    ReLU) and a 2x2 max pool; a dense layer of `dense_units` gives the features
    that `features()` returns and the Frechet distance uses, and a last dense
    layer gives the logits.

    Args:
        num_classes: int, number of classes (default 10).
        image_shape: tuple (h, w, c), input image shape (default (28, 28, 1)).
        filters: tuple of int, channels of each convolution block (default (32, 64)).
        dense_units: int, size of the feature layer (default 128).
        dropout: float in [0, 1), dropout before the feature and logit layers (default 0.3).
        seed: int or None, seeds the dropout masks (default None).

    Under `tf.distribute` the batch norms use the global batch's statistics and the
    dropout masks are keyed to each example's row of the global batch, so a
    multi-replica `fit` gives the one-device result.

    Examples:
        >>> model = kgen.models.Classifier.from_preset("fashion_mnist_classifier")
        >>> x = np.random.default_rng(0).random((4, 28, 28, 1), dtype="float32")   # images in [0, 1]
        >>> model.predict_labels(x).shape, model.features(x).shape, model.predict_proba(x).shape
        ((4,), (4, 128), (4, 10))
        >>> tiny = kgen.models.Classifier(num_classes=3, filters=(4,), dense_units=8)   # to train with fit
        >>> tiny.compile()
        >>> tiny.count_params()
        6543
    """

    def __init__(
        self,
        num_classes=10,
        image_shape=(28, 28, 1),
        filters=(32, 64),
        dense_units=128,
        dropout=0.3,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_classes = check_int("num_classes", num_classes, minimum=2)
        if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 3:
            fail("image_shape", image_shape, "a tuple (height, width, channels)", KgenTypeError)
        self.image_shape = tuple(check_int("image_shape", d, minimum=1) for d in image_shape)
        self.filters = tuple(check_int("filters", f, minimum=1) for f in filters)
        self.dense_units = check_int("dense_units", dense_units, minimum=1)
        self.dropout = check_number("dropout", dropout, minimum=0.0, maximum=1.0, high_open=True)
        self.seed = None if seed is None else check_int("seed", seed, minimum=0)

        body = [keras.Input(self.image_shape)]
        for width in self.filters:
            for _ in range(2):
                body += [
                    keras.layers.Conv2D(width, 3, padding="same", use_bias=False),
                    keras.layers.BatchNormalization(synchronized=True),
                    keras.layers.ReLU(),
                ]
            body.append(keras.layers.MaxPooling2D())
        body += [
            keras.layers.Flatten(),
            ExampleDropout(self.dropout, seed=self.seed, name="dropout"),
            keras.layers.Dense(self.dense_units, use_bias=False),
            keras.layers.BatchNormalization(synchronized=True),
            keras.layers.ReLU(),
        ]
        self.feature_extractor = keras.Sequential(body, name="feature_extractor")
        self.head = keras.Sequential(
            [
                keras.Input((self.dense_units,)),
                ExampleDropout(self.dropout, seed=None if self.seed is None else self.seed + 1, name="dropout_1"),
                keras.layers.Dense(self.num_classes),
            ],
            name="head",
        )
        self.build((None,) + self.image_shape)

    def build(self, input_shape=None):
        self.built = True

    def call(self, images, training=False):
        return self.head(self.feature_extractor(images, training=training), training=training)

    def compile(self, optimizer="adam", loss=None, metrics=None, precision=None, **kwargs):
        """Compile with good defaults: Adam, sparse cross-entropy on logits, accuracy.

        The optimizer is built here, inside any strategy scope (Keras issue 23085).

        Args:
            optimizer: a Keras optimizer or its name (default "adam").
            loss: a Keras loss or None (sparse cross-entropy on logits).
            metrics: a list of metrics or None (["accuracy"]).
            precision: None (the layers' dtype policies as they are), "float32", or
                "bfloat16": the network computes in Keras's mixed_bfloat16 policy but for its
                last layer (the logits stay float32; see `kgen.core.precision`).
            **kwargs: passed to `keras.Model.compile`.
        """
        self.precision = precision
        if precision is not None:
            set_precision(self.feature_extractor, precision)
            set_precision(self.head, precision)
        super().compile(
            optimizer=optimizer,
            loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=metrics if metrics is not None else ["accuracy"],
            **kwargs,
        )
        self.optimizer.build(self.trainable_variables)

    def _check(self, images):
        return check_images("images", images, self.image_shape)

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit` on images in [0, 1] and their class labels; arrays are checked up front.

        Args:
            x: float images (n, h, w, c) in [0, 1], or a tf.data.Dataset of (images, labels) batches.
            y: int labels (n,) in [0, num_classes) when x is an array.
            *args: passed to `keras.Model.fit`.
            **kwargs: passed to `keras.Model.fit` (batch_size, epochs, callbacks, ...).
        """
        if not is_data_stream(x):
            x = check_images("x", x, self.image_shape)
            y = check_labels("y", y, len(x), self.num_classes)
        x, y, kwargs = fit_feed(x, y, args, kwargs, self.distribute_strategy)
        return super().fit(x, y, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        """`keras.Model.predict`: the logits, float32 (n, num_classes); a numpy x is fed in order
        without tf.data's autotuning (`kgen.core.feeding.predict_feed`)."""
        x, kwargs = predict_feed(x, args, kwargs, self.distribute_strategy)
        return super().predict(x, *args, **kwargs)

    def features(self, images, batch_size=500):
        """Penultimate-layer features, float32 of shape (n, dense_units)."""
        images, kwargs = predict_feed(self._check(images), (), {"batch_size": batch_size}, self.distribute_strategy)
        return self.feature_extractor.predict(images, verbose=0, **kwargs)

    def predict_proba(self, images, batch_size=500):
        """Class probabilities, float32 of shape (n, num_classes)."""
        images = self._check(images)
        logits = self.predict(images, batch_size=batch_size, verbose=0)
        return keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))

    def predict_labels(self, images, batch_size=500):
        """The most probable class of each image, int64 of shape (n,)."""
        return np.argmax(self.predict_proba(images, batch_size=batch_size), axis=-1)

    def serving_functions(self):
        """What `export` writes: "classify", images (n, h, w, c) in [0, 1] -> "logits" and
        "probabilities" (their softmax), each (n, num_classes).

        Returns:
            list of one `kgen.presets.ServingFunction`.
        """
        def classify(images):
            logits = self(images, training=False)
            return {"logits": logits, "probabilities": tf.nn.softmax(logits, axis=-1)}

        images = tf.TensorSpec((None, *self.image_shape), tf.float32, name="images")
        return [ServingFunction("classify", classify, (images,),
                                "images in [0, 1] -> class logits and their softmax probabilities")]

    def preset_probe(self):
        """Logits on a fixed pseudo-random batch, recorded in a preset's metadata."""
        probe = np.random.default_rng(0).random((4,) + self.image_shape, dtype="float32")
        return keras.ops.convert_to_numpy(self(probe, training=False))

    def get_config(self):
        config = super().get_config()
        config.update(
            num_classes=self.num_classes,
            image_shape=self.image_shape,
            filters=self.filters,
            dense_units=self.dense_units,
            dropout=self.dropout,
            seed=self.seed,
        )
        return config
