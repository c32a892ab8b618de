"""The lab's GAN page: update rounds per second while it publishes its state for the page,
side by side with `GAN.fit` on the same networks and batches (a round is one `train_step`'s work).

    python benchmarks/lab_gan.py [--seconds 10] [--rounds 3]

Rounds are interleaved (page, fit, page, fit, ...) and medians quoted. The page is driven
as the browser drives it: played, with a reader taking every published state, as the
server's event stream does. The issue's target is >= 50 rounds/s with >= 10 states/s.
"""

import argparse
import statistics
import threading
import time

import keras
import numpy as np

from kgen.lab import toy2d
from kgen.lab.gan_page import DEFAULTS, GANPage


def page_rate(seconds):
    page = GANPage()
    page.control({"action": "step", "rounds": 20})  # build and trace first
    states, stop = [0], threading.Event()

    def read():
        version = page.latest()[0]
        while not stop.is_set():
            new, _ = page.latest(after_version=version, timeout=1.0)
            if new > version:
                states[0] += 1
                version = new

    reader = threading.Thread(target=read)
    reader.start()
    start_round = page.latest()[1]["round"]
    page.control({"action": "play"})
    started = time.perf_counter()
    time.sleep(seconds)
    page.control({"action": "pause"})
    elapsed = time.perf_counter() - started
    rounds = page.latest()[1]["round"] - start_round
    stop.set()
    reader.join()
    page.close()
    return rounds / elapsed, states[0] / elapsed


def fit_rate(seconds):
    page = GANPage()
    page.setup()  # the same networks and optimizers, built as the page builds them
    gan = page.gan
    batch = DEFAULTS["batch_size"]
    steps = 200
    data = toy2d.sample("gaussians", steps * batch, np.random.default_rng(0)).reshape(-1, 1, 1, 2)
    gan.fit(data[: 20 * batch], batch_size=batch, epochs=1, verbose=0)  # trace
    timer = EpochTimer()
    epochs = 1
    while True:
        gan.fit(data, batch_size=batch, epochs=epochs, verbose=0, callbacks=[timer])
        if sum(timer.times) >= seconds or epochs > 64:
            break
        epochs *= 2
        timer.times.clear()
    keras.backend.clear_session()
    return steps * len(timer.times) / sum(timer.times)


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.started)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of play per round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    args = parser.parse_args()
    pages, published, fits = [], [], []
    for i in range(args.rounds):
        rate, states = page_rate(args.seconds)
        pages.append(rate)
        published.append(states)
        fits.append(fit_rate(args.seconds))
        print(f"round {i + 1}: page {rate:.1f} rounds/s with {states:.1f} states/s; "
              f"GAN.fit {fits[-1]:.1f} steps/s", flush=True)
    page, fit = statistics.median(pages), statistics.median(fits)
    print(f"\nmedian of {args.rounds}: lab GAN page {page:.1f} rounds/s, publishing "
          f"{statistics.median(published):.1f} states/s; GAN.fit {fit:.1f} steps/s; page / fit = {page / fit:.2f}x; "
          f"target >= 50 rounds/s: {'met' if page >= 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
