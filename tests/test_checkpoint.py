"""kgen.callbacks.Checkpoint in one process: an interrupted fit_epochs run resumes mid-epoch to the
uninterrupted weights; checkpoints of another run, kgen version or model are refused; a torn write
or a diverged step leaves the last good checkpoint (tests/test_resume.py kills real processes)."""

import json
import os

import distributed_models
import keras
import numpy as np
import pytest
from interrupts import Interrupt, InterruptAt

from kgen.callbacks import Checkpoint, KLWarmup
from kgen.core.errors import KgenError
from kgen.models import Classifier
from kgen.recipes.training import batch_indices, epoch_order, fit_epochs

X = np.random.default_rng(0).random((64, 28, 28, 1), dtype="float32")
Y = np.arange(64) % 10


def model(seed=3):
    keras.utils.set_random_seed(0)
    classifier = Classifier(filters=(4,), dense_units=8, dropout=0.25, seed=seed)
    classifier.compile()
    return classifier


def family_model(family):
    keras.utils.set_random_seed(0)
    built = distributed_models.build(family)
    built.compile()
    return built


def warmup(family):
    return [KLWarmup(epochs=1.5, steps_per_epoch=4)] if family == "vae" else []


# the WGAN-GP's critic steps are the GAN's, with d_steps > 1: -m slow, to keep `make test` under 10 minutes
@pytest.mark.parametrize("family", ["classifier", "gan", pytest.param("wgan", marks=pytest.mark.slow), "vae"])
def test_a_run_interrupted_mid_epoch_resumes_to_the_uninterrupted_weights(family, tmp_path):
    # the GANs' two optimizers and the WGAN-GP's critic steps, the VAE's KL warm-up mid-ramp
    examples = distributed_models.data(family)  # 64 examples: 4 batches of 16 an epoch
    reference = family_model(family)
    fit_epochs(reference, examples, batch_size=16, epochs=2, seed=0, callbacks=warmup(family), verbose=0)

    first = family_model(family)
    with pytest.raises(Interrupt):  # stopped after batch 2 of epoch 2, checkpoint at 5
        fit_epochs(first, examples, 16, 2, 0, [*warmup(family), InterruptAt(6)], 0,
                   Checkpoint(tmp_path / "ckpt", every_n_steps=5))
    checkpoint = Checkpoint(tmp_path / "ckpt", every_n_steps=5)
    resumed = family_model(family)
    history = fit_epochs(resumed, examples, 16, 2, 0, warmup(family), verbose=0, checkpoint=checkpoint)
    assert (checkpoint.resumed_from.epoch, checkpoint.resumed_from.step, checkpoint.resumed_from.global_step) == (1, 1, 5)
    assert checkpoint.global_step == 8
    assert len(next(iter(history.history.values()))) == 2  # the epoch finished before the interruption is there
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


def test_the_data_order_is_a_function_of_the_seed_and_epoch_and_resumes_at_the_batch():
    assert np.array_equal(epoch_order(10, 0, 3), epoch_order(10, 0, 3))
    assert not np.array_equal(epoch_order(10, 0, 3), epoch_order(10, 0, 4))
    whole = batch_indices(10, 3, seed=0, start_epoch=0, stop_epoch=2)
    assert whole.shape == (6, 3)  # 3 full batches an epoch, the last partial one dropped
    assert np.array_equal(batch_indices(10, 3, 0, 0, 2, start_step=2), whole[2:])
    assert np.array_equal(batch_indices(10, 3, 0, 1, 2, start_step=1), whole[4:])


def saved(tmp_path, **options):
    classifier = model()
    checkpoint = Checkpoint(tmp_path / "ckpt", **options)
    fit_epochs(classifier, (X, Y), 16, 1, 0, verbose=0, checkpoint=checkpoint)
    return checkpoint


def test_a_checkpoint_of_another_run_is_refused_naming_both_commands_and_what_differs(tmp_path):
    saved(tmp_path, fingerprint={"lr": 1e-3}, command="kgen train a")
    other = Checkpoint(tmp_path / "ckpt", fingerprint={"lr": 2e-3}, command="kgen train b")
    with pytest.raises(KgenError, match=r"belongs to a different run.*kgen train a.*kgen train b.*lr: 0.001 there, 0.002 here.*--fresh"):
        other.restore(model())


def test_a_checkpoint_of_another_kgen_version_is_refused_naming_both(tmp_path):
    saved(tmp_path)
    state_file = tmp_path / "ckpt" / "state.json"
    state = json.loads(state_file.read_text())
    state["kgen_version"] = "99.0.0"
    state_file.write_text(json.dumps(state))
    with pytest.raises(KgenError, match="kgen 99.0.0; this is kgen"):
        Checkpoint(tmp_path / "ckpt").restore(model())


def test_a_damaged_checkpoint_or_one_of_another_model_is_refused(tmp_path):
    saved(tmp_path)
    with pytest.raises(KgenError, match="state variables"):
        bigger = Classifier(filters=(8,), dense_units=8, seed=3)
        bigger.compile()
        Checkpoint(tmp_path / "ckpt").restore(bigger)
    (tmp_path / "ckpt" / "state.json").write_text("{not json")
    with pytest.raises(KgenError, match="cannot be read.*--fresh"):
        Checkpoint(tmp_path / "ckpt").restore(model())


def test_a_kill_between_the_two_renames_of_a_write_is_repaired(tmp_path):
    checkpoint = saved(tmp_path)
    # atomic_directory moves the old folder aside, then renames the new one in: kill in between
    os.replace(checkpoint.directory, tmp_path / ".old-ckpt-abc")
    (tmp_path / ".tmp-ckpt-def").mkdir()  # the new one, never renamed
    assert Checkpoint(tmp_path / "ckpt").restore(model()).global_step == 4
    assert sorted(os.listdir(tmp_path)) == ["ckpt"]


def test_a_diverged_step_is_not_saved(tmp_path):
    checkpoint = saved(tmp_path, every_n_steps=1)
    before = (tmp_path / "ckpt" / "state.json").read_text()
    checkpoint.on_epoch_begin(1)
    checkpoint.on_train_batch_end(0, {"loss": float("nan")})
    checkpoint.on_epoch_end(1, {"loss": float("inf")})
    assert (tmp_path / "ckpt" / "state.json").read_text() == before


def test_fit_alone_refuses_a_mid_epoch_checkpoint_it_would_repeat_batches_of(tmp_path):
    first = model()
    with pytest.raises(Interrupt):
        fit_epochs(first, (X, Y), 16, 2, 0, [InterruptAt(3)], 0, Checkpoint(tmp_path / "ckpt", every_n_steps=2))
    with pytest.raises(KgenError, match="middle of epoch 1.*skip them"):
        model().fit(X, Y, batch_size=16, epochs=2, verbose=0, callbacks=[Checkpoint(tmp_path / "ckpt")])


@pytest.mark.parametrize("bad", [dict(directory=""), dict(directory=3), dict(every_n_steps=0),
                                 dict(fingerprint=object())])
def test_bad_arguments_are_kgen_errors(bad, tmp_path):
    arguments = {"directory": tmp_path / "ckpt", **bad}
    with pytest.raises(KgenError):
        Checkpoint(**arguments)
