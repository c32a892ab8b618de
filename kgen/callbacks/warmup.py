"""KL warm-up: anneal a VAE's KL weight during the first epochs."""

import keras

from kgen.core.errors import KgenTypeError
from kgen.core.validation import check_int, check_number, fail


class KLWarmup(keras.callbacks.Callback):
    """Anneal a VAE's KL weight `beta` linearly from `start` to `end` over the first epochs.

    The weight is a variable of the model, so the compiled train step sees every
    change without retracing. The current value is logged as `beta`.

    Args:
        epochs: float > 0, length of the warm-up in epochs (default 5).
        start: float >= 0, beta at the first step (default 0.0).
        end: float >= 0 or None, beta after the warm-up (default: the model's `beta` argument).
        steps_per_epoch: int or None, optimizer steps in an epoch (default: what `fit` reports).
            Progress is the optimizer's step count over this, so a resumed run
            (`Checkpoint`) continues the ramp where it stopped.

    Examples:
        >>> nets = kgen.models.vae_networks
        >>> vae = kgen.models.VAE(nets.mlp_encoder(latent_dim=2, hidden=(16,)),
        ...                       nets.mlp_decoder(latent_dim=2, hidden=(16,)), latent_dim=2)
        >>> vae.compile()
        >>> x = np.random.default_rng(0).random((8, 28, 28, 1), dtype="float32")
        >>> history = vae.fit(x, epochs=3, batch_size=4, verbose=0, callbacks=[kgen.callbacks.KLWarmup(epochs=2)])
        >>> history.history["beta"]                  # ramps up over the first 2 epochs, then stays at 1
        [0.25, 0.75, 1.0]

    Reference:
        Bowman et al., "Generating Sentences from a Continuous Space", CoNLL 2016;
        Sonderby et al., "Ladder Variational Autoencoders", NeurIPS 2016.
    """

    def __init__(self, epochs=5, start=0.0, end=None, steps_per_epoch=None):
        super().__init__()
        self.epochs = check_number("epochs", epochs, minimum=0.0, low_open=True)
        self.start = check_number("start", start, minimum=0.0)
        self.end = None if end is None else check_number("end", end, minimum=0.0)
        self.steps_per_epoch = None if steps_per_epoch is None else check_int("steps_per_epoch", steps_per_epoch, 1)

    def on_train_begin(self, logs=None):
        if not hasattr(self.model, "beta"):
            fail("model", self.model, "a model with a `beta` weight (a VAE) for KLWarmup", KgenTypeError)
        self._end = self.model.initial_beta if self.end is None else self.end
        self._steps_per_epoch = self.steps_per_epoch or self.params.get("steps") or None

    def on_train_batch_begin(self, batch, logs=None):
        if self._steps_per_epoch:
            # the optimizer's step count, not fit's batch index: a resumed run continues the ramp
            self._set(int(self.model.optimizer.iterations.numpy()) / self._steps_per_epoch)

    def on_epoch_begin(self, epoch, logs=None):
        if not self._steps_per_epoch:
            self._set(epoch)

    def _set(self, progress):
        fraction = min(1.0, progress / self.epochs)
        self.model.beta.assign(self.start + fraction * (self._end - self.start))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["beta"] = float(self.model.beta.numpy())
