"""Fashion-MNIST from IDX files, as numpy arrays or a `tf.data.Dataset`.

The files are looked for, in order, in: an explicit `path=` (only there when
given), the folder named by the `KGEN_DATA_DIR` environment variable, the Debian
package `dataset-fashion-mnist` (``/usr/share/datasets/fashion-mnist``; install it
with ``make data``), and finally `keras.datasets.fashion_mnist`, which downloads
where the network allows. Plain and gzipped IDX files are both read.

Reference:
    Xiao, Rasul and Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
    Benchmarking Machine Learning Algorithms", 2017.
"""

import gzip
import os

import numpy as np

from kgen.core.errors import DataFormatError, DataNotFoundError
from kgen.core.validation import check_choice, check_int

FASHION_MNIST_LABELS = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
FIX_COMMAND = "make data  (or: sudo apt-get install dataset-fashion-mnist)"

_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000),
}
_IDX_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path):
    """Parse an IDX file (optionally gzipped) into a numpy array.

    Checks the magic number (two zero bytes, a known type code, the number of
    dimensions) and that the payload holds exactly the declared number of items.

    Args:
        path: str, the file to read; a ``.gz`` suffix or gzip magic bytes select gzip.

    Returns:
        numpy array of the declared shape and type.

    Raises:
        DataFormatError: the file is not IDX, is truncated, or has trailing bytes.

    Examples:
        >>> import struct
        >>> with open("labels-idx1-ubyte", "wb") as f:   # magic 0, 0, type 8 (uint8), 1 dimension; 3 items
        ...     _ = f.write(struct.pack(">4BI", 0, 0, 8, 1, 3) + bytes([9, 2, 1]))
        >>> kgen.datasets.read_idx("labels-idx1-ubyte")
        array([9, 2, 1], dtype=uint8)
    """
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise DataFormatError(f"{path} is a damaged gzip file ({error}).") from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataFormatError(
            f"{path} is not an IDX file: its magic number is {raw[:4].hex() or 'missing'}, "
            "expected 0000 followed by a type code (08 for uint8) and the number of dimensions."
        )
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataFormatError(f"{path} is truncated: its header needs {header} bytes.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        state = "truncated" if len(raw) < expected else "longer than its header says"
        raise DataFormatError(
            f"{path} is {state}: the header declares shape {shape} ({expected} bytes "
            f"with the header) but the file holds {len(raw)} bytes."
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(directory, stem):
    for name in (stem, stem + ".gz"):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def _read_split(directory, split):
    images_stem, labels_stem, count = _FILES[split]
    images_path, labels_path = _find(directory, images_stem), _find(directory, labels_stem)
    if images_path is None or labels_path is None:
        return None
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise DataFormatError(
            f"{images_path} must hold uint8 images of shape (n, 28, 28); "
            f"got {images.dtype} of shape {images.shape}."
        )
    if labels.shape != (images.shape[0],):
        raise DataFormatError(
            f"{labels_path} holds {labels.shape[0] if labels.ndim else 0} labels for "
            f"{images.shape[0]} images in {images_path}."
        )
    if images.shape[0] != count:
        raise DataFormatError(
            f"{images_path} holds {images.shape[0]} images; Fashion-MNIST's {split} split has {count}."
        )
    return images, labels


def _from_keras(split):
    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    return (x_train, y_train) if split == "train" else (x_test, y_test)


def _load_raw(split, path, download):
    if path is not None:
        places = [os.fspath(path)]
    else:
        places = [d for d in (os.environ.get("KGEN_DATA_DIR"), DEBIAN_DIR) if d]
    tried = []
    for directory in places:
        found = _read_split(directory, split) if os.path.isdir(directory) else None
        if found is not None:
            return found
        tried.append(f"{directory} (no {_FILES[split][0]}[.gz] with its labels)")
    if path is None and download:
        try:
            return _from_keras(split)
        except Exception as error:  # noqa: BLE001 - any download failure ends the search
            tried.append(f"keras.datasets.fashion_mnist download ({type(error).__name__}: {error})")
    elif path is None:
        tried.append("keras.datasets.fashion_mnist download (skipped: download=False)")
    raise DataNotFoundError(
        f"Fashion-MNIST {split} split not found. Looked in:\n  - "
        + "\n  - ".join(tried)
        + f"\nFix: {FIX_COMMAND}, or set KGEN_DATA_DIR to a folder holding the IDX files."
    )


def load_fashion_mnist(
    split="train",
    path=None,
    as_dataset=False,
    batch_size=128,
    shuffle=True,
    seed=None,
    drop_remainder=True,
    download=True,
):
    """Load Fashion-MNIST as float32 NHWC images in [0, 1] and int labels.

    Args:
        split: str, "train" (60,000 images) or "test" (10,000), default "train".
        path: str or None, a folder holding the IDX files; when given, only it is searched.
        as_dataset: bool, return a shuffled, batched, prefetched `tf.data.Dataset`
            of (images, labels) instead of numpy arrays (default False).
        batch_size: int, batch size of the dataset form (default 128).
        shuffle: bool, shuffle the dataset form every epoch (default True).
        seed: int or None, shuffle seed of the dataset form.
        drop_remainder: bool, drop the last partial batch of the dataset form so
            every step sees the same shape and compiled steps never retrace (default True).
        download: bool, fall back to `keras.datasets.fashion_mnist` (default True).

    Returns:
        `(x, y)`: x float32 of shape (n, 28, 28, 1) in [0, 1], y int32 of shape (n,);
        or a `tf.data.Dataset` when `as_dataset=True`.

    Raises:
        DataNotFoundError: no place held the files; the message lists every place tried.
        DataFormatError: a file is corrupt or truncated.

    Examples:
        >>> x, y = kgen.datasets.load_fashion_mnist("test")     # doctest: +SKIP
        >>> x.shape, kgen.datasets.FASHION_MNIST_LABELS[y[0]]    # doctest: +SKIP
        ((10000, 28, 28, 1), 'Ankle boot')

        Offline, from a folder of IDX files (here all-black stand-ins of the test split's size):

        >>> import struct
        >>> with open("t10k-images-idx3-ubyte", "wb") as f:
        ...     _ = f.write(struct.pack(">4B3I", 0, 0, 8, 3, 10_000, 28, 28) + bytes(10_000 * 28 * 28))
        >>> with open("t10k-labels-idx1-ubyte", "wb") as f:
        ...     _ = f.write(struct.pack(">4BI", 0, 0, 8, 1, 10_000) + bytes([9]) * 10_000)
        >>> batches = kgen.datasets.load_fashion_mnist("test", path=".", as_dataset=True, batch_size=32)
        >>> [tuple(part.shape) for part in batches.element_spec]
        [(32, 28, 28, 1), (32,)]
    """
    check_choice("split", split, tuple(_FILES))
    images, labels = _load_raw(split, path, download)
    x = (images.astype("float32") / 255.0)[..., None]
    y = labels.astype("int32")
    if not as_dataset:
        return x, y
    import tensorflow as tf

    from kgen.core.feeding import PREFETCH, without_autotune

    batch_size = check_int("batch_size", batch_size, minimum=1)
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return without_autotune(dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(PREFETCH))


def binarize(x, seed=0):
    """A fixed binarization of images in [0, 1]: each pixel is 1 with probability x.

    The test set of a dynamically binarized model is binarized once, with a seed,
    so every evaluation scores the same binary images.

    Args:
        x: float array of images in [0, 1].
        seed: int, the binarization seed (default 0).

    Returns:
        float32 array of 0s and 1s, the shape of `x`.

    Examples:
        >>> x = np.full((2, 28, 28, 1), 0.25, "float32")
        >>> binary = kgen.datasets.binarize(x, seed=0)
        >>> binary.dtype, np.unique(binary).tolist(), round(float(binary.mean()), 2)
        (dtype('float32'), [0.0, 1.0], 0.25)
        >>> bool((kgen.datasets.binarize(x, seed=0) == binary).all())   # the same seed, the same images
        True
    """
    from kgen.ops.sampling import bernoulli_from_uniform

    uniform = np.random.default_rng(check_int("seed", seed, minimum=0)).random(np.shape(x))
    return bernoulli_from_uniform(uniform.astype("float32"), np.asarray(x, "float32")).astype("float32")
