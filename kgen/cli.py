"""The `kgen` command: presets, classify, sample, interpolate, train, eval, play, estimators.

Run `kgen --help` or `kgen COMMAND --help`. Errors in what was asked print one
line naming the problem and exit with status 1; bad command lines print usage
and exit with status 2.
"""

import argparse
import os
import shlex
import sys

import numpy as np

from kgen.errors import KgenError
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
        rows.append((info.name, info.class_name, f"{info.params:,}", metrics, info.description))
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
    from kgen import plot

    model = _load_model(args.preset)
    if hasattr(model, "generate"):
        images = model.generate(args.num, seed=args.seed, truncation=args.truncation, labels=args.label)
    elif hasattr(model, "sample"):
        if args.truncation is not None or args.label is not None:
            _unsupported("sample --truncation/--label", args.preset, model, "is a GAN")
        images = model.sample(args.num, seed=args.seed)
    else:
        _unsupported("sample", args.preset, model, "can sample images (a VAE or a GAN)")
    print(plot.image_grid(np.asarray(images), args.out))


def cmd_interpolate(args):
    from kgen import plot

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


def cmd_train(args):
    from kgen import training

    command = "kgen " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    if args.family == "classifier":
        _, metrics = training.train_classifier(
            args.out,
            epochs=args.epochs or 15,
            batch_size=args.batch_size,
            seed=args.seed,
            data_dir=args.data_dir,
            command=command,
        )
    elif args.family in ("dcgan", "cdcgan"):
        _, metrics = training.train_gan(
            args.out,
            conditional=args.family == "cdcgan",
            loss=args.loss,
            epochs=args.epochs or training.GAN_EPOCHS,
            ema=None if args.ema == 0 else args.ema,
            batch_size=args.batch_size,
            seed=args.seed,
            data_dir=args.data_dir,
            command=command,
            clusters=training.GAN_CLUSTERS if args.clusters is None else args.clusters or None,
        )
    elif args.family in ("dqn", "reinforce"):
        from kgen.rl import recipes

        _, metrics = recipes.train_preset(
            args.family, args.env, args.out, env_steps=args.steps, seed=args.seed, command=command
        )
    elif args.family == "vae":
        _, metrics = training.train_vae(
            args.out,
            epochs=args.epochs or training.VAE_EPOCHS,
            latent_dim=args.latent_dim or training.VAE_LATENT_DIM,
            batch_size=args.batch_size,
            seed=args.seed,
            num_samples=args.num_samples,
            eval_limit=args.limit,
            data_dir=args.data_dir,
            command=command,
        )
    print(", ".join(f"{k}={v}" for k, v in metrics.items()))
    print(f"preset written to {args.out}")


def cmd_eval(args):
    from kgen import datasets, evaluation
    from kgen.models import GAN, VAE, Classifier

    model = _load_model(args.preset)
    if hasattr(model, "predict_action"):
        from kgen.rl import evaluate_policy

        env = args.env or model.env_id
        mean, std = evaluate_policy(model, env, episodes=args.episodes, seed=args.seed)
        print(f"mean_return={mean:.2f}, std_return={std:.2f} over {args.episodes} episodes of {env} (seed {args.seed})")
        return
    x_test, y_test = datasets.load_fashion_mnist("test", path=args.data_dir)
    if isinstance(model, Classifier):
        scores = evaluation.classifier_scores(model, x_test[: args.limit], y_test[: args.limit])
        scored = len(x_test[: args.limit])
    elif isinstance(model, VAE):
        x = evaluation.binarized_test_split(args.data_dir, limit=args.limit)
        scores = evaluation.vae_scores(model, x, num_samples=args.num_samples)
        scores.update(evaluation.sample_quality(model.sample(args.samples, seed=0), x_test))
        scored = len(x)
    elif isinstance(model, GAN):
        labels = np.arange(args.samples) % model.num_classes if model.labels_required else None
        x_train, _ = datasets.load_fashion_mnist("train", path=args.data_dir)
        scores = evaluation.sample_quality(model.generate(args.samples, labels=labels, seed=0), x_test, x_train[:10000])
        scored = len(x_test)
    else:
        _unsupported("eval", args.preset, model, "has an evaluation recipe (a Classifier, VAE or GAN)")
    print(", ".join(f"{name}={value}" for name, value in scores.items()) + f" on {scored} test images")


def cmd_play(args):
    from kgen.rl.evaluation import record_episode, run_episodes
    from kgen.validation import check_int

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
    from kgen import estimators

    study = estimators.variance_study(theta=args.theta, sizes=tuple(args.sizes), reps=args.reps, seed=args.seed)
    print(estimators.format_variance_table(study))
    if args.out:
        print(estimators.plot_variance_study(study, args.out))


def build_parser():
    parser = argparse.ArgumentParser(
        prog="kgen", description="Generative models and RL agents for Keras 3, with pretrained presets."
    )
    parser.add_argument("--version", action="version", version=f"kgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

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
    p.add_argument("--label", type=int, default=None)
    p.add_argument("--out", default="samples.png")
    p.set_defaults(run=cmd_sample)

    p = commands.add_parser("interpolate", help="write a latent interpolation strip")
    p.add_argument("preset")
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--images", nargs=2, metavar="IMAGE", help="two image files to interpolate between (VAE)")
    p.add_argument("--label", type=int, default=None, help="class of a conditional GAN")
    p.add_argument("--method", choices=("slerp", "lerp"), default="slerp")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="interpolation.png")
    p.set_defaults(run=cmd_interpolate)

    p = commands.add_parser("train", help="train a model family and write a preset")
    p.add_argument("family", choices=("classifier", "vae", "dcgan", "cdcgan", "dqn", "reinforce"))
    p.add_argument("--env", default="CartPole-v1", help="RL: gymnasium environment id")
    p.add_argument("--steps", type=int, default=None, help="RL: environment steps (default the recipe's)")
    p.add_argument("--loss", default="non_saturating", help="GAN loss: minimax, non_saturating, least_squares, wgan-gp, hinge")
    p.add_argument("--ema", type=float, default=0.999, help="GAN generator weight averaging (0: off)")
    p.add_argument("--clusters", type=int, default=None,
                   help="dcgan: k-means clusters to self-condition on (default the recipe's; 0: off)")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--latent-dim", type=int, default=None)
    p.add_argument("--num-samples", type=int, default=1000, help="IWAE samples for the VAE's scores")
    p.add_argument("--limit", type=int, default=None, help="score only the first N test images")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None, help="folder with the Fashion-MNIST IDX files")
    p.add_argument("--out", required=True, help="preset folder to write")
    p.set_defaults(run=cmd_train)

    p = commands.add_parser("eval", help="score a preset on held-out data")
    p.add_argument("preset")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--limit", type=int, default=None, help="score only the first N test images")
    p.add_argument("--num-samples", type=int, default=1000, help="IWAE samples for a VAE's NLL")
    p.add_argument("--samples", type=int, default=10000, help="generated images for the Frechet distance")
    p.add_argument("--episodes", type=int, default=100, help="RL: evaluation episodes")
    p.add_argument("--env", default=None, help="RL: environment id (default the agent's)")
    p.add_argument("--seed", type=int, default=1000, help="RL: reset seed of the first episode (1000, as the cards)")
    p.set_defaults(run=cmd_eval)

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
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except KgenError as error:
        print(f"kgen {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
