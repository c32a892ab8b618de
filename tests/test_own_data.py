"""`kgen train FAMILY --data PATH`: every image recipe on a folder of your own images, the network
sized from them, the card's Data section, the held-out scores; `--from-preset` fine-tuning; errors."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from kgen import cli
from kgen.recipes import ImageData, ImageSource, VAEFashionMNIST

CLASSES = ("bars", "blobs")
PER_CLASS = 12


def _write_folder(root, size, channels, seed=0):
    """Two classes of size x size images: vertical bars and a bright blob, random colours."""
    rng = np.random.default_rng(seed)
    grid = np.mgrid[:size, :size] / size
    for label, name in enumerate(CLASSES):
        os.makedirs(os.path.join(root, name))
        for index in range(PER_CLASS):
            if label == 0:
                value = (np.sin(grid[1] * rng.uniform(6, 12) + rng.uniform(0, 6)) > 0).astype(float)
            else:
                centre = rng.uniform(0.3, 0.7, 2)
                value = np.exp(-((grid[0] - centre[0]) ** 2 + (grid[1] - centre[1]) ** 2) / 0.02)
            colour = rng.uniform(0.5, 1.0, channels)
            pixels = (255 * value[..., None] * colour).astype("uint8")
            Image.fromarray(pixels[..., 0] if channels == 1 else pixels).save(os.path.join(root, name, f"{index}.png"))
    return root


@pytest.fixture(scope="module")
def rgb32(tmp_path_factory):
    return _write_folder(str(tmp_path_factory.mktemp("rgb32") / "images"), 32, 3)


@pytest.fixture(scope="module")
def grey28(tmp_path_factory):
    return _write_folder(str(tmp_path_factory.mktemp("grey28") / "images"), 28, 1)


def train(capsys, *argv):
    status = cli.main(["train", *argv])
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


def metadata(folder):
    with open(os.path.join(folder, "metadata.json"), encoding="utf-8") as f:
        return json.load(f)


def test_the_held_out_split_is_seeded_and_never_trained_on(rgb32):
    data = ImageData.from_source(ImageSource(rgb32), seed=3)
    again = ImageData.from_source(rgb32, seed=3)
    assert len(data.x_test) == 2 and len(data.x_train) == 2 * PER_CLASS - 2  # a tenth of 24, at least 2
    np.testing.assert_array_equal(data.x_test, again.x_test)
    train_rows = {row.tobytes() for row in data.x_train}
    assert not any(row.tobytes() in train_rows for row in data.x_test)
    assert data.num_classes == 2 and data.features is None
    assert data.source["image_shape"] == [32, 32, 3] and data.source["class_names"] == list(CLASSES)


@pytest.mark.parametrize("family, flags", [
    ("vae", ["--num-samples", "4", "--latent-dim", "4"]),
    pytest.param("dcgan", ["--clusters", "2", "--latent-dim", "8"], marks=pytest.mark.slow),  # cdcgan is below
    pytest.param("pixelcnn", ["--filters", "4", "--num-layers", "2", "--precision", "float32"], marks=pytest.mark.slow),
])
def test_a_generative_family_trains_on_32x32_rgb_images(capsys, tmp_path, rgb32, family, flags):
    out = str(tmp_path / family)
    train(capsys, family, "--data", rgb32, "--epochs", "1", "--batch-size", "8", *flags, "--out", out)
    recorded = metadata(out)
    data = recorded["sections"]["Data"]
    assert rgb32 in data and "32 x 32 x 3" in data and "bars, blobs" in data
    assert ImageData.from_source(rgb32).source["sha256"] in data
    assert "fd_test" not in recorded["metrics"]  # no feature model for these images
    with open(os.path.join(out, "README.md"), encoding="utf-8") as f:
        card = f.read()
    assert "No sample-quality score" in card and "Fashion-MNIST" not in card and "datasets:" not in card
    assert f"--data {rgb32}" in card


def test_a_classifier_trained_on_the_data_scores_a_conditional_gan_of_it(capsys, tmp_path, rgb32):
    classifier = str(tmp_path / "classifier")
    out = train(capsys, "classifier", "--data", rgb32, "--epochs", "2", "--batch-size", "8", "--out", classifier)
    assert "test_accuracy=" in out
    from kgen.models import Classifier

    assert Classifier.from_preset(classifier).num_classes == 2
    gan = str(tmp_path / "cdcgan")
    out = train(capsys, "cdcgan", "--data", rgb32, "--features", classifier, "--epochs", "1", "--batch-size", "8",
                "--latent-dim", "8", "--out", gan)
    scores = metadata(gan)["metrics"]
    assert {"fd_test", "fd_floor", "classifier_score", "class_accuracy_0", "class_accuracy_1"} <= set(scores)
    assert f"`{classifier}`" in metadata(gan)["sections"]["Data"]


def test_fine_tuning_starts_from_the_preset_at_a_tenth_of_the_learning_rate(capsys, tmp_path, grey28):
    from kgen.models import VAE

    out = str(tmp_path / "fine_tuned")
    train(capsys, "vae", "--data", grey28, "--from-preset", "vae_fashion_mnist", "--epochs", "1", "--batch-size", "8",
          "--num-samples", "4", "--out", out)
    tuned, shipped = VAE.from_preset(out), VAE.from_preset("vae_fashion_mnist")
    fresh = VAEFashionMNIST().new_model(ImageData.from_source(grey28))

    def distance(a, b):
        return max(float(np.abs(u.numpy() - v.numpy()).max()) for u, v in zip(a.trainable_variables,
                                                                                b.trainable_variables))

    change, distance_to_fresh = distance(tuned, shipped), distance(fresh, shipped)
    assert change < 0.01 < distance_to_fresh  # two steps at lr 1e-4 from the shipped weights
    recorded = metadata(out)
    assert recorded["recipe"]["hyperparameters"]["from_preset"] == "vae_fashion_mnist"
    with open(os.path.join(out, "README.md"), encoding="utf-8") as f:
        card = f.read()
    assert "learning rate 0.0001" in card and "Fine-tuned from the `vae_fashion_mnist` preset" in card


@pytest.mark.parametrize("argv, words", [
    (["vae", "--from-preset", "dcgan_fashion_mnist"], ["from_preset", "VAE preset", "DCGAN"]),
    (["pixelcnn", "--from-preset", "pixelcnn_fashion_mnist", "--data", "RGB"], ["from_preset", "(32, 32, 3)",
                                                                                "(28, 28, 1)"]),
    (["classifier", "--image-size", "32"], ["--image-size", "--data"]),
    (["dqn", "--data", "RGB"], ["--data"]),
])
def test_bad_own_data_command_lines_say_what_is_wrong(capsys, tmp_path, rgb32, argv, words):
    argv = [rgb32 if word == "RGB" else word for word in argv]
    try:
        status = cli.main(["train", *argv, "--epochs", "1", "--out", str(tmp_path / "x")])
    except SystemExit as exit:  # argparse: an unknown flag for the family
        status = exit.code
    err = capsys.readouterr().err
    assert status != 0
    for word in words:
        assert word in err, err


def test_unlabelled_images_cannot_train_a_classifier(capsys, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for index in range(6):
        Image.fromarray(np.full((28, 28), 40 * index, "uint8")).save(flat / f"{index}.png")
    status = cli.main(["train", "classifier", "--data", str(flat), "--epochs", "1", "--out", str(tmp_path / "x")])
    assert status == 1
    assert "labelled images" in capsys.readouterr().err
