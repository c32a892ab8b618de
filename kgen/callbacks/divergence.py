"""Stop `fit` with a clear message when a loss becomes NaN or infinite."""

import math

import keras

from kgen.core.errors import KgenTypeError
from kgen.core.validation import fail

LOSS_LOGS = ("loss", "d_loss", "g_loss")
"""The logs that hold a kgen model's losses: what a divergence shows in."""

class DivergenceGuard(keras.callbacks.Callback):
    """Stop training with a clear message as soon as a monitored loss is NaN or infinite.

    Checks the batch logs (in Keras's background thread, so training is not slowed;
    the stop may come a batch or two after the bad one). Names missing from the
    logs are ignored. After a stop, `message` names the log, the epoch, the batch and
    the step (counted from the start of training), and the last finite values of
    the monitored logs.

    Args:
        monitor: str or tuple of str, log names to watch (default ("loss", "d_loss", "g_loss")).

    Examples:
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile(keras.optimizers.SGD(1e6), "mse")           # a learning rate that diverges
        >>> guard = kgen.callbacks.DivergenceGuard()
        >>> _ = model.fit(np.full((64, 1), 100.0), np.zeros(64), batch_size=4, epochs=5, verbose=0, callbacks=[guard])
        DivergenceGuard: loss became ... at epoch 1, ... Training stopped. Try lower learning rates, ...
        >>> guard.message is not None, model.stop_training          # message is None while the loss is finite
        (True, True)
    """

    async_safe = True

    def __init__(self, monitor=LOSS_LOGS):
        super().__init__()
        names = (monitor,) if isinstance(monitor, str) else monitor
        if not isinstance(names, (tuple, list)) or not names or not all(isinstance(n, str) and n for n in names):
            fail("monitor", monitor, "a log name or a tuple of log names", KgenTypeError)
        self.monitor = tuple(names)
        self.message = None
        self.last_finite = {}
        self._epoch = 0
        self._step = 0

    def on_train_begin(self, logs=None):
        self.message = None
        self.last_finite = {}
        self._step = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.message is not None or not logs:
            return
        values = {name: float(logs[name]) for name in self.monitor if logs.get(name) is not None}
        bad = [name for name, value in values.items() if not math.isfinite(value)]
        if not bad:
            self.last_finite.update(values)
            return
        last = ", ".join(f"{name}={value:.4g}" for name, value in self.last_finite.items()) or "none (the first step)"
        self.message = (
            f"DivergenceGuard: {bad[0]} became {values[bad[0]]} at epoch {self._epoch + 1}, batch {batch + 1} "
            f"(step {self._step}); last finite values: {last}. Training stopped. Try lower learning rates, "
            "check the data are in [0, 1], or resume from the last checkpoint."
        )
        print(self.message)
        self.model.stop_training = True
