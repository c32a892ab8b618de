"""Argument checks shared by every public entry point.

Each check raises a `kgen.errors` exception whose message names the argument,
what was given and what was expected, e.g.
``num_samples must be an integer >= 1; got 0.``
"""

import numbers

import numpy as np

from kgen.core.errors import KgenTypeError, KgenValueError


def _describe(value):
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        dtype = getattr(value.dtype, "name", str(value.dtype))
        try:
            shape = tuple(value.shape)
        except (TypeError, ValueError):  # a symbolic tensor of unknown rank
            shape = "unknown"
        return f"an array of shape {shape} and dtype {dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def fail(name, given, expected, error=KgenValueError):
    """Raise `error` with the house message for argument `name`."""
    raise error(f"{name} must be {expected}; got {_describe(given)}.")


def check_int(name, value, minimum=None, maximum=None):
    """An integer (not bool) within [minimum, maximum]. Returns it as int."""
    bounds = []
    if minimum is not None:
        bounds.append(f">= {minimum}")
    if maximum is not None:
        bounds.append(f"<= {maximum}")
    expected = "an integer" + (" " + " and ".join(bounds) if bounds else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        fail(name, value, expected, KgenTypeError)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        fail(name, value, expected)
    return int(value)


def check_number(name, value, minimum=None, maximum=None, low_open=False, high_open=False):
    """A finite real number within the given (optionally open) bounds. Returns a float."""
    bounds = []
    if minimum is not None:
        bounds.append(f"{'>' if low_open else '>='} {minimum}")
    if maximum is not None:
        bounds.append(f"{'<' if high_open else '<='} {maximum}")
    expected = "a finite number" + (" " + " and ".join(bounds) if bounds else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fail(name, value, expected, KgenTypeError)
    value = float(value)
    if not np.isfinite(value):
        fail(name, value, expected)
    if minimum is not None and (value < minimum or (low_open and value == minimum)):
        fail(name, value, expected)
    if maximum is not None and (value > maximum or (high_open and value == maximum)):
        fail(name, value, expected)
    return value


def check_choice(name, value, choices):
    """One of `choices`. Returns it."""
    if value not in choices:
        fail(name, value, "one of " + ", ".join(repr(c) for c in choices))
    return value


def is_data_stream(x):
    """Whether `fit`'s x is a stream Keras reads batch by batch (a tf.data.Dataset, a distributed
    dataset, a PyDataset or an iterator), checked when the step is traced, rather than arrays
    checked up front."""
    import keras
    import tensorflow as tf

    streams = (tf.data.Dataset, tf.distribute.DistributedDataset, keras.utils.PyDataset)
    return isinstance(x, streams) or hasattr(x, "__next__")


def check_labels(name, labels, n, num_classes, allow_scalar=False):
    """n integer class labels in [0, num_classes) (or, with `allow_scalar`, one int for all), as int32 (n,)."""
    array = as_numeric_array(name, labels, f"integer class labels in [0, {num_classes})")
    if not np.issubdtype(array.dtype, np.integer):
        fail(name, labels, f"integer class labels in [0, {num_classes})", KgenTypeError)
    if allow_scalar and array.ndim == 0:
        array = np.full(n, array)
    if array.shape not in ((n,), (n, 1)):
        fail(name, labels, f"an int or an array of {n} ints (one per image)" if allow_scalar
             else f"an array of {n} labels (one per image)")
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        raise KgenValueError(
            f"{name} must be class labels in [0, {num_classes}); got values in [{array.min()}, {array.max()}]."
        )
    return array.reshape(n).astype("int32")


def as_numeric_array(name, value, expected="a numeric array"):
    """`value` as a real-valued numpy array (ints, unsigned or floats; not bool, text or objects)."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):  # ragged nested lists
        fail(name, value, expected + " (rectangular)", KgenTypeError)
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        fail(name, array if array.dtype != object else value, expected, KgenTypeError)
    return array


def check_mask(name, value):
    """A bool array, or a numeric one of 0s and 1s. Returns it as bool."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        fail(name, value, "a rectangular array of booleans", KgenTypeError)
    if array.dtype == bool:
        return array
    array = as_numeric_array(name, array, "an array of booleans (or 0s and 1s)")
    if not np.all((array == 0) | (array == 1)):
        fail(name, array, "an array of booleans (or 0s and 1s)")
    return array.astype(bool)


def check_finite(name, array):
    """An array with no NaN or infinity. Returns it as a numpy array."""
    array = as_numeric_array(name, array)
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise KgenValueError(
            f"{name} must be finite; got {_describe(array)} with {bad} NaN or infinite values."
        )
    return array


def check_images(name, images, image_shape=None, value_range=(0.0, 1.0), min_count=1):
    """A float batch of at least `min_count` NHWC images, optionally of a given (H, W, C), within
    `value_range`. Returns the batch as a float32 numpy array.
    """
    array = as_numeric_array(name, images, "a numeric array of images").astype("float32", copy=False)
    if image_shape is not None:
        expected = f"a batch of images of shape (n, {', '.join(str(d) for d in image_shape)})"
        if array.ndim != len(image_shape) + 1 or tuple(array.shape[1:]) != tuple(image_shape):
            fail(name, array, expected)
    elif array.ndim != 4:
        fail(name, array, "a batch of NHWC images (4 dimensions)")
    if len(array) < min_count:
        fail(name, array, f"a batch of at least {min_count} image{'s' if min_count > 1 else ''}")
    check_finite(name, array)
    if value_range is not None and array.size:
        low, high = value_range
        if array.min() < low or array.max() > high:
            raise KgenValueError(
                f"{name} must have values in [{low}, {high}]; got values in "
                f"[{array.min():.4g}, {array.max():.4g}]. Scale uint8 images with x / 255."
            )
    return array
