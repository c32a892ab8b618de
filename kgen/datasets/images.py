"""Your own images: a folder of PNG/JPEG files (class subfolders become labels) or an .npz/.npy
array file, as float32 NHWC in [0, 1], like `load_fashion_mnist`."""

import dataclasses
import hashlib
import os

import numpy as np

from kgen.core.errors import DataFormatError, DataNotFoundError, KgenTypeError
from kgen.core.validation import check_choice, check_int, fail

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
ARRAY_SUFFIXES = (".npz", ".npy")
IMAGE_KEYS = ("x", "images")
"""Where an .npz file keeps its images (the first key present), and below its labels."""
LABEL_KEYS = ("y", "labels")
PIL_MODES = {1: "L", 3: "RGB"}


@dataclasses.dataclass(frozen=True)
class LoadedImages:
    """Images read by `load_images`; unpacks as `x, y = load_images(...)`.

    Attributes:
        x: float32 (n, h, w, c) in [0, 1].
        y: int32 (n,) labels, or None.
        class_names: tuple of str, the class subfolders in label order (empty without them).
        source: str, the folder or file read, as given.
        sha256: str, of the sorted file list with each file's own sha256 (or of the array
            file): what a model card records to identify the data.

    Examples:
        >>> pixels = np.random.default_rng(0).integers(0, 256, (5, 32, 32, 3), dtype="uint8")
        >>> np.savez("shoes.npz", x=pixels, y=np.array([0, 1, 0, 1, 1]))
        >>> data = kgen.datasets.load_images("shoes.npz")
        >>> data.x.shape, data.y.tolist(), data.source, len(data.sha256)
        ((5, 32, 32, 3), [0, 1, 0, 1, 1], 'shoes.npz', 64)
        >>> x, y = data
    """

    x: np.ndarray
    y: np.ndarray
    class_names: tuple
    source: str
    sha256: str

    def __iter__(self):
        return iter((self.x, self.y))


def load_images(path, image_size=None, channels=None, labels="folders", as_dataset=False, batch_size=128,
                shuffle=True, seed=None, drop_remainder=True):
    """Read your own images as float32 NHWC in [0, 1] (and int labels).

    A folder holds PNG or JPEG files, or one subfolder of them per class (sorted names are
    the labels 0, 1, ...). An .npz file holds the images under "x" or "images" (and labels
    under "y" or "labels"); an .npy file is the images. Arrays are uint8 in [0, 255] or
    floats in [0, 1], of shape (n, h, w) or (n, h, w, c).

    Args:
        path: str, a folder, an .npz or an .npy file.
        image_size: optional int or (height, width): resize every image to it (default:
            keep the size, which must then be the same for every image).
        channels: optional 1 or 3: convert to greyscale or RGB (default: the images' own,
            which must agree).
        labels: "folders" (default: class subfolders are labels; a flat folder has none) or
            None (no labels; the subfolders' images are read all the same).
        as_dataset: bool, return a shuffled, batched, prefetched `tf.data.Dataset` of images
            (or (images, labels)) with a `class_names` attribute (default False).
        batch_size: int, batch size of the dataset form (default 128).
        shuffle: bool, shuffle the dataset form every epoch (default True).
        seed: int or None, shuffle seed of the dataset form.
        drop_remainder: bool, drop the last partial batch of the dataset form (default True).

    Returns:
        `LoadedImages` (unpacks as `x, y`), or a `tf.data.Dataset` when `as_dataset=True`.

    Raises:
        DataNotFoundError: the path does not exist, or a folder holds no images.
        DataFormatError: a file cannot be read (named), sizes or channels differ without
            `image_size` / `channels`, or an array's values are outside its range.

    Examples:
        >>> import os
        >>> for label in ("boots", "sandals"):              # one subfolder of PNGs per class
        ...     os.makedirs(f"my_shoes/{label}")
        ...     for i in range(2):
        ...         _ = kgen.plot.save_png(np.full((32, 32, 3), 255 * i, "uint8"), f"my_shoes/{label}/{i}.png")
        >>> x, y = kgen.datasets.load_images("my_shoes/", image_size=16, channels=1)
        >>> x.shape, x.dtype, y.tolist()
        ((4, 16, 16, 1), dtype('float32'), [0, 0, 1, 1])
    """
    if not isinstance(path, (str, os.PathLike)):
        fail("path", path, "a folder of images, an .npz or an .npy file", KgenTypeError)
    path = os.fspath(path)
    size = _check_size(image_size)
    if channels is not None:
        channels = check_choice("channels", channels, tuple(PIL_MODES))
    if labels is not None:
        check_choice("labels", labels, ("folders",))
    if os.path.isdir(path):
        loaded = _read_folder(path, size, channels, labels == "folders")
    elif os.path.isfile(path) and path.lower().endswith(ARRAY_SUFFIXES):
        loaded = _read_array_file(path, size, channels, labels is not None)
    elif os.path.exists(path):
        fail("path", path, f"a folder of images or an array file ({', '.join(ARRAY_SUFFIXES)})")
    else:
        raise DataNotFoundError(f"path {path!r} does not exist: give a folder of images or an .npz/.npy file.")
    if not as_dataset:
        return loaded
    import tensorflow as tf

    from kgen.core.feeding import PREFETCH, without_autotune

    batch_size = check_int("batch_size", batch_size, minimum=1)
    elements = loaded.x if loaded.y is None else (loaded.x, loaded.y)
    dataset = tf.data.Dataset.from_tensor_slices(elements)
    if shuffle:
        dataset = dataset.shuffle(len(loaded.x), seed=seed, reshuffle_each_iteration=True)
    dataset = without_autotune(dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(PREFETCH))
    dataset.class_names = list(loaded.class_names)
    return dataset


def _check_size(image_size):
    if image_size is None:
        return None
    pair = (image_size, image_size) if np.ndim(image_size) == 0 else tuple(image_size)
    if len(pair) != 2:
        fail("image_size", image_size, "an int or (height, width)")
    return tuple(check_int("image_size", side, minimum=1) for side in pair)


def _image_files(folder):
    return sorted(name for name in os.listdir(folder)
                  if name.lower().endswith(IMAGE_SUFFIXES) and os.path.isfile(os.path.join(folder, name)))


def _read_folder(folder, size, channels, by_class):
    classes = sorted(name for name in os.listdir(folder) if os.path.isdir(os.path.join(folder, name))
                     and _image_files(os.path.join(folder, name)))
    if classes:
        files = [(os.path.join(name, file), label) for label, name in enumerate(classes)
                 for file in _image_files(os.path.join(folder, name))]
    else:
        files = [(file, None) for file in _image_files(folder)]
    if not files:
        raise DataNotFoundError(
            f"path {folder!r} holds no images: expected PNG or JPEG files ({', '.join(IMAGE_SUFFIXES)}), "
            "or one subfolder of them per class.")
    digest = hashlib.sha256()
    images = []
    for relative, _ in files:
        full = os.path.join(folder, relative)
        with open(full, "rb") as f:
            raw = f.read()
        digest.update(f"{relative}\t{hashlib.sha256(raw).hexdigest()}\n".encode())
        images.append(_decode(full, raw, size, channels))
    _check_same("size", [(image.shape[:2], relative) for image, (relative, _) in zip(images, files)], "image_size")
    _check_same("channels", [(image.shape[2], relative) for image, (relative, _) in zip(images, files)], "channels")
    x = np.stack(images).astype("float32") / 255.0
    labelled = bool(classes) and by_class
    y = np.array([label for _, label in files], "int32") if labelled else None
    return LoadedImages(x, y, tuple(classes) if labelled else (), folder, digest.hexdigest())


def _decode(path, raw, size, channels):
    """uint8 (h, w, c) of one file."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise DataFormatError(f"{path} cannot be read as an image ({error}).") from None
    if channels is not None:
        image = image.convert(PIL_MODES[channels])
    elif image.mode not in ("L", "RGB"):
        image = image.convert("RGB" if image.mode in ("RGBA", "P", "CMYK", "YCbCr", "LA") else "L")
    if size is not None and image.size != (size[1], size[0]):
        image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    array = np.asarray(image, dtype=np.uint8)
    return array[..., None] if array.ndim == 2 else array


def _check_same(what, values_and_files, argument):
    first_value, first_file = values_and_files[0]
    for value, file in values_and_files[1:]:
        if value != first_value:
            raise DataFormatError(
                f"the images differ in {what}: {first_file} has {first_value}, {file} has {value}. "
                f"Pass {argument}= to make them all the same.")


def _read_array_file(path, size, channels, with_labels):
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    try:
        if path.lower().endswith(".npy"):
            images, y = np.load(path, allow_pickle=False), None
        else:
            with np.load(path, allow_pickle=False) as archive:
                keys = list(archive.keys())
                image_key = next((k for k in IMAGE_KEYS if k in keys), keys[0] if len(keys) == 1 else None)
                if image_key is None:
                    raise DataFormatError(f"{path} holds {keys}: expected the images under one of {IMAGE_KEYS}.")
                label_key = next((k for k in LABEL_KEYS if k in keys), None)
                images = archive[image_key]
                y = archive[label_key] if label_key and with_labels else None
    except (OSError, ValueError) as error:
        raise DataFormatError(f"{path} cannot be read as a numpy array file ({error}).") from None
    x = _as_unit_images(path, images)
    if y is not None:
        y = np.asarray(y)
        if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or (y < 0).any():
            raise DataFormatError(f"{path}: the labels must be {len(x)} ints >= 0; got shape {y.shape}, {y.dtype}.")
        y = y.astype("int32")
    if channels is not None and x.shape[-1] != channels:
        x = np.repeat(x, 3, axis=-1) if channels == 3 else x.mean(axis=-1, keepdims=True)
    if size is not None and x.shape[1:3] != size:
        import tensorflow as tf

        x = np.clip(tf.image.resize(x, size, method="bilinear", antialias=True).numpy(), 0.0, 1.0)
    names = tuple(str(k) for k in range(int(y.max()) + 1)) if y is not None else ()
    return LoadedImages(x.astype("float32"), y, names, path, digest)


def _as_unit_images(path, images):
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in PIL_MODES or not len(images):
        raise DataFormatError(f"{path}: expected images of shape (n, h, w) or (n, h, w, 1 or 3); got {images.shape}.")
    if images.dtype == np.uint8:
        return images.astype("float32") / 255.0
    if not np.issubdtype(images.dtype, np.floating):
        raise DataFormatError(f"{path}: expected uint8 or float images; got {images.dtype}.")
    low, high = float(np.nanmin(images)), float(np.nanmax(images))
    if not np.isfinite(images).all() or low < 0.0 or high > 1.0:
        hint = " (divide by 255 first)" if high <= 255.0 and low >= 0.0 else ""
        raise DataFormatError(f"{path}: float images must lie in [0, 1]; got values from {low:g} to {high:g}{hint}.")
    return images.astype("float32")
