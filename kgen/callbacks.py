"""Keras callbacks for kgen models."""

import keras

from kgen.validation import check_number


class KLWarmup(keras.callbacks.Callback):
    """Anneal a VAE's KL weight `beta` linearly from `start` to `end` over the first epochs.

    The weight is a variable of the model, so the compiled train step sees every
    change without retracing. The current value is logged as `beta`.

    Args:
        epochs: float > 0, length of the warm-up in epochs (default 5).
        start: float >= 0, beta at the first step (default 0.0).
        end: float >= 0 or None, beta after the warm-up (default: the model's `beta` argument).

    Example:
        >>> vae.fit(x, epochs=20, callbacks=[kgen.callbacks.KLWarmup(epochs=5)])

    Reference:
        Bowman et al., "Generating Sentences from a Continuous Space", CoNLL 2016;
        Sonderby et al., "Ladder Variational Autoencoders", NeurIPS 2016.
    """

    def __init__(self, epochs=5, start=0.0, end=None):
        super().__init__()
        self.epochs = check_number("epochs", epochs, minimum=0.0, low_open=True)
        self.start = check_number("start", start, minimum=0.0)
        self.end = None if end is None else check_number("end", end, minimum=0.0)
        self._epoch = 0
        self._steps_per_epoch = None

    def on_train_begin(self, logs=None):
        if not hasattr(self.model, "beta"):
            raise TypeError(f"KLWarmup needs a model with a `beta` weight (a VAE); got {type(self.model).__name__}.")
        self._end = self.model.initial_beta if self.end is None else self.end
        self._steps_per_epoch = self.params.get("steps") or None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._set(epoch)

    def on_train_batch_begin(self, batch, logs=None):
        if self._steps_per_epoch:
            self._set(self._epoch + batch / self._steps_per_epoch)

    def _set(self, progress):
        fraction = min(1.0, progress / self.epochs)
        self.model.beta.assign(self.start + fraction * (self._end - self.start))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["beta"] = float(self.model.beta.numpy())
