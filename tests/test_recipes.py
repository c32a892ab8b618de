"""Recipes: each registered preset's card records its recipe's defaults, `kgen train FAMILY` with no
flags runs exactly those, `kgen eval` reports the card's metrics, and (slow) every number a card
states is measured again by its recipe's `score`."""

import dataclasses
import math

import keras
import pytest

from kgen import cli, presets, recipes


def parsed_recipe(argv):
    """The recipe `kgen train ...` would run for `argv`, without running it."""
    args = cli.build_parser().parse_args(argv)
    cls = recipes.recipe_class(args.family, getattr(args, "env", None))
    return cls(**cli.recipe_overrides(args, cls))


def selector(recipe):
    return recipe.selector_flags() if recipe.selector_flags() else []


def test_every_registered_preset_has_a_recipe_and_the_registry_reads_its_metadata():
    assert set(recipes.RECIPES) == set(presets.PRESET_NAMES)
    for name, recipe in recipes.RECIPES.items():
        info = presets.REGISTRY[name]
        metadata = presets.read_metadata(info.local_dir)
        assert info.class_name == metadata["class_name"] and info.params == metadata["parameter_count"]
        assert info.description == recipe.summary == metadata["summary"]
        assert list(info.metrics) == [m for m in recipe.headline_metrics if m in metadata["metrics"]]


@pytest.mark.parametrize("name", sorted(recipes.RECIPES))
def test_train_with_no_flags_uses_the_hyperparameters_its_card_records(name):
    recipe = recipes.RECIPES[name]()
    metadata = presets.read_metadata(presets.REGISTRY[name].local_dir)
    recorded = {k: tuple(v) if isinstance(v, list) else v for k, v in metadata["recipe"]["hyperparameters"].items()}
    assert metadata["recipe"]["name"] == recipe.name
    assert parsed_recipe(["train", recipe.family, *selector(recipe), "--out", "x"]) == recipe
    assert recipe.hyperparameters() == recorded
    card = open(f"{presets.REGISTRY[name].local_dir}/README.md", encoding="utf-8").read()
    for field, value in recorded.items():
        assert f"| {field} | {value!r} |" in card
    assert f"```bash\n{recipe.command('weights/' + name)}\n```" in card


def test_flags_override_fields_and_help_shows_the_recipe_defaults(capsys):
    recipe = parsed_recipe(["train", "dcgan", "--loss", "wgan-gp", "--ema", "none", "--epochs", "1", "--out", "x"])
    assert recipe == dataclasses.replace(recipes.DCGANFashionMNIST(), loss="wgan-gp", ema=None, epochs=1)
    assert parsed_recipe(["train", "dqn", "--env", "Acrobot-v1", "--hidden-units", "8", "8", "--out", "x"]) == \
        recipes.DQNAcrobot(hidden_units=(8, 8))
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["train", "dcgan", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for field in dataclasses.fields(recipes.DCGANFashionMNIST):
        default = "none" if field.default is None else field.default
        assert f"(default: {default})" in text
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["train", "dqn", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 50000 for CartPole-v1, 100000 for Acrobot-v1)" in text


def test_bad_hyperparameters_get_kgen_errors():
    from kgen.errors import KgenValueError

    with pytest.raises(KgenValueError, match="epochs must be an integer >= 1; got 0"):
        recipes.DCGANFashionMNIST(epochs=0)
    with pytest.raises(KgenValueError, match="env must be an environment with a dqn recipe"):
        recipes.recipe_class("dqn", "Pong-v9")


# a model-based agent plans each of an episode's 200 to 500 actions, and the PixelCNN's 200 samples are 784
# sequential steps each: their evals are -m slow (tests/test_presets.py loads and probes every preset)
SLOW_EVAL = ("mbrl_cartpole", "mbrl_pendulum", "pixelcnn_fashion_mnist")


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if name in SLOW_EVAL else name
                                  for name in sorted(recipes.RECIPES)])
def test_eval_prints_every_metric_its_card_reports(name, capsys, fashion_mnist_test):
    recipe = recipes.RECIPES[name]
    limit = "1" if hasattr(recipe, "env_id") else "200"
    if hasattr(recipe, "env_id"):
        pytest.importorskip("gymnasium")
    extra = ["--num-samples", "4"] if name == "vae_fashion_mnist" else []
    assert cli.main(["eval", name, "--limit", limit, *extra]) == 0
    printed = capsys.readouterr().out
    for metric in presets.read_metadata(presets.REGISTRY[name].local_dir)["metrics"]:
        assert f"{metric.replace('k1000', 'k4')}=" in printed


@pytest.mark.data
def test_card_of_a_one_epoch_wgan_gp_run_states_the_optimizers_it_used(tmp_path, fashion_mnist_test):
    out = tmp_path / "wgan"
    assert cli.main(["train", "dcgan", "--loss", "wgan-gp", "--epochs", "1", "--clusters", "none", "--ema", "none",
                     "--train-subset", "256", "--limit", "100", "--out", str(out)]) == 0
    card = (out / "README.md").read_text()
    gan = presets.load(keras.Model, str(out))
    assert gan.loss_name == "wgan-gp"
    used = "Adam(learning rate 0.0001, beta_1=0, beta_2=0.9, epsilon=1e-07)"
    assert f"{used} for the discriminator and {used} for the generator" in card
    assert "Adam(learning rate 0.0002" not in card and "beta_1=0.5" not in card
    assert "kgen train dcgan --epochs 1 --loss wgan-gp --ema none --clusters none" in card
    assert "--train-subset 256 --limit 100" in card


def close(measured, stated):
    """Equal to the card's rounded figure, up to one unit of its last decimal."""
    decimals = len(repr(float(stated)).split(".")[1].rstrip("0")) if not float(stated).is_integer() else 0
    return math.isclose(measured, stated, abs_tol=1.01 * 10 ** -max(decimals, 2))


@pytest.mark.slow
@pytest.mark.timeout(3600)  # a model-based card's 100 planned episodes take 10-40 minutes on 2 cores
@pytest.mark.parametrize("name", sorted(recipes.RECIPES))
def test_score_measures_every_number_its_card_states(name, fashion_mnist_test):
    if hasattr(recipes.RECIPES[name], "env_id"):
        pytest.importorskip("gymnasium")
    recipe = recipes.RECIPES[name]()
    folder = presets.REGISTRY[name].local_dir
    model = presets.load(keras.Model, folder)
    data = recipe.load_data()
    measured = recipe.score(model, data)
    stated = presets.read_metadata(folder)["metrics"]
    assert set(measured) == set(stated)
    wrong = {k: (measured[k], stated[k]) for k in stated if not close(measured[k], stated[k])}
    assert not wrong, f"measured vs stated: {wrong}"


def test_flags_that_do_not_apply_are_refused(capsys):
    assert cli.main(["eval", "dcgan_fashion_mnist", "--eval-episodes", "3"]) == 1
    assert "--eval-episodes does not apply to the DCGANFashionMNIST recipe" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["train", "dqn", "--train-subset", "5", "--out", "x"])
