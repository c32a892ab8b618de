"""A callback that stops `fit` by raising after a number of batches (an agent's: chunks of
environment steps), as a crash would, for the in-process resume tests."""

import keras


class Interrupt(Exception):
    pass


class InterruptAt(keras.callbacks.Callback):
    def __init__(self, batches):
        super().__init__()
        self.batches, self.seen = batches, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.batches:
            raise Interrupt
