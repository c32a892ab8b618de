import glob
import os

import pytest

from kgen import __version__, cli

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"kgen {__version__}"


def test_presets_table_lists_the_classifier_with_its_accuracy(capsys):
    status, out, _ = run(capsys, "presets")
    assert status == 0
    line = next(line for line in out.splitlines() if line.startswith("fashion_mnist_classifier"))
    assert "Classifier" in line and "test_accuracy=0.9" in line


def test_classify_bundled_examples(capsys):
    paths = sorted(glob.glob(os.path.join(REPO, "examples", "images", "*.png")))
    assert len(paths) == 10
    status, out, _ = run(capsys, "classify", "fashion_mnist_classifier", *paths)
    assert status == 0
    lines = out.strip().splitlines()
    assert len(lines) == 10
    slug = lambda text: text.lower().replace("/", "_").replace(" ", "_")  # noqa: E731
    correct = sum(
        slug(line.split(": ", 1)[1].rsplit(" (", 1)[0]) == os.path.basename(path)[:-4]
        for path, line in zip(paths, lines)
    )
    assert correct >= 9, out


@pytest.mark.parametrize(
    "argv",
    [[], ["bogus"], ["classify"], ["sample", "x", "--num", "many"], ["train", "unicorn", "--out", "x"]],
)
def test_bad_command_lines_exit_2_with_usage(capsys, argv):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert "usage: kgen" in capsys.readouterr().err


def test_unknown_preset_is_a_clear_error(capsys):
    status, _, err = run(capsys, "classify", "no_such_preset", "x.png")
    assert status == 1
    assert "no_such_preset" in err and "registered name" in err


def test_missing_image_is_a_clear_error(capsys, tmp_path):
    status, _, err = run(capsys, "classify", "fashion_mnist_classifier", str(tmp_path / "nope.png"))
    assert status == 1 and "nope.png" in err and "does not exist" in err


@pytest.mark.parametrize("command", ["sample", "interpolate", "play"])
def test_commands_refuse_a_preset_that_cannot_do_them(capsys, command):
    status, _, err = run(capsys, command, "fashion_mnist_classifier")
    assert status == 1
    assert f"kgen {command}" in err and "is a Classifier" in err


def test_eval_classifier(capsys, fashion_mnist_test):
    status, out, _ = run(capsys, "eval", "fashion_mnist_classifier", "--limit", "500")
    assert status == 0 and out.startswith("test_accuracy=0.9")


def test_estimators_table_and_plot(capsys, tmp_path):
    status, out, _ = run(capsys, "estimators", "--reps", "50", "--sizes", "10", "100", "--out", str(tmp_path / "v.png"))
    assert status == 0
    assert "score function" in out and "pathwise" in out and "21.75)" in out
    assert (tmp_path / "v.png").stat().st_size > 1000


def test_estimators_bad_reps(capsys):
    status, _, err = run(capsys, "estimators", "--reps", "0")
    assert status == 1 and "reps must be an integer >= 2" in err


def test_vae_sample_and_interpolate(capsys, tmp_path):
    status, out, _ = run(capsys, "sample", "vae_fashion_mnist", "--num", "16", "--out", str(tmp_path / "s.png"))
    assert status == 0 and (tmp_path / "s.png").exists()
    images = [os.path.join(REPO, "examples", "images", name) for name in ("sneaker.png", "ankle_boot.png")]
    status, _, _ = run(
        capsys, "interpolate", "vae_fashion_mnist", "--images", *images, "--steps", "5", "--out", str(tmp_path / "i.png")
    )
    assert status == 0 and (tmp_path / "i.png").exists()
    status, _, _ = run(capsys, "interpolate", "vae_fashion_mnist", "--out", str(tmp_path / "z.png"))
    assert status == 0 and (tmp_path / "z.png").exists()


def test_reconstruct_writes_the_images_above_their_reconstructions(capsys, tmp_path):
    from PIL import Image

    images = sorted(glob.glob(os.path.join(REPO, "examples", "images", "*.png")))[:3]
    status, out, _ = run(capsys, "reconstruct", "vae_fashion_mnist", *images, "--out", str(tmp_path / "r.png"))
    assert status == 0 and out.strip() == str(tmp_path / "r.png")
    width, height = Image.open(tmp_path / "r.png").size
    assert abs(width / height - 3 / 2) < 0.1  # three columns, two rows
    status, _, err = run(capsys, "reconstruct", "dcgan_fashion_mnist", *images)
    assert status == 1 and "a VAE" in err


def test_every_demo_step_is_a_command_line_kgen_parses_on_registered_presets(tmp_path):
    from kgen import presets

    images = sorted(glob.glob(os.path.join(REPO, "examples", "images", "*.png")))
    steps = cli.demo_steps(str(tmp_path), images)
    parser = cli.build_parser()
    named = set()
    for step in steps:
        if isinstance(step, tuple):
            assert callable(step[1])
            continue
        parser.parse_args(step)
        named |= {word for word in step if word in presets.REGISTRY}
    assert named == set(presets.PRESET_NAMES)  # the demo shows every shipped preset


@pytest.mark.slow  # about two minutes: every preset, five agents' episodes
def test_kgen_demo_writes_its_pictures_and_lists_them(capsys, tmp_path):
    status, out, _ = run(capsys, "demo", "--out", str(tmp_path))
    assert status == 0
    written = [line.split()[-1] for line in out.splitlines()[out.splitlines().index(next(
        line for line in out.splitlines() if line.startswith("wrote "))) + 1:]]
    assert len(written) >= 17 and all(os.path.getsize(path) > 1000 for path in written)
    assert "dcgan_fashion_mnist: fd_test=" in out


@pytest.mark.slow  # its 10,000-sample FD takes ~35 s; test_recipes' eval test runs the same command by default
def test_eval_vae(capsys, fashion_mnist_test):
    status, out, _ = run(capsys, "eval", "vae_fashion_mnist", "--limit", "50", "--num-samples", "10")
    assert status == 0 and "test_elbo=" in out and "test_nll_iwae_k10=" in out and "the first 50 test examples" in out
    assert "fd_test=" in out


@pytest.fixture
def tiny_cgan_preset(tmp_path):
    from kgen.models import DCGAN

    gan = DCGAN(latent_dim=8, num_classes=10, base_filters=4)
    return str(gan.save_to_preset(tmp_path / "tiny_cgan"))


def test_gan_sample_interpolate(capsys, tmp_path, tiny_cgan_preset):
    out = str(tmp_path / "s.png")
    status, _, _ = run(capsys, "sample", tiny_cgan_preset, "--num", "8", "--label", "7", "--truncation", "0.7", "--out", out)
    assert status == 0 and os.path.exists(out)
    os.remove(out)
    status, _, _ = run(capsys, "sample", tiny_cgan_preset, "--num", "20", "--out", out)  # no --label: every class in turn
    assert status == 0 and os.path.exists(out)
    status, _, _ = run(capsys, "interpolate", tiny_cgan_preset, "--label", "3", "--out", str(tmp_path / "i.png"))
    assert status == 0 and (tmp_path / "i.png").exists()
    status, _, err = run(capsys, "sample", "vae_fashion_mnist", "--label", "3", "--out", out)
    assert status == 1 and "is class-conditional" in err
    status, _, err = run(capsys, "sample", "vae_fashion_mnist", "--truncation", "0.5", "--out", out)
    assert status == 1 and "is a GAN" in err


def test_eval_gan(capsys, tiny_cgan_preset, fashion_mnist_test):
    status, out, _ = run(capsys, "eval", tiny_cgan_preset, "--limit", "300")
    assert status == 0 and "fd_test=" in out and "fd_floor=" in out and "classifier_score=" in out
    assert "class_accuracy_mean=" in out and "class_accuracy_9=" in out  # the conditional recipe's score
