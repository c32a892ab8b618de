"""What every recipe shares: a frozen dataclass of hyperparameters with `build`, `compile`,
`fit`, `score`, `card` and `train`, and the helpers that describe what a run really used.

A recipe's fields are its hyperparameters; their defaults are the preset's. The
CLI's `kgen train FAMILY` flags are generated from the fields (so `--help` shows
these values), `kgen eval` calls `score`, and the card written by `train` records
the fields and reads optimizer settings from the optimizers the model was compiled
with.
"""

import contextlib
import dataclasses
import os
import shlex
import shutil
import tempfile
from typing import ClassVar

import keras

from kgen import presets
from kgen.core.errors import KgenValueError
from kgen.core.validation import check_int, fail


def hyperparameter(default, help, score=False):
    """A recipe field with its CLI help text. `score=True` marks a field that only changes
    how the model is scored (what `kgen eval` may override), not how it is trained."""
    return dataclasses.field(default=default, metadata={"help": help, "score": score})


def redefault(recipe, name, default):
    """Field `name` of the recipe class `recipe` with another default (the same help): how a preset's
    recipe states only what differs from the family's."""
    field = {f.name: f for f in dataclasses.fields(recipe)}[name]
    return dataclasses.field(default=default, metadata=field.metadata)


def describe_schedule(learning_rate):
    """A learning rate or a Keras schedule in words, read from the object."""
    if isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        config = learning_rate.get_config()
        if isinstance(learning_rate, keras.optimizers.schedules.CosineDecay):
            return (f"{config['initial_learning_rate']:g} cosine-decayed to "
                    f"{config['initial_learning_rate'] * config['alpha']:g} over {config['decay_steps']:,} steps")
        if isinstance(learning_rate, keras.optimizers.schedules.PolynomialDecay):
            return (f"{config['initial_learning_rate']:g} decayed linearly to {config['end_learning_rate']:g} "
                    f"over {config['decay_steps']:,} steps" if config["power"] == 1.0 else
                    f"{config['initial_learning_rate']:g} polynomially decayed (power {config['power']:g}) "
                    f"to {config['end_learning_rate']:g} over {config['decay_steps']:,} steps")
        return f"{type(learning_rate).__name__}({config})"
    return f"{float(learning_rate):g}"


def describe_optimizer(optimizer):
    """An optimizer's class and settings, read from the object: what a model card states."""
    config = optimizer.get_config()
    learning_rate = config["learning_rate"]
    if isinstance(learning_rate, dict):
        learning_rate = keras.optimizers.schedules.deserialize(learning_rate)
    settings = [f"learning rate {describe_schedule(learning_rate)}"]
    for name in ("beta_1", "beta_2", "epsilon", "momentum", "rho", "weight_decay", "clipnorm", "global_clipnorm"):
        if config.get(name) is not None:
            settings.append(f"{name}={config[name]:g}")
    return f"{type(optimizer).__name__}({', '.join(settings)})"


def checkpoint_dir(out):
    """Where `train` keeps the run's `kgen.callbacks.Checkpoint` until the preset is written: inside `out`."""
    return os.path.join(os.fspath(out), "checkpoint")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A preset's recipe. Subclasses add fields (hyperparameters) and implement the steps.

    Class attributes:
        preset: str, the registered preset this recipe produces.
        family: str, the `kgen train FAMILY` it is trained by.
        summary: str, one line for the preset table.
        headline_metrics: tuple of str, the scores the preset table shows.

    Examples:
        >>> recipe = kgen.recipes.DQNCartPole(env_steps=1000)      # frozen: change fields by making a new one
        >>> isinstance(recipe, kgen.recipes.Recipe), recipe.preset, recipe.family
        (True, 'dqn_cartpole', 'dqn')
        >>> recipe.hyperparameters()["env_steps"], recipe.headline_metrics
        (1000, ('eval_mean_return', 'eval_std_return'))
    """

    preset: ClassVar[str]
    family: ClassVar[str]
    summary: ClassVar[str]
    headline_metrics: ClassVar[tuple]
    model_class: ClassVar[str]
    """The kgen class it builds, by name (recipes sit above the models and import them late)."""
    checkpoint_every: ClassVar[int] = 200
    """Steps between `train`'s checkpoints (an agent's: environment steps)."""

    seed: int = hyperparameter(0, "seeds weights, noise and shuffling")

    def __post_init__(self):
        check_int("seed", self.seed, minimum=0)

    # ----------------------------------------------------------------- what subclasses implement

    def load_data(self, data_dir=None, train_subset=None, source=None):
        """The data the recipe trains and scores on (None when it needs none); `source` is
        your own images (`kgen.recipes.ImageSource`), for the recipes that learn from images."""
        if source is not None:
            fail("source", source, f"None: the {self.family} recipe does not learn from images")
        return None

    def prepare(self, data):
        """What training needs beyond the loaded data (e.g. cluster labels); default: nothing."""
        return data

    def build(self, data):
        """The untrained model (from prepared data)."""
        raise NotImplementedError

    def compile(self, model, data):
        """Compile `model` as `fit` trains it (so a card can read the optimizers even of a loaded model)."""
        raise NotImplementedError

    def fit(self, model, data, callbacks=(), verbose=1, checkpoint=None):
        """Train `model` in place (compiling it first if it is not); returns the Keras History.

        With a `kgen.callbacks.Checkpoint`, the run continues from it when it holds one
        and is saved to it as it goes."""
        raise NotImplementedError

    def score(self, model, data, limit=None):
        """The numbers the card reports (a dict). `limit` scores on fewer examples, for quick checks."""
        raise NotImplementedError

    def describe(self, model, scores, history=None, data=None):
        """The card's text fields: description, training, datasets, tags, sections (`data`:
        what it trained on, when known)."""
        raise NotImplementedError

    def pictures(self, model, data, folder):
        """Write the card's pictures (`picture_names`) into `folder`."""

    def picture_names(self):
        """{alt text: file name} of the pictures `pictures` writes."""
        return {}

    # ----------------------------------------------------------------- shared

    @classmethod
    def accepts(cls, model):
        """Whether this recipe can score `model` (one saved without a recipe in its metadata)."""
        return any(base.__name__ == cls.model_class for base in type(model).__mro__)

    @property
    def name(self):
        return type(self).__name__

    def ensure_compiled(self, model, data):
        """Compile `model` unless it already is (`train` compiles it in the strategy's scope)."""
        if not getattr(model, "compiled", False):
            self.compile(model, data)

    def fingerprint(self, train_subset=None, data=None):
        """What identifies a run of this recipe (on `data`): a checkpoint of another run is refused."""
        return {"recipe": self.name, "hyperparameters": self.hyperparameters(), "train_subset": train_subset}

    def hyperparameters(self):
        """The fields and their values, as the card and metadata record them."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}

    def command(self, out, **options):
        """The `kgen train` command line that runs this recipe and writes `out`."""
        words = ["kgen", "train", self.family, *self.selector_flags()]
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value != field.default:
                words += [cli_flag(field.name), *cli_words(value)]
        for name, value in options.items():
            if value is not None:
                words += [cli_flag(name), *cli_words(value)]
        return " ".join(shlex.quote(word) for word in words + ["--out", os.fspath(out)])

    def selector_flags(self):
        """Flags that pick this recipe among its family's (e.g. `--env Acrobot-v1`)."""
        return []

    def card(self, model, scores, command=None, history=None, data=None):
        """The model card fields (`save_to_preset`'s keywords) for `model` with `scores`, trained on `data`."""
        return dict(
            metrics=scores,
            summary=self.summary,
            headline_metrics=[name for name in self.headline_metrics if name in scores],
            recipe={"name": self.name, "hyperparameters": self.hyperparameters()},
            command=command,
            **self.describe(model, scores, history, data),
        )

    def train(self, out, data_dir=None, train_subset=None, limit=None, verbose=1, fresh=False, strategy=None,
              checkpoint_every=None, tensorboard=None, source=None):
        """Load the data, build, fit, score, draw the pictures and write the preset folder `out`.

        The run is checkpointed in `checkpoint_dir(out)` every `checkpoint_every` steps
        and after every epoch (`kgen.callbacks.Checkpoint`); calling `train` again with
        the same arguments after a crash continues from there and ends with the weights
        an uninterrupted run has. A checkpoint of another recipe, other hyperparameters
        or another kgen version is refused. The checkpoint is deleted once the preset is
        written. A NaN or infinite loss stops training with a
        message (`DivergenceGuard`); the last good checkpoint stays and no preset is written.

        Args:
            out: str, the preset folder to write.
            data_dir: str or None, where the data files are (default: the usual search).
            train_subset: int or None, train on the first N training examples only.
            limit: int or None, score on the first N held-out examples only.
            verbose: int, Keras verbosity (default 1).
            fresh: bool, discard a checkpoint in `out` and start over (default False).
            strategy: a `tf.distribute.Strategy` or None; the model is built and compiled
                in its scope. Under a multi-worker strategy every worker runs `train` and
                only the chief writes `out`.
            checkpoint_every: int or None, steps between checkpoints (default: the recipe's).
            tensorboard: str or None, a folder for TensorBoard: Keras's scalars, and images of
                what the model makes (`kgen.callbacks.TensorBoardImages`) every epoch.
            source: `kgen.recipes.ImageSource`, a path, or None: your own images instead of
                Fashion-MNIST, for an image recipe (a seeded tenth is held out for the scores).

        Returns:
            (model, scores).
        """
        from kgen.callbacks import Checkpoint, DivergenceGuard, TensorBoardImages
        from kgen.callbacks.checkpoint import is_chief

        if isinstance(source, (str, os.PathLike)):
            from kgen.recipes.data import ImageSource

            source = ImageSource(os.fspath(source))
        options = {} if source is None else source.options()
        command = self.command(out, data_dir=data_dir, train_subset=train_subset, limit=limit, **options)
        every = self.checkpoint_every if checkpoint_every is None else check_int("checkpoint_every", checkpoint_every, 1)
        data = self.prepare(self.load_data(data_dir, train_subset, source))
        checkpoint = Checkpoint(checkpoint_dir(out), every_n_steps=every,
                                fingerprint=self.fingerprint(train_subset, data), command=command)
        if fresh:
            shutil.rmtree(checkpoint.directory, ignore_errors=True)
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            model = self.build(data)
            self.compile(model, data)
        guard = DivergenceGuard()
        callbacks = [guard]
        if tensorboard is not None:
            shown = None if data is None or getattr(data, "x_test", None) is None else data.x_test[:8]
            callbacks += [TensorBoardImages(tensorboard, images=shown), keras.callbacks.TensorBoard(tensorboard)]
        history = self.fit(model, data, callbacks=callbacks, verbose=verbose, checkpoint=checkpoint)
        if verbose:
            unit = "environment steps" if hasattr(model, "env_steps") else "steps"
            resumed = checkpoint.resumed_from
            where = "" if resumed is None or unit != "steps" else f" (epoch {resumed.epoch + 1}, batch {resumed.step})"
            print((f"continued the run checkpointed in {checkpoint.directory} after {resumed.global_step} {unit}"
                   f"{where}; " if resumed else "") + f"training ended after {checkpoint.global_step} {unit}")
        if guard.message is not None:
            raise KgenValueError(f"{guard.message} The last good checkpoint is in {checkpoint.directory}.")
        scores = self.score(model, data, limit=limit)
        chief = is_chief(model)
        folder = out if chief else tempfile.mkdtemp(prefix=".worker-preset-", dir=os.path.dirname(os.path.abspath(out)))
        self.pictures(model, data, folder)
        model.save_to_preset(folder, images=self.picture_names(), **self.card(model, scores, command, history, data))
        shutil.rmtree(checkpoint.directory if chief else folder, ignore_errors=True)
        return model, scores

    def rewrite_card(self, preset_dir=None, rescore=False, data_dir=None):
        """Rewrite the card and metadata of this recipe's preset from its shipped weights.

        The scores are the folder's recorded ones, or measured afresh by `score`
        when `rescore`. Pictures and weights stay as they are.

        Returns:
            (model, scores).
        """
        preset_dir = preset_dir or presets.REGISTRY[self.preset].local_dir
        model = presets.load(keras.Model, preset_dir)
        data = self.load_data(data_dir)
        self.compile(model, data)
        metadata = presets.read_metadata(preset_dir)
        scores = self.score(model, data) if rescore else metadata["metrics"]
        images = {alt: path for alt, path in self.picture_names().items()
                  if os.path.isfile(os.path.join(preset_dir, path))}
        card = self.card(model, scores, self.command(os.path.join("weights", self.preset)), data=data)
        presets.rewrite_card(model, preset_dir, images=images, **card)
        return model, scores


def cli_flag(name):
    return "--" + name.replace("_", "-")


def cli_words(value):
    if value is None:
        return ["none"]
    if isinstance(value, (tuple, list)):
        return [str(v) for v in value]
    return [str(value)]

