"""kgen.core.feeding: arrays fed to `fit` as tf.data pipelines without tf.data's autotuning thread."""

import numpy as np
import tensorflow as tf

from kgen.core import feeding


class TwoReplicas:
    num_replicas_in_sync = 2


def batches(dataset):
    return [tuple(np.asarray(part) for part in batch) if isinstance(batch, tuple) else np.asarray(batch)
            for batch in dataset]


def test_array_dataset_batches_every_row_once_per_epoch_and_reshuffles():
    x, y = np.arange(70, dtype="float32")[:, None], np.arange(70, dtype="int32")
    dataset = feeding.array_dataset((x, y), 32, shuffle=True)
    assert dataset.options().autotune.enabled is False
    first, second = batches(dataset), batches(dataset)
    assert [len(b[0]) for b in first] == [32, 32, 6]  # the last batch partial, as Keras's array adapter's
    for epoch in (first, second):
        images = np.concatenate([b[0][:, 0] for b in epoch])
        labels = np.concatenate([b[1] for b in epoch])
        np.testing.assert_array_equal(np.sort(labels), np.arange(70))
        np.testing.assert_array_equal(images, labels)  # rows stay together
    assert not np.array_equal(first[0][1], second[0][1])  # a new order every epoch


def test_array_dataset_in_order_without_shuffle():
    dataset = feeding.array_dataset((np.arange(5),), 2, shuffle=False)
    np.testing.assert_array_equal(np.concatenate(batches(dataset)), np.arange(5))


def test_fit_feed_turns_arrays_into_datasets_and_leaves_the_rest_to_keras():
    x, y = np.zeros((10, 3), "float32"), np.zeros(10, "int32")
    fed, fed_y, kwargs = feeding.fit_feed(x, y, (), {"batch_size": 4, "epochs": 2, "validation_data": (x, y)})
    assert isinstance(fed, tf.data.Dataset) and fed_y is None
    assert kwargs["epochs"] == 2 and kwargs["shuffle"] is False and "batch_size" not in kwargs
    assert isinstance(kwargs["validation_data"], tf.data.Dataset)
    assert [len(b[0]) for b in batches(kwargs["validation_data"])] == [4, 4, 2]
    for kwargs in ({"validation_split": 0.2}, {"sample_weight": np.ones(10)}, {"steps_per_epoch": 2}):
        assert feeding.fit_feed(x, y, (), kwargs)[0] is x
    assert feeding.fit_feed(x, y, (4,), {})[0] is x  # a positional batch_size
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(2)
    assert feeding.fit_feed(dataset, None, (), {})[0] is dataset
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        assert feeding.fit_feed(x, y, (), {})[0] is x

    assert feeding.fit_feed(x, y, (), {}, TwoReplicas())[0] is x
    assert feeding.fit_feed(x, y, (), {}, tf.distribute.get_strategy())[0] is not x


def test_kgen_datasets_are_not_autotuned():
    from kgen.recipes.training import batch_dataset

    dataset = batch_dataset((np.zeros((8, 2), "float32"),), np.arange(8).reshape(2, 4))
    assert dataset.options().autotune.enabled is False


def test_a_kgen_model_fits_arrays_through_the_feed(monkeypatch):
    from kgen.models import Classifier

    fed, original = [], feeding.array_dataset
    monkeypatch.setattr(feeding, "array_dataset", lambda *a, **k: fed.append(a[1]) or original(*a, **k))
    model = Classifier(num_classes=3, image_shape=(8, 8, 1), filters=(2, 2), dense_units=4)
    model.compile()
    x, y = np.random.default_rng(0).uniform(size=(10, 8, 8, 1)).astype("float32"), np.arange(10) % 3
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_data=(x[:5], y[:5]))
    assert fed == [4, 4]  # the validation data, then the training data, both at batch 4
    assert len(history.history["loss"]) == 2 and "val_loss" in history.history


def test_predict_feed_keeps_the_order_and_leaves_the_rest_to_keras():
    x = np.arange(70, dtype="float32")[:, None]
    fed, kwargs = feeding.predict_feed(x, (), {"batch_size": 32, "verbose": 0})
    assert kwargs == {"verbose": 0} and fed.options().autotune.enabled is False
    np.testing.assert_array_equal(np.concatenate(batches(fed)), x)
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(8)
    assert feeding.predict_feed(dataset, (), {})[0] is dataset
    assert feeding.predict_feed(x, (16,), {})[0] is x  # a positional batch_size
    assert feeding.predict_feed(x, (), {"steps": 2})[0] is x
    assert feeding.predict_feed(x, (), {}, TwoReplicas())[0] is x


def test_kgen_predictions_go_through_the_feed(monkeypatch):
    from kgen.eval.metrics import embed
    from kgen.models import Classifier

    fed, original = [], feeding.array_dataset
    monkeypatch.setattr(feeding, "array_dataset", lambda *a, **k: fed.append(a[1]) or original(*a, **k))
    model = Classifier(num_classes=3, image_shape=(8, 8, 1), filters=(2, 2), dense_units=4)
    x = np.random.default_rng(0).uniform(size=(10, 8, 8, 1)).astype("float32")
    logits = model.predict(x, batch_size=4, verbose=0)
    np.testing.assert_allclose(logits, model(x), rtol=1e-5, atol=1e-6)
    features = model.features(x, batch_size=3)
    np.testing.assert_allclose(features, model.feature_extractor(x), rtol=1e-5, atol=1e-6)
    embed(x, model.feature_extractor)
    assert fed == [4, 3, 500]
