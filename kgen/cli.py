"""The `kgen` command: presets, classify, sample, interpolate, train, eval, card, upload, download,
export, play, estimators, lab.

Run `kgen --help` or `kgen COMMAND --help`. Errors in what was asked print one
line naming the problem and exit with status 1; bad command lines print usage
and exit with status 2.
"""

import argparse
import dataclasses
import os
import sys

import numpy as np

from kgen.core import progress
from kgen.core.errors import KgenError
from kgen.recipes.base import cli_flag, cli_words
from kgen.version import __version__


def _load_model(preset):
    """Load a preset as whatever kgen class it was saved from."""
    import keras

    from kgen import presets

    return presets.load(keras.Model, preset)


def _read_images(paths, image_shape):
    """Read PNG/JPEG files as a float32 batch in [0, 1] matching `image_shape`."""
    from PIL import Image

    height, width, channels = image_shape
    batch = []
    for path in paths:
        if not os.path.isfile(path):
            raise KgenError(f"IMAGE {path!r} does not exist.")
        with Image.open(path) as image:
            image = image.convert("L" if channels == 1 else "RGB")
            if image.size != (width, height):
                image = image.resize((width, height), Image.BILINEAR)
            array = np.asarray(image, dtype="float32") / 255.0
        batch.append(array.reshape(height, width, channels))
    return np.stack(batch)


def cmd_presets(args):
    from kgen import presets

    rows = [("name", "class", "params", "metrics", "description")]
    for info in presets.list_presets():
        metrics = ", ".join(f"{k}={v}" for k, v in info.metrics.items()) or "-"
        params = "-" if info.params is None else f"{info.params:,}"
        rows.append((info.name, info.class_name or "-", params, metrics, info.description))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4])


def cmd_classify(args):
    from kgen.datasets import FASHION_MNIST_LABELS
    from kgen.models import Classifier

    model = Classifier.from_preset(args.preset)
    images = _read_images(args.images, model.image_shape)
    probabilities = model.predict_proba(images)
    names = FASHION_MNIST_LABELS if model.num_classes == len(FASHION_MNIST_LABELS) else None
    for path, p in zip(args.images, probabilities):
        label = int(np.argmax(p))
        print(f"{path}: {names[label] if names else label} ({p[label]:.1%})")


def _unsupported(command, preset, model, needs):
    raise KgenError(
        f"`kgen {command}` needs a preset whose model {needs}; {preset!r} is a "
        f"{type(model).__name__}. `kgen presets` lists the presets and their classes."
    )


def cmd_sample(args):
    from kgen.viz import images as plot

    model = _load_model(args.preset)
    label = args.label
    if label is None and getattr(model, "labels_required", False):
        label = np.arange(args.num) % model.num_classes  # every class in turn: column k of a grid of 10 is class k
    if hasattr(model, "generate"):
        images = model.generate(args.num, seed=args.seed, truncation=args.truncation, labels=label)
    elif hasattr(model, "sample"):
        if args.truncation is not None:
            _unsupported("sample --truncation", args.preset, model, "is a GAN")
        if args.label is not None and getattr(model, "num_classes", None) is None:
            _unsupported("sample --label", args.preset, model, "is class-conditional")
        labels = {} if args.label is None else {"labels": args.label}
        images = model.sample(args.num, seed=args.seed, **labels)
    else:
        _unsupported("sample", args.preset, model, "can sample images (a VAE, a PixelCNN or a GAN)")
    print(plot.image_grid(np.asarray(images), args.out))


def cmd_reconstruct(args):
    from kgen.viz import images as plot

    model = _load_model(args.preset)
    if not hasattr(model, "reconstruct"):
        _unsupported("reconstruct", args.preset, model, "has an encoder and a decoder (a VAE)")
    x = _read_images(args.images, model.image_shape)
    rows = np.concatenate([x, np.asarray(model.reconstruct(x))])
    print(plot.image_grid(rows, args.out, nrow=len(x)))


def cmd_interpolate(args):
    from kgen.viz import images as plot

    model = _load_model(args.preset)
    if not hasattr(model, "sample_latent"):
        _unsupported("interpolate", args.preset, model, "has a latent space (a VAE or a GAN)")
    if args.images:
        if not hasattr(model, "encode"):
            _unsupported("interpolate --images", args.preset, model, "has an encoder (a VAE)")
        x = _read_images(args.images, model.image_shape)
        strip = model.interpolate(x[0], x[1], steps=args.steps, method=args.method)
    else:
        z = model.sample_latent(2, seed=args.seed)
        if hasattr(model, "interpolate_latent"):
            strip = model.interpolate_latent(z[0], z[1], steps=args.steps, method=args.method)
        else:
            strip = model.interpolate(z[0], z[1], steps=args.steps, method=args.method, labels=args.label)
    print(plot.interpolation_strip(np.asarray(strip), args.out))


FLAG_ALIASES = {"env_steps": ("--steps",)}
"""Other spellings of a recipe field's flag (`kgen train mbrl --steps 5000`)."""


def _recipe_flags(parser, recipes, names=None):
    """Add a flag per field of `recipes` (which share their fields; only `names` when given);
    the help shows each one's default."""
    for field in dataclasses.fields(recipes[0]):
        if names is not None and field.name not in names:
            continue
        defaults = [" ".join(cli_words(getattr(recipe(), field.name))) for recipe in recipes]
        if len(recipes) > 1:
            defaults = [f"{value} for {recipe.env_id}" for value, recipe in zip(defaults, recipes)]
        kind = field.type if field.type in (int, float, str) else int
        parser.add_argument(
            cli_flag(field.name), *FLAG_ALIASES.get(field.name, ()), dest=field.name, type=_value_parser(kind),
            default=argparse.SUPPRESS, nargs="+" if field.type is tuple else None, metavar=field.name.upper(),
            help=f"{field.metadata['help']} (default: {', '.join(defaults)})",
        )


def _value_parser(kind):
    def parse(text):
        return None if text.lower() == "none" else kind(text)

    parse.__name__ = kind.__name__
    return parse


def recipe_overrides(args, recipe):
    """The recipe fields given on the command line (tuples for list-valued flags)."""
    names = {field.name for field in dataclasses.fields(recipe)}
    given = {name: value for name, value in vars(args).items() if name in names}
    # `--value-units none` is the field set to None, not a tuple holding None
    return {name: None if value == [None] else tuple(value) if isinstance(value, list) else value
            for name, value in given.items()}


DISTRIBUTE = ("none", "mirrored", "multi-worker")


def make_strategy(name):
    """The `tf.distribute` strategy `kgen train --distribute NAME` trains under (None for "none")."""
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        if not os.environ.get("TF_CONFIG"):
            raise KgenError("--distribute multi-worker needs TF_CONFIG naming the workers and this one's index "
                            "(see docs/scaling.md)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    return None


def cmd_train(args):
    from kgen import recipes
    from kgen.callbacks.checkpoint import is_chief

    cls = recipes.recipe_class(args.family, getattr(args, "env", None))
    recipe = cls(**recipe_overrides(args, cls))
    source = None
    if getattr(args, "data", None) is not None:
        size = args.image_size
        size = size[0] if size and len(size) == 1 else None if size is None else tuple(size)
        source = recipes.ImageSource(args.data, image_size=size, channels=args.channels, features=args.features)
    else:
        given = [flag for flag in ("image_size", "channels", "features") if getattr(args, flag, None) is not None]
        if given:
            raise KgenError(f"{', '.join(cli_flag(flag) for flag in given)} only apply to your own images: give "
                            "--data PATH too (Fashion-MNIST is 28x28 greyscale, scored by fashion_mnist_classifier)")
    model, scores = recipe.train(args.out, data_dir=args.data_dir, train_subset=args.train_subset, limit=args.limit,
                                 fresh=args.fresh, strategy=make_strategy(args.distribute),
                                 checkpoint_every=args.checkpoint_every, tensorboard=args.tensorboard, source=source)
    print(", ".join(f"{k}={v}" for k, v in scores.items()))
    print(f"preset written to {args.out}" if is_chief(model) else f"the chief worker writes the preset to {args.out}")


def _score_fields():
    """The recipe fields `kgen eval` may override (marked score=True), each with a recipe that has it."""
    from kgen import recipes

    return {field.name: recipe for recipe in recipes.RECIPES.values()
            for field in dataclasses.fields(recipe) if field.metadata["score"]}


def _recipe_of(preset, model):
    """The recipe that scores a preset: its registered recipe, the one its metadata records, or
    the first recipe that accepts its model."""
    from kgen import presets, recipes

    if isinstance(preset, str) and preset in recipes.RECIPES:
        return recipes.RECIPES[preset]()
    recorded = presets.read_metadata(presets.resolve(preset)).get("recipe")
    if recorded is not None:
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in recorded["hyperparameters"].items()}
        return recipes.recipe_by_name(recorded["name"])(**values)
    for recipe in recipes.RECIPES.values():
        if recipe.accepts(model):
            return recipe()
    _unsupported("eval", preset, model, "a kgen recipe can score (see `kgen train --help`)")


def cmd_eval(args):
    model = _load_model(args.preset)
    recipe = _recipe_of(args.preset, model)
    overrides = recipe_overrides(args, type(recipe))
    ignored = sorted(set(vars(args)) & set(_score_fields()) - set(overrides))
    if ignored:
        raise KgenError(f"{', '.join(cli_flag(name) for name in ignored)} does not apply to the {recipe.name} "
                        f"recipe that scores {args.preset!r}.")
    recipe = dataclasses.replace(recipe, **overrides)
    data = recipe.load_data(args.data_dir)
    recipe.compile(model, data)
    scores = recipe.score(model, data, limit=args.limit)
    scope = f", the first {args.limit} test examples" if args.limit else ""
    print(", ".join(f"{name}={value}" for name, value in scores.items()) + f" ({recipe.name} recipe{scope})")


def cmd_card(args):
    from kgen import recipes

    if args.preset not in recipes.RECIPES:
        raise KgenError(f"PRESET must be a registered preset ({', '.join(recipes.RECIPES)}); got {args.preset!r}.")
    _, scores = recipes.RECIPES[args.preset]().rewrite_card(rescore=args.rescore, data_dir=args.data_dir)
    print(", ".join(f"{k}={v}" for k, v in scores.items()))


def cmd_upload(args):
    from kgen import presets

    print(presets.upload_preset(args.handle, args.preset_dir, private=args.private, commit_message=args.message))


def cmd_download(args):
    from kgen import presets

    folder = presets.resolve(args.handle)
    presets.verify_weights(folder)
    print(folder)


def cmd_export(args):
    model = _load_model(args.preset)
    manifest = model.export(args.out, format=args.format, overwrite=args.overwrite)
    print(f"{args.preset} ({manifest['model']['class']}) exported as {manifest['format']} to {args.out}:")
    for name, entry in manifest["functions"].items():
        inputs = ", ".join(entry["inputs"])
        where = entry.get("file") or f"signature {entry['signature']!r}"
        size = f", {os.path.getsize(os.path.join(args.out, entry['file'])):,} bytes" if "file" in entry else ""
        print(f"  {name}({inputs}) -> {', '.join(entry['outputs'])}: {where}{size}")
    for name, reason in manifest["failed"].items():
        print(f"  {name}: not exported as {manifest['format']}: {reason}")


def cmd_play(args):
    from kgen.core.validation import check_int
    from kgen.rl.evaluation import record_episode, run_episodes

    model = _load_model(args.preset)
    if not hasattr(model, "predict_action"):
        _unsupported("play", args.preset, model, "is an RL agent")
    env = args.env or model.env_id
    returns = run_episodes(model, env, episodes=check_int("--episodes", args.episodes, 1), seed=args.seed)
    for i, value in enumerate(returns):
        print(f"episode {i + 1}: return {value:.1f}")
    print(f"{args.preset} on {env}: mean return {np.mean(returns):.1f} over {len(returns)} episodes")
    if args.gif:
        total, steps = record_episode(model, env, args.gif, seed=args.seed)
        print(f"{args.gif}: one episode (seed {args.seed}), return {total:.1f} in {steps} steps")


def cmd_estimators(args):
    from kgen.ops.estimators import variance_study
    from kgen.viz.estimators import format_variance_table, plot_variance_study

    study = variance_study(theta=args.theta, sizes=tuple(args.sizes), reps=args.reps, seed=args.seed)
    print(format_variance_table(study))
    if args.out:
        print(plot_variance_study(study, args.out))


def build_parser():
    parser = argparse.ArgumentParser(
        prog="kgen", description="Generative models and RL agents for Keras 3, with pretrained presets."
    )
    parser.add_argument("--version", action="version", version=f"kgen {__version__}")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up lines (also KGEN_VERBOSE=1), which kgen hides")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser("demo", help="run the pretrained presets and write their pictures (no dataset, no network)")
    p.add_argument("--out", default="out", help="the folder for the pictures and GIFs (default out)")
    p.set_defaults(run=cmd_demo)

    p = commands.add_parser("presets", help="list the registered presets")
    p.set_defaults(run=cmd_presets)

    p = commands.add_parser("classify", help="classify image files with a classifier preset")
    p.add_argument("preset", help="registered name, folder, or hf://owner/name")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG or JPEG files")
    p.set_defaults(run=cmd_classify)

    p = commands.add_parser("sample", help="write a grid of samples from a generative preset")
    p.add_argument("preset")
    p.add_argument("--num", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--truncation", type=float, default=None)
    p.add_argument("--label", type=int, default=None,
                   help="class of a conditional GAN or PixelCNN (default for a conditional GAN: every class in turn)")
    p.add_argument("--out", default="samples.png")
    p.set_defaults(run=cmd_sample)

    p = commands.add_parser("reconstruct", help="write image files (first row) above their VAE reconstructions (second row)")
    p.add_argument("preset")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG or JPEG files")
    p.add_argument("--out", default="reconstructions.png")
    p.set_defaults(run=cmd_reconstruct)

    p = commands.add_parser("interpolate", help="write a latent interpolation strip")
    p.add_argument("preset")
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--images", nargs=2, metavar="IMAGE", help="two image files to interpolate between (VAE)")
    p.add_argument("--label", type=int, default=None, help="class of a conditional GAN")
    p.add_argument("--method", choices=("slerp", "lerp"), default="slerp")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="interpolation.png")
    p.set_defaults(run=cmd_interpolate)

    from kgen import recipes

    train = commands.add_parser("train", help="train a preset's recipe and write a preset folder")
    families = train.add_subparsers(dest="family", metavar="FAMILY", required=True)
    for family, classes in recipes.families().items():
        p = families.add_parser(family, help=classes[0].summary)
        if len(classes) > 1 or hasattr(classes[0], "env_id"):
            p.add_argument("--env", default=classes[0].env_id,
                           help="gymnasium environment: " + ", ".join(c.env_id for c in classes)
                           + f" (default {classes[0].env_id})")
        _recipe_flags(p, classes)
        p.add_argument("--out", required=True, help="preset folder to write")
        if hasattr(classes[0], "env_id"):
            p.set_defaults(data_dir=None, train_subset=None)
            p.add_argument("--limit", type=int, default=None, help="score over the first N of its episodes")
        else:
            p.add_argument("--data", default=None, metavar="PATH",
                           help="train on your own images instead of Fashion-MNIST: a folder of PNG/JPEG files "
                           "(class subfolders become labels), an .npz or an .npy file; a seeded tenth is held "
                           "out for the scores (see docs/own-data.md)")
            p.add_argument("--image-size", type=int, nargs="+", default=None, metavar="PIXELS",
                           help="resize the --data images: SIZE or HEIGHT WIDTH (28, 32 or 64 for the GANs)")
            p.add_argument("--channels", type=int, choices=(1, 3), default=None,
                           help="convert the --data images to greyscale (1) or RGB (3)")
            p.add_argument("--features", default=None, metavar="PRESET",
                           help="a classifier preset trained on images like --data's (kgen train classifier "
                           "--data ...): its features give the samples' FD; without it none is computed")
            p.add_argument("--data-dir", default=None, help="folder with the Fashion-MNIST IDX files")
            p.add_argument("--train-subset", type=int, default=None, help="train on the first N training images")
            p.add_argument("--limit", type=int, default=None, help="score on the first N test images")
        p.add_argument("--tensorboard", default=None, metavar="DIR",
                       help="write TensorBoard scalars and images of what the model makes to DIR")
        p.add_argument("--fresh", action="store_true",
                       help="discard the checkpoint in --out and start over (default: continue from it)")
        p.add_argument("--checkpoint-every", type=int, default=None, metavar="STEPS",
                       help=f"steps between checkpoints (default {classes[0].checkpoint_every}"
                       + (" environment steps)" if hasattr(classes[0], "env_id") else ")"))
        p.add_argument("--distribute", choices=DISTRIBUTE, default="none",
                       help="train on tf.distribute: mirrored (this machine's devices) or multi-worker "
                       "(one command per machine, TF_CONFIG names them; see docs/scaling.md)")
        p.set_defaults(run=cmd_train)

    p = commands.add_parser("eval", help="score a preset by its recipe, as its model card does")
    p.add_argument("preset")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--limit", type=int, default=None, help="score on the first N test images (or episodes)")
    for name, recipe in _score_fields().items():
        _recipe_flags(p, [recipe], names={name})
    p.set_defaults(run=cmd_eval)

    p = commands.add_parser("card", help="rewrite a registered preset's model card from its recipe")
    p.add_argument("preset")
    p.add_argument("--rescore", action="store_true", help="measure the scores again instead of keeping the recorded ones")
    p.add_argument("--data-dir", default=None)
    p.set_defaults(run=cmd_card)

    p = commands.add_parser("upload", help="push a preset folder to a Hugging Face Hub repository")
    p.add_argument("preset_dir", help="a folder written by save_to_preset or kgen train")
    p.add_argument("handle", help="hf://owner/name (created if needed; the token of `hf auth login`)")
    p.add_argument("--private", action="store_true", help="create the repository as private")
    p.add_argument("--message", default=None, help="the commit message")
    p.set_defaults(run=cmd_upload)

    p = commands.add_parser("download", help="fetch a preset into the Hugging Face cache and print its folder")
    p.add_argument("handle", help="hf://owner/name or a registered name")
    p.set_defaults(run=cmd_download)

    p = commands.add_parser("export", help="write a preset's serving functions as a SavedModel, TFLite or ONNX "
                            "files, for inference without kgen (see docs/export.md)")
    p.add_argument("preset", help="registered name, folder, or hf://owner/name")
    p.add_argument("--format", choices=("saved_model", "tflite", "onnx"), default="saved_model",
                   help="saved_model: one SavedModel with a signature per function; tflite, onnx: a file per "
                   "function (default saved_model)")
    p.add_argument("--out", required=True, help="the folder to write (new or empty); kgen_export.json in it "
                   "lists the functions, their inputs and outputs")
    p.add_argument("--overwrite", action="store_true", help="replace the folder if it holds files")
    p.set_defaults(run=cmd_export)

    p = commands.add_parser("play", help="run an RL agent preset")
    p.add_argument("preset")
    p.add_argument("--episodes", type=int, default=5)
    p.add_argument("--seed", type=int, default=0, help="reset seed of the first episode")
    p.add_argument("--env", default=None, help="environment id (default the agent's)")
    p.add_argument("--gif", default=None, help="also write one episode (rendered rgb_array) to this GIF")
    p.set_defaults(run=cmd_play)

    p = commands.add_parser(
        "estimators", help="score-function vs pathwise gradient variance for z ~ N(theta, 1), f = z^2"
    )
    p.add_argument("--theta", type=float, default=2.0)
    p.add_argument("--reps", type=int, default=100)
    p.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 10000, 100000])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="PNG for the log-log plot of variance vs N")
    p.set_defaults(run=cmd_estimators)

    p = commands.add_parser("lab", help="serve the live lab (GAN, DQN, latent explorer) on 127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="port (default 0: a free one; the URL is printed)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; another makes the lab reachable from other machines)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(run=cmd_lab)
    return parser


BUNDLED_IMAGES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "images")
"""The ten Fashion-MNIST test images in the repository, one per class (what `kgen demo` classifies)."""


def demo_steps(out, images):
    """`kgen demo`'s commands, in order: each is a `kgen` command line, or (name, function of
    the output folder) for a picture no command draws."""
    path = lambda name: os.path.join(out, name)  # noqa: E731
    pick = [p for p in images if os.path.basename(p) in ("sneaker.png", "ankle_boot.png")] or images[:2]
    steps = [["classify", "fashion_mnist_classifier", *images]] if images else []
    steps += [
        ["sample", "dcgan_fashion_mnist", "--num", "64", "--out", path("dcgan_samples.png")],
        *(["sample", "dcgan_fashion_mnist", "--num", "64", "--truncation", t, "--out", path(f"dcgan_truncation_{t}.png")]
          for t in ("1.0", "0.7", "0.5")),
        ["interpolate", "dcgan_fashion_mnist", "--steps", "10", "--method", "slerp", "--out", path("dcgan_slerp.png")],
        ["sample", "cdcgan_fashion_mnist", "--num", "100", "--out", path("cdcgan_samples.png")],
        ["sample", "vae_fashion_mnist", "--num", "64", "--out", path("vae_samples.png")],
        *([["reconstruct", "vae_fashion_mnist", *images, "--out", path("vae_reconstructions.png")],
           ["interpolate", "vae_fashion_mnist", "--images", *pick[:2], "--steps", "10",
            "--out", path("vae_interpolation.png")]] if len(images) >= 2 else []),
        ["sample", "pixelcnn_fashion_mnist", "--num", "16", "--out", path("pixelcnn_samples.png")],
        ["estimators", "--reps", "30", "--out", path("estimator_variance.png")],
        ("the lecture's grid world, V* and pi* by value iteration", _demo_gridworld),
    ]
    for name in ("dqn_cartpole", "reinforce_cartpole", "dqn_acrobot", "mbrl_cartpole", "mbrl_pendulum"):
        steps.append(["play", name, "--episodes", "1", "--gif", path(f"{name}.gif")])
    return steps


def _demo_gridworld(out):
    from kgen.rl import mdp
    from kgen.viz.gridworld import gridworld

    world = mdp.GridWorld(["...G", ".#.X", "S..."], slip=0.2, gamma=0.95)
    values, policy = mdp.value_iteration(world.mdp)
    print(gridworld(world, values, policy, mdp.q_values(world.mdp, values), os.path.join(out, "gridworld.png"),
                    title="slip 0.2, gamma 0.95"))


def cmd_demo(args):
    import glob
    import time

    from kgen import presets

    started = time.time()
    os.makedirs(args.out, exist_ok=True)
    images = sorted(glob.glob(os.path.join(BUNDLED_IMAGES, "*.png")))
    announced = set()
    for step in demo_steps(args.out, images):
        if isinstance(step, tuple):
            print(f"\n# {step[0]}")
            step[1](args.out)
            continue
        name = next((word for word in step if word in presets.REGISTRY), None)
        if name and name not in announced:
            announced.add(name)
            metrics = ", ".join(f"{k}={v}" for k, v in presets.REGISTRY[name].metrics.items())
            print(f"\n# {name}: {metrics} (its model card)")
        print("$ kgen " + " ".join(os.path.relpath(w) if os.path.isabs(w) else w for w in step), flush=True)
        if main(step) != 0:
            raise KgenError(f"the demo step `kgen {' '.join(step)}` failed (above).")
    written = sorted(p for p in glob.glob(os.path.join(args.out, "**", "*"), recursive=True)
                     if os.path.isfile(p) and os.path.getmtime(p) >= started - 1)
    print(f"\nwrote {len(written)} files in {time.time() - started:.0f} s:")
    for p in written:
        print(f"{os.path.getsize(p):>10,}  {p}")


def cmd_lab(args):
    from kgen import lab
    from kgen.core.validation import check_int

    lab.serve(host=args.host, port=check_int("--port", args.port, 0, 65535), open_browser=not args.no_browser)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        with progress.shown():
            args.run(args)
    except KgenError as error:
        print(f"kgen {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
