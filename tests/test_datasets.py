import gzip
import os

import numpy as np
import pytest

from kgen import datasets
from kgen.datasets import fashion_mnist
from kgen.errors import DataFormatError, DataNotFoundError, KgenValueError


def write_idx(path, array, compress=False):
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    data = header + array.tobytes()
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if compress else data)
    return path


def write_split(folder, split, count, compress=True):
    images_stem, labels_stem, _ = fashion_mnist._FILES[split]
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, count, dtype=np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(os.path.join(folder, images_stem + suffix), images, compress)
    write_idx(os.path.join(folder, labels_stem + suffix), labels, compress)
    return images, labels


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path, compress):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = write_idx(tmp_path / "a.idx", array, compress)
    np.testing.assert_array_equal(datasets.read_idx(path), array)


def test_read_idx_wrong_magic(tmp_path):
    path = tmp_path / "bad.idx"
    path.write_bytes(b"\x89PNG" + bytes(20))
    with pytest.raises(DataFormatError, match="not an IDX file"):
        datasets.read_idx(path)


def test_read_idx_truncated(tmp_path):
    path = write_idx(tmp_path / "a.idx", np.zeros((5, 28, 28)))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataFormatError, match="truncated"):
        datasets.read_idx(path)


def test_read_idx_trailing_bytes(tmp_path):
    path = write_idx(tmp_path / "a.idx", np.zeros((5,)))
    path.write_bytes(path.read_bytes() + b"xx")
    with pytest.raises(DataFormatError, match="longer than its header"):
        datasets.read_idx(path)


def test_read_idx_damaged_gzip(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (50, 28, 28))
    path = write_idx(tmp_path / "a.idx.gz", noise, compress=True)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataFormatError, match="damaged gzip"):
        datasets.read_idx(path)


def test_load_from_path_scales_and_shapes(tmp_path):
    images, labels = write_split(tmp_path, "test", 10000)
    x, y = datasets.load_fashion_mnist("test", path=tmp_path)
    assert x.shape == (10000, 28, 28, 1) and x.dtype == np.float32
    assert y.shape == (10000,) and y.dtype == np.int32
    np.testing.assert_allclose(x[..., 0] * 255.0, images, atol=1e-3)
    np.testing.assert_array_equal(y, labels)


def test_load_from_env_dir(tmp_path, monkeypatch):
    write_split(tmp_path, "test", 10000, compress=False)
    monkeypatch.setenv("KGEN_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", str(tmp_path / "nowhere"))
    x, _ = datasets.load_fashion_mnist("test", download=False)
    assert x.shape == (10000, 28, 28, 1)


def test_as_dataset_batches_without_remainder(tmp_path):
    write_split(tmp_path, "test", 10000)
    ds = datasets.load_fashion_mnist("test", path=tmp_path, as_dataset=True, batch_size=3000, seed=0)
    shapes = [tuple(x.shape) for x, _ in ds]
    assert shapes == [(3000, 28, 28, 1)] * 3


def test_wrong_count_is_reported(tmp_path):
    write_split(tmp_path, "test", 10)
    with pytest.raises(DataFormatError, match="holds 10 images"):
        datasets.load_fashion_mnist("test", path=tmp_path)


def test_not_found_names_every_place_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("KGEN_DATA_DIR", str(tmp_path / "env_dir"))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", str(tmp_path / "debian_dir"))
    with pytest.raises(DataNotFoundError) as info:
        datasets.load_fashion_mnist("train", download=False)
    message = str(info.value)
    assert "env_dir" in message and "debian_dir" in message and "keras.datasets" in message
    assert "make data" in message


def test_explicit_path_is_the_only_place(tmp_path):
    with pytest.raises(DataNotFoundError, match="missing"):
        datasets.load_fashion_mnist("test", path=tmp_path / "missing")


def test_bad_split():
    with pytest.raises(KgenValueError, match="split must be one of 'train', 'test'; got 'val'"):
        datasets.load_fashion_mnist("val")


def test_real_test_split(fashion_mnist_test):
    x, y = fashion_mnist_test
    assert x.shape == (10000, 28, 28, 1) and 0.0 <= x.min() and x.max() <= 1.0
    assert np.bincount(y).tolist() == [1000] * 10
    assert len(datasets.FASHION_MNIST_LABELS) == 10
