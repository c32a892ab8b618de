"""Checkpoints: the weights after every epoch (`AtomicCheckpoint`), and the whole training state
for an exact resume after a crash (`Checkpoint`)."""

import dataclasses
import json
import math
import os
import pickle
import shutil

import keras
import numpy as np

from kgen.callbacks import training_state
from kgen.callbacks.divergence import LOSS_LOGS
from kgen.core import files
from kgen.core.errors import KgenValueError
from kgen.core.validation import check_int, fail
from kgen.version import __version__

STATE_FILE = "state.json"
VARIABLES_FILE = "variables.npz"
AGENT_FILE = "agent_state.pkl"


class AtomicCheckpoint(keras.callbacks.Callback):
    """Save the model's weights after every `every` epochs, atomically (temp file + rename).

    A run that stops part-way leaves the last complete checkpoint, never a torn file;
    an epoch whose logs hold a NaN or infinite value (a diverged run) is not saved,
    so the last good checkpoint stays. Load it with `model.load_weights(path)`.
    For a run that must continue exactly where it stopped, use `Checkpoint`.

    Args:
        path: str, a file name ending in ".weights.h5".
        every: int, epochs between saves (default 1).

    Examples:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> _ = model.fit(np.ones((8, 2)), np.ones(8), epochs=2, verbose=0,
        ...               callbacks=[kgen.callbacks.AtomicCheckpoint("model.weights.h5")])
        >>> model.load_weights("model.weights.h5")      # the weights after the last epoch
    """

    def __init__(self, path, every=1):
        super().__init__()
        if not str(path).endswith(".weights.h5"):
            fail("path", str(path), "a file name ending in '.weights.h5'")
        self.path = str(path)
        self.every = check_int("every", every, minimum=1)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every != 0 or not all_finite(logs):
            return  # a diverged epoch: the last good checkpoint stays in place
        with files.atomic_path(self.path) as tmp:
            self.model.save_weights(tmp)


def all_finite(logs, names=None):
    """Whether every numeric log value (of those in `names`, default all) is finite."""
    for name, value in (logs or {}).items():
        if names is not None and name not in names:
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(number):
            return False
    return True


@dataclasses.dataclass(frozen=True)
class TrainingPosition:
    """Where a restored run continues.

    Attributes:
        epoch: int, the epoch (from 0) the next batch belongs to.
        step: int, the batch (from 0) of that epoch that comes next.
        global_step: int, the batches done (an agent: environment steps).

    Examples:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> checkpoint = kgen.callbacks.Checkpoint("run/checkpoint", every_n_steps=3)
        >>> _ = model.fit(np.ones((8, 2)), np.ones(8), batch_size=2, epochs=1, verbose=0, callbacks=[checkpoint])
        >>> checkpoint.restore(model)                     # after the epoch's 4 batches
        TrainingPosition(epoch=1, step=0, global_step=4)
    """

    epoch: int
    step: int
    global_step: int


def is_chief(model):
    """Whether this process writes checkpoints: true unless it is a non-chief worker of a multi-worker strategy."""
    resolver = getattr(model.distribute_strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if not task_type:
        return True
    if task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "worker" and resolver.task_id == 0 and not has_chief


class Checkpoint(keras.callbacks.Callback):
    """Save everything a run needs to continue exactly, every `every_n_steps` steps and after every epoch.

    The checkpoint is one folder, written to a temporary sibling and renamed into
    place, so a kill during a write leaves the previous checkpoint loadable. It holds
    the weights, every optimizer's variables and iteration count and every
    `SeedGenerator` state (`variables.npz`); the epoch, the
    batch within it and the epoch logs so far (`state.json`); and, for a kgen RL
    agent, its replay buffer or episode batch, exploration position, environment
    step count, numpy RNG and environment (`agent_state.pkl`, a pickle: restore only
    checkpoints you wrote). Steps whose logs hold a NaN or infinite value are not
    saved (the losses, `LOSS_LOGS`), so after a divergence the last good checkpoint stays.

    `restore(model)` loads the checkpoint (if there is one) and returns the
    `TrainingPosition` to continue from. A Keras `fit` restarts an epoch from its first
    batch, so a run resumed mid-epoch must skip the `position.step` batches already
    consumed (its data order a function of the seed and epoch) and pass
    `initial_epoch=position.epoch`; `kgen.recipes.training.fit_epochs` does this. When
    `restore` was not called, `fit` restores at its start, which works only for a
    checkpoint written at the end of an epoch. Under a multi-worker strategy only the
    chief writes `directory`; the other workers write to temporary folders they delete
    (`last_written` is the folder this process last wrote).

    Args:
        directory: str, the checkpoint folder.
        every_n_steps: int or None, batches between saves (for an agent, environment
            steps); None saves after every epoch only (default None).
        fingerprint: JSON-able or None, what identifies the run (kgen train passes its recipe
            and data options); a checkpoint with another fingerprint is refused.
        command: str or None, the command that writes the checkpoint, named in the refusal.

    Examples:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> checkpoint = kgen.callbacks.Checkpoint("run/checkpoint", every_n_steps=2)
        >>> print(checkpoint.restore(model))              # None on a first run
        None
        >>> _ = model.fit(np.ones((8, 2)), np.ones(8), batch_size=2, epochs=2, verbose=0, callbacks=[checkpoint])

        After a crash, a new process builds the same model and continues where the run stopped
        (`initial_epoch`, and the batches of `position.step` skipped; `kgen train` does both):

        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> position = kgen.callbacks.Checkpoint("run/checkpoint").restore(model)
        >>> position.epoch, position.global_step
        (2, 8)
    """

    def __init__(self, directory, every_n_steps=None, fingerprint=None, command=None):
        super().__init__()
        if not isinstance(directory, (str, os.PathLike)) or not os.fspath(directory):
            fail("directory", directory, "a folder path")
        self.directory = os.path.abspath(os.fspath(directory))
        self.every_n_steps = None if every_n_steps is None else check_int("every_n_steps", every_n_steps, minimum=1)
        try:
            self.fingerprint = None if fingerprint is None else json.loads(json.dumps(fingerprint))
        except (TypeError, ValueError):
            fail("fingerprint", fingerprint, "a JSON-serializable value (str, number, list, dict)")
        self.command = command
        self.position = None
        self.resumed_from = None
        self.last_written = None
        self.history = {}
        self._restored = False
        self._global_step = 0
        self._last_saved = None

    # ----------------------------------------------------------------- reading

    def exists(self):
        """Whether the folder holds a complete checkpoint."""
        files.recover_directory(self.directory)
        return os.path.isfile(os.path.join(self.directory, STATE_FILE))

    def read_state(self):
        """The checkpoint's state.json, checked against this kgen and this run's fingerprint."""
        path = os.path.join(self.directory, STATE_FILE)
        try:
            with open(path, encoding="utf-8") as f:
                state = json.load(f)
            state["epoch"], state["step"], state["global_step"], state["variables"]  # noqa: B018
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise KgenValueError(
                f"the checkpoint {self.directory} cannot be read ({error}); delete it or start over with --fresh."
            ) from None
        written_by = state.get("command") or "another run"
        if state.get("kgen_version") != __version__:
            raise KgenValueError(
                f"the checkpoint {self.directory} was written by kgen {state.get('kgen_version')}; this is kgen "
                f"{__version__}. A resume must run the same code: start over with --fresh (or delete the folder)."
            )
        if self.fingerprint is not None and state.get("fingerprint") != self.fingerprint:
            raise KgenValueError(
                f"the checkpoint {self.directory} belongs to a different run: it was written by `{written_by}`, "
                f"this is `{self.command or 'this run'}` ({_differences(state.get('fingerprint'), self.fingerprint)})."
                " Rerun that command to continue it, or start over with --fresh."
            )
        return state

    def restore(self, model):
        """Load the checkpoint into `model` (built and compiled); returns its `TrainingPosition`, or None.

        The position is kept as `resumed_from`.

        Raises:
            KgenValueError: the checkpoint is damaged, from another kgen version, another run
                (its fingerprint differs) or another model (its variables differ).
        """
        self._restored = True
        if not self.exists():
            self.position, self.history = None, {}
            return None
        state = self.read_state()
        with np.load(os.path.join(self.directory, VARIABLES_FILE)) as stored:
            arrays = [stored[f"v{i:05d}"] for i in range(len(stored.files))]
        training_state.restore(model, arrays, state["variables"], self.directory)
        agent_file = os.path.join(self.directory, AGENT_FILE)
        if hasattr(model, "restore_training_state"):
            if not os.path.isfile(agent_file):
                fail("checkpoint", self.directory, f"an agent's checkpoint with {AGENT_FILE}")
            with open(agent_file, "rb") as f:
                model.restore_training_state(pickle.load(f))
        self.position = self.resumed_from = TrainingPosition(state["epoch"], state["step"], state["global_step"])
        self.history = state.get("history", {})
        self._global_step = self._last_saved = self.position.global_step
        return self.position

    @property
    def global_step(self):
        """Batches (an agent: environment steps) done so far in the run, those before a resume too."""
        return self._global_step

    # ----------------------------------------------------------------- writing

    def save(self, epoch, step):
        """Write the checkpoint now: `step` batches of epoch `epoch` are done."""
        model = self.model
        # an agent's state first: taking it may settle deferred updates (DQN's pending target copies)
        agent_state = model.training_state() if hasattr(model, "training_state") else None
        arrays, description = training_state.capture(model)
        state = {
            "kgen_version": __version__,
            "fingerprint": self.fingerprint,
            "command": self.command,
            "epoch": int(epoch),
            "step": int(step),
            "global_step": int(self._global_step),
            "history": self.history,
            "variables": description,
        }
        chief = is_chief(model)
        target = self.directory if chief else os.path.join(
            os.path.dirname(self.directory), f".worker-{os.getpid()}-" + os.path.basename(self.directory))
        with files.atomic_directory(target) as tmp:
            np.savez(os.path.join(tmp, VARIABLES_FILE), **{f"v{i:05d}": a for i, a in enumerate(arrays)})
            if agent_state is not None:
                with open(os.path.join(tmp, AGENT_FILE), "wb") as f:
                    pickle.dump(agent_state, f, protocol=pickle.HIGHEST_PROTOCOL)
            with open(os.path.join(tmp, STATE_FILE), "w", encoding="utf-8") as f:
                json.dump(state, f)
        if not chief:
            shutil.rmtree(target, ignore_errors=True)
        self.last_written = target
        self._last_saved = self._global_step

    # ----------------------------------------------------------------- the callback

    def _agent(self):
        return hasattr(self.model, "training_state")

    def on_train_begin(self, logs=None):
        if not self._restored:
            position = self.restore(self.model)
            if position is not None and position.step and not self._agent():
                raise KgenValueError(
                    f"the checkpoint {self.directory} was written in the middle of epoch {position.epoch + 1} "
                    f"(after batch {position.step}); fit would repeat those batches. Call "
                    "checkpoint.restore(model) before fit and skip them (kgen.recipes.training.fit_epochs does), "
                    "or checkpoint at epoch ends only (every_n_steps=None)."
                )
            if position is not None and not self._agent():
                self.model._initial_epoch = position.epoch  # what keras.callbacks.BackupAndRestore sets
        self._epoch_offset = 0
        if self._last_saved is None:
            self._last_saved = self._global_step

    def on_epoch_begin(self, epoch, logs=None):
        resumed = self.position is not None and epoch == self.position.epoch and self._epoch_offset == 0
        self._epoch = epoch
        self._epoch_offset = self.position.step if resumed else 0
        self._epoch_start = self._global_step
        self._batches = 0

    def on_train_batch_end(self, batch, logs=None):
        if self._agent():
            self._global_step = int(self.model.env_steps)
        else:
            self._batches = batch + 1
            self._global_step = self._epoch_start + self._batches
        due = self.every_n_steps and self._global_step // self.every_n_steps > self._last_saved // self.every_n_steps
        if due and all_finite(logs, LOSS_LOGS):
            self.save(self._epoch, self._epoch_offset + self._batches)

    def on_epoch_end(self, epoch, logs=None):
        if not all_finite(logs, LOSS_LOGS):
            return
        for name, value in (logs or {}).items():
            try:
                self.history.setdefault(name, []).append(float(value))
            except (TypeError, ValueError):
                continue
        self.save(epoch + 1, 0)

    def on_train_end(self, logs=None):
        if getattr(self.model, "_initial_epoch", None) is not None:
            self.model._initial_epoch = None
        self.position = None  # a later fit continues from the model as it is
        self._restored = True


def _differences(theirs, ours):
    """'epochs: 8 there, 6 here; ...' for the leaves of two fingerprints that differ."""

    def leaves(value, prefix=""):
        if isinstance(value, dict):
            return {k: v for key, item in value.items() for k, v in leaves(item, f"{prefix}{key}.").items()}
        return {prefix.rstrip("."): value}

    theirs, ours = leaves(theirs or {}), leaves(ours)
    differing = [key for key in sorted(set(theirs) | set(ours)) if theirs.get(key) != ours.get(key)]
    return "; ".join(f"{key}: {theirs.get(key)!r} there, {ours.get(key)!r} here" for key in differing)
