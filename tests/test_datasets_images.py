"""kgen.datasets.load_images: folders with and without class subfolders, array files, resizing and
channel conversion, the dataset form, and a kgen error for each kind of bad data."""

import numpy as np
import pytest
from PIL import Image

from kgen import datasets
from kgen.errors import DataFormatError, DataNotFoundError, KgenValueError


def write(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode).save(path)


@pytest.fixture
def class_folder(tmp_path):
    """shapes/circle/*.png (3, grey 12x12) and shapes/square/*.png (2): labels 0 and 1."""
    rng = np.random.default_rng(0)
    for name, count in (("circle", 3), ("square", 2)):
        for i in range(count):
            write(tmp_path / "shapes" / name / f"{i}.png", rng.integers(0, 256, (12, 12), dtype=np.uint8))
    (tmp_path / "shapes" / "notes.txt").write_text("not an image")
    return tmp_path / "shapes"


def test_class_subfolders_become_labels_in_sorted_order(class_folder):
    data = datasets.load_images(class_folder)
    x, y = data
    assert x.shape == (5, 12, 12, 1) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert y.tolist() == [0, 0, 0, 1, 1] and data.class_names == ("circle", "square")
    np.testing.assert_array_equal(x[0, ..., 0] * 255, np.asarray(Image.open(class_folder / "circle" / "0.png")))
    assert datasets.load_images(class_folder, labels=None).y is None


def test_resizing_and_channels_on_request(class_folder):
    x, _ = datasets.load_images(class_folder, image_size=(8, 10), channels=3)
    assert x.shape == (5, 8, 10, 3)
    assert np.allclose(x[..., 0], x[..., 2])  # grey made RGB


def test_the_fingerprint_follows_the_files(class_folder):
    first = datasets.load_images(class_folder).sha256
    assert datasets.load_images(class_folder).sha256 == first
    write(class_folder / "square" / "1.png", np.zeros((12, 12), np.uint8))
    assert datasets.load_images(class_folder).sha256 != first


def test_the_dataset_form_batches_images_and_labels(class_folder):
    dataset = datasets.load_images(class_folder, as_dataset=True, batch_size=2, seed=0)
    batches = list(dataset)
    assert len(batches) == 2 and batches[0][0].shape == (2, 12, 12, 1) and dataset.class_names == ["circle", "square"]


def test_npz_and_npy_files(tmp_path):
    x = np.random.default_rng(1).integers(0, 256, (4, 6, 6, 3), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", x=x, y=np.array([0, 1, 2, 1]))
    data = datasets.load_images(tmp_path / "d.npz")
    np.testing.assert_allclose(data.x, x / 255.0, atol=1e-6)
    assert data.y.tolist() == [0, 1, 2, 1] and data.class_names == ("0", "1", "2")
    np.save(tmp_path / "d.npy", (x[..., 0] / 255.0).astype("float32"))
    grey = datasets.load_images(tmp_path / "d.npy", image_size=3)
    assert grey.x.shape == (4, 3, 3, 1) and grey.y is None


@pytest.mark.parametrize("make, error, message", [
    (lambda d: d.mkdir(), DataNotFoundError, "holds no images"),
    (lambda d: None, DataNotFoundError, "does not exist"),
    (lambda d: [write(d / "a.png", np.zeros((4, 4), np.uint8)), write(d / "b.png", np.zeros((5, 4), np.uint8))],
     DataFormatError, r"differ in size: a.png has \(4, 4\), b.png has \(5, 4\).*image_size="),
    (lambda d: [write(d / "a.png", np.zeros((4, 4), np.uint8)), write(d / "b.png", np.zeros((4, 4, 3), np.uint8))],
     DataFormatError, "differ in channels.*channels="),
    (lambda d: [write(d / "a.png", np.zeros((4, 4), np.uint8)), (d / "b.png").write_bytes(b"not a png")],
     DataFormatError, "b.png cannot be read as an image"),
])
def test_bad_folders_get_kgen_errors_naming_the_problem(tmp_path, make, error, message):
    folder = tmp_path / "data"
    make(folder)
    with pytest.raises(error, match=message):
        datasets.load_images(folder)


def test_bad_arrays_and_arguments_get_kgen_errors(tmp_path):
    np.save(tmp_path / "big.npy", np.full((2, 4, 4), 200.0))
    with pytest.raises(DataFormatError, match=r"\[0, 1\]; got values from 200 to 200 \(divide by 255 first\)"):
        datasets.load_images(tmp_path / "big.npy")
    np.save(tmp_path / "flat.npy", np.zeros((2, 16), np.uint8))
    with pytest.raises(DataFormatError, match=r"shape \(n, h, w\)"):
        datasets.load_images(tmp_path / "flat.npy")
    np.savez(tmp_path / "two.npz", a=np.zeros((2, 4, 4)), b=np.zeros(2))
    with pytest.raises(DataFormatError, match="under one of"):
        datasets.load_images(tmp_path / "two.npz")
    with pytest.raises(KgenValueError, match="channels"):
        datasets.load_images(tmp_path / "big.npy", channels=2)
    with pytest.raises(KgenValueError, match="image_size"):
        datasets.load_images(tmp_path / "big.npy", image_size=(1, 2, 3))
