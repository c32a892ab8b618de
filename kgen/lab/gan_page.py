"""The lab's GAN page (after GAN Lab): a `kgen.models.GAN` of two small MLPs trained live on
two-dimensional data, with D's decision surface, the generator's manifold and the gradient
that moves each fake sample, the losses and divergence estimates over rounds."""

import math
import time

import keras
import numpy as np
import tensorflow as tf

from kgen.core.adam import Adam
from kgen.core.errors import KgenTypeError
from kgen.core.validation import check_choice, check_int, check_number, fail
from kgen.lab import toy2d
from kgen.lab.page import LabPage
from kgen.models.gan import GAN, PROBABILITY_LOSSES
from kgen.ops.losses.gan import GAN_LOSSES

LOSSES = ("minimax", "non_saturating", "least_squares", "hinge", "wgan-gp")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
NOISE_TYPES = ("gaussian", "uniform")
TRAIN_MODES = ("both", "discriminator", "generator")
LIMITS = {"d_layers": (1, 6), "g_layers": (1, 6), "d_units": (1, 256), "g_units": (1, 256), "noise_dim": (1, 16),
          "batch_size": (1, 1024), "d_steps": (1, 20), "g_steps": (1, 20), "seed": (0, 2**31 - 1)}
"""Bounds of the integer settings."""
DEFAULTS = {
    "data": "gaussians", "seed": 0, "loss": "non_saturating", "train": "both", "d_steps": 1, "g_steps": 1,
    "d_optimizer": "adam", "g_optimizer": "adam", "d_learning_rate": 1e-3, "g_learning_rate": 1e-3,
    "d_layers": 2, "d_units": 64, "g_layers": 2, "g_units": 64, "noise_dim": 2, "noise": "gaussian",
    "batch_size": 256,
}
REBUILD = ("data", "seed", "d_layers", "d_units", "g_layers", "g_units", "noise_dim", "noise")
"""Settings that start the networks afresh; the others change the training of the same networks."""
GRID = 32
"""Cells per side of the heat map and of the histograms the divergences are estimated on."""
SHOWN = 250
"""Real and fake points drawn (fakes from fixed noise, so they move smoothly as G learns)."""
DIVERGENCE_FAKES = 2000
MMD_POINTS = 300
MMD_BANDWIDTHS = (0.02, 0.05, 0.1)
HISTORY = 2000
"""Chart points kept per curve; older ones are thinned to every other."""
SENT = 400
"""Chart points sent per curve in a snapshot."""
DIVERGENCE_EVERY = 0.25
"""Seconds between divergence estimates."""


def _grid_centres(size):
    centres = (np.arange(size) + 0.5) / size
    x, y = np.meshgrid(centres, centres)
    return np.stack([x.ravel(), y.ravel()], 1).astype(np.float32)


def histogram(points, size=GRID):
    """Normalised counts of `points` in the unit square's size x size cells, rows bottom up."""
    counts, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=size, range=[[0, 1], [0, 1]])
    return counts.ravel() / max(len(points), 1)


def divergences(p, q, eps=1e-4):
    """KL(p || q) and JS(p, q) in nats between two histograms, each smoothed by `eps` per cell (as GAN Lab)."""
    p = (p + eps) / (p + eps).sum()
    q = (q + eps) / (q + eps).sum()
    m = 0.5 * (p + q)
    kl = float(np.sum(p * np.log(p / q)))
    js = float(0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m)))
    return kl, js


def mmd(x, y, bandwidths=MMD_BANDWIDTHS):
    """Unbiased squared maximum mean discrepancy between samples x and y with a sum of Gaussian kernels.

    Reference: Gretton et al., "A Kernel Two-Sample Test", JMLR 2012.
    """
    def kernel(a, b):
        squared = np.maximum(np.sum(a * a, 1)[:, None] + np.sum(b * b, 1)[None] - 2 * a @ b.T, 0.0)
        return sum(np.exp(squared * (-0.5 / (h * h))) for h in bandwidths)

    x, y = np.asarray(x, np.float32), np.asarray(y, np.float32)
    n, m = len(x), len(y)
    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    return float((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                 - 2 * kxy.mean())


def mode_counts(points, means, std):
    """How many of `points` lie within 3 std of each mode (nearest mode)."""
    distances = np.linalg.norm(points[:, None] - means[None], axis=-1)
    nearest = distances.argmin(1)
    near = distances[np.arange(len(points)), nearest] < 3 * std
    return np.bincount(nearest[near], minlength=len(means))


def _mlp(inputs, layers, units, outputs, output_activation, name, seed):
    x = keras.layers.Flatten()(inputs) if len(inputs.shape) > 2 else inputs
    for i in range(layers):
        x = keras.layers.Dense(units, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed + i))(x)
    x = keras.layers.Dense(outputs, activation=output_activation,
                           kernel_initializer=keras.initializers.GlorotUniform(seed + layers))(x)
    return keras.Model(inputs, x, name=name)


def _optimizer(name, learning_rate):
    if name == "adam":
        return Adam(learning_rate, beta_1=0.5)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    return keras.optimizers.SGD(learning_rate)


def uniform_noise(z):
    """Map z ~ N(0, 1) to U(-1, 1) elementwise (2 Phi(z) - 1): the GAN draws Gaussian latents."""
    return tf.math.erf(z / np.sqrt(2.0))


def _thinned(curves, most=SENT):
    """Every k-th point of each curve, so that at most `most` are sent, and always the last."""
    count = len(curves["round"])
    if count <= most:
        return curves
    keep = list(range(count - 1, -1, -math.ceil(count / most)))[::-1]
    return {key: [values[i] for i in keep] for key, values in curves.items()}


class GANPage(LabPage):
    """Trains a `kgen.models.GAN` of two MLPs on a 2-D data set, one round at a time.

    A round is `d_steps` discriminator updates then `g_steps` generator updates (or
    only one player's, with `train`), each a `GAN.discriminator_step` /
    `GAN.generator_step` on a fresh real batch. Actions: play, pause, step (one
    round), reset, set (any setting of `DEFAULTS`), draw (points for the "drawn" data).
    """

    name = "gan"
    actions = {"play": "_play", "pause": "_pause", "step": "_step", "reset": "_reset", "set": "_set",
               "draw": "_draw"}

    def __init__(self, **settings):
        super().__init__()
        self.settings = dict(DEFAULTS)
        self.settings.update(self._validate(settings))
        self.points = None
        self.rounds_per_second = 0.0

    # ------------------------------------------------------------------ controls (HTTP threads)

    def _validate(self, settings):
        checked = {}
        for key, value in settings.items():
            if key not in DEFAULTS:
                fail("setting", key, "one of " + ", ".join(DEFAULTS), KgenTypeError)
            if key == "data":
                checked[key] = check_choice("data", value, toy2d.NAMES)
            elif key == "loss":
                checked[key] = check_choice("loss", value, LOSSES)
            elif key == "train":
                checked[key] = check_choice("train", value, TRAIN_MODES)
            elif key == "noise":
                checked[key] = check_choice("noise", value, NOISE_TYPES)
            elif key.endswith("_optimizer"):
                checked[key] = check_choice(key, value, OPTIMIZERS)
            elif key.endswith("_learning_rate"):
                checked[key] = check_number(key, value, 0.0, 1.0, low_open=True)
            else:
                checked[key] = check_int(key, value, *LIMITS[key])
        return checked

    def _play(self):
        def apply():
            self.running = True
        return apply

    def _pause(self):
        def apply():
            self.running = False
        return apply

    def _step(self, rounds=1):
        rounds = check_int("rounds", rounds, 1, 10_000)

        def apply():
            self.running = False
            for _ in range(rounds):
                self.train_round()
        return apply

    def _reset(self):
        return self.build

    def _set(self, **settings):
        if not settings:
            fail("set", settings, "at least one setting, e.g. {\"action\": \"set\", \"loss\": \"minimax\"}")
        checked = self._validate(settings)
        if checked.get("data") == "drawn" and self.points is None:
            fail("data", "drawn", "a data set once points are drawn (send the draw action first)")

        def apply():
            changed = {k: v for k, v in checked.items() if self.settings[k] != v}
            self.settings.update(checked)
            if any(key in REBUILD for key in changed):
                self.build()
            elif changed:
                self.compile(reset_history="loss" in changed)
        return apply

    def _draw(self, points):
        points = toy2d.check_points(points)

        def apply():
            self.points = points
            self.settings["data"] = "drawn"
            self.build()
        return apply

    # ------------------------------------------------------------------ worker thread

    def setup(self):
        self.build()

    def build(self):
        """Fresh networks and data for the current settings; round 0."""
        s = self.settings
        seed = s["seed"]
        keras.utils.set_random_seed(seed)
        self.rng = np.random.default_rng(seed)
        noise = keras.Input((s["noise_dim"],))
        body_input = keras.Input((s["noise_dim"],))
        body = _mlp(body_input, s["g_layers"], s["g_units"], 2, "tanh", "generator_body", seed)
        transformed = keras.layers.Lambda(uniform_noise)(noise) if s["noise"] == "uniform" else noise
        self.generator_body = body
        self.generator = keras.Model(noise, keras.layers.Reshape((1, 1, 2))(body(transformed)), name="generator")
        self.discriminator = _mlp(keras.Input((1, 1, 2)), s["d_layers"], s["d_units"], 1, None, "discriminator",
                                  seed + 1000)
        self.real_shown = toy2d.sample(s["data"], SHOWN, self.rng, self.points)
        self.density = histogram(toy2d.sample(s["data"], 100_000, np.random.default_rng(seed + 1), self.points))
        self._static_views = {  # sent in every snapshot, computed once
            "density": {"size": GRID, "values": np.round(self.density / self.density.max(), 3).tolist()},
            "real": np.round(self.real_shown, 4).tolist(),
        }
        shown_rng = np.random.default_rng(seed + 2)
        self.noise_shown = shown_rng.standard_normal((SHOWN, s["noise_dim"])).astype(np.float32)
        self.noise_divergence = shown_rng.standard_normal((DIVERGENCE_FAKES, s["noise_dim"])).astype(np.float32)
        self.grid_points = _grid_centres(GRID)
        self.round = 0
        self.compile(reset_history=True)

    def compile(self, reset_history):
        """A GAN on the current networks with the current loss and optimizers (weights kept)."""
        s = self.settings
        self.gan = GAN(self.generator, self.discriminator, s["noise_dim"], loss=s["loss"], seed=s["seed"] + self.round)
        self.gan.compile(d_optimizer=_optimizer(s["d_optimizer"], s["d_learning_rate"]),
                         g_optimizer=_optimizer(s["g_optimizer"], s["g_learning_rate"]))
        self._round_functions = {}
        self._views = tf.function(self._compute_views)
        if reset_history:
            self.history = {key: [] for key in ("round", "d_loss", "g_loss", "d_real", "d_fake")}
            self.divergence = {key: [] for key in ("round", "kl", "js", "mmd")}
            self.mode_counts = None
            self._last_divergence = -np.inf
        self._round_times = []

    def _round_function(self, train, d_steps, g_steps):
        key = (train, d_steps, g_steps)
        if key not in self._round_functions:
            gan = self.gan

            @tf.function
            def train_round(real):
                for metric in gan.metrics:
                    metric.reset_state()
                if train != "generator":
                    for i in tf.range(d_steps):
                        gan.discriminator_step(real[i])
                if train != "discriminator":
                    for _ in tf.range(g_steps):
                        gan.generator_step(real[0])
                return {m.name: m.result() for m in gan.metrics}

            self._round_functions[key] = train_round
        return self._round_functions[key]

    def train_round(self):
        s = self.settings
        real = toy2d.sample(s["data"], s["d_steps"] * s["batch_size"], self.rng, self.points)
        real = real.reshape(s["d_steps"], s["batch_size"], 1, 1, 2)
        logs = self._round_function(s["train"], s["d_steps"], s["g_steps"])(tf.constant(real))
        self.round += 1
        self.history["round"].append(self.round)
        trained = {"d_loss": s["train"] != "generator", "d_real": s["train"] != "generator",
                   "d_fake": s["train"] != "generator", "g_loss": s["train"] != "discriminator"}
        for key, was_trained in trained.items():
            self.history[key].append(round(float(logs[key]), 5) if was_trained else None)
        if len(self.history["round"]) > HISTORY:
            self.history = {key: values[::2] for key, values in self.history.items()}
        now = time.perf_counter()
        self._round_times = [t for t in self._round_times if t > now - 1.0] + [now]

    def advance(self):
        self.train_round()
        return True

    def _compute_views(self, grid, noise_shown, noise_divergence, manifold_noise):
        """D's output on the grid, the shown fakes and each one's generator-loss gradient, the
        divergence fakes and the manifold: one traced call."""
        gan = self.gan
        grid_scores = gan.discriminator(tf.reshape(grid * 2 - 1, (-1, 1, 1, 2)), training=False)
        fakes = gan.generator(noise_shown, training=False)
        with tf.GradientTape() as tape:
            tape.watch(fakes)
            generator_loss = tf.reduce_sum(GAN_LOSSES[gan.loss_name][1](gan.discriminator(fakes, training=False)))
        # d loss / d x in the unit square is 2 d loss / d g (x = (g + 1) / 2); arrows point downhill
        gradients = -2.0 * tape.gradient(generator_loss, fakes)
        divergence_fakes = gan.generator(noise_divergence, training=False)
        manifold = self.generator_body(manifold_noise, training=False)
        return (tf.reshape(grid_scores, [-1]), tf.reshape(fakes, (-1, 2)), tf.reshape(gradients, (-1, 2)),
                tf.reshape(divergence_fakes, (-1, 2)), manifold)

    def _manifold_noise(self):
        """A grid in noise space (the first two coordinates, the rest 0), or a line when noise_dim is 1."""
        s = self.settings
        extent = 0.98 if s["noise"] == "uniform" else 2.0
        steps = np.linspace(-extent, extent, 11 if s["noise_dim"] > 1 else 41)
        if s["noise_dim"] == 1:
            return steps[:, None].astype(np.float32), (1, len(steps))
        a, b = np.meshgrid(steps, steps)
        noise = np.zeros((a.size, s["noise_dim"]), np.float32)
        noise[:, 0], noise[:, 1] = a.ravel(), b.ravel()
        return noise, a.shape

    def snapshot(self):
        s = self.settings
        manifold_noise, manifold_shape = self._manifold_noise()
        scores, fakes, gradients, divergence_fakes, manifold = (
            t.numpy() for t in self._views(self.grid_points, self.noise_shown, self.noise_divergence, manifold_noise))
        fakes01, divergence01 = (fakes + 1) / 2, (divergence_fakes + 1) / 2
        manifold01 = ((manifold + 1) / 2).reshape(manifold_shape + (2,))
        probability = s["loss"] in PROBABILITY_LOSSES
        heat = 1 / (1 + np.exp(-scores)) if probability else scores
        now = time.perf_counter()
        if now - self._last_divergence >= DIVERGENCE_EVERY or not self.divergence["round"]:
            self._estimate_divergences(divergence01)
            self._last_divergence = now
        times = self._round_times
        self.rounds_per_second = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
        modes = toy2d.modes(s["data"])
        return {
            "round": self.round,
            "rounds_per_second": round(self.rounds_per_second, 1),
            "settings": dict(s),
            "heatmap": {"size": GRID, "values": np.round(heat, 3).tolist(), "probability": probability,
                        "range": [0.0, 1.0] if probability else [round(float(heat.min()), 3), round(float(heat.max()), 3)]},
            **self._static_views,
            "fake": np.round(fakes01, 4).tolist(),
            "gradients": np.round(gradients, 5).tolist(),
            "manifold": np.round(manifold01, 4).tolist(),
            "history": _thinned(self.history),
            "divergence": _thinned(self.divergence),
            "modes": None if modes is None else {"counts": self.mode_counts, "total": DIVERGENCE_FAKES,
                                                 "covered": self.modes_covered(), "count": len(modes[0])},
        }

    def _estimate_divergences(self, fakes):
        s = self.settings
        kl, js = divergences(self.density, histogram(fakes))
        reals = toy2d.sample(s["data"], MMD_POINTS, np.random.default_rng(self.round), self.points)
        for key, value in (("round", self.round), ("kl", kl), ("js", js), ("mmd", mmd(reals, fakes[:MMD_POINTS]))):
            self.divergence[key].append(round(value, 5) if key != "round" else value)
        if len(self.divergence["round"]) > HISTORY:
            self.divergence = {key: values[::2] for key, values in self.divergence.items()}
        modes = toy2d.modes(s["data"])
        self.mode_counts = None if modes is None else mode_counts(fakes, *modes).tolist()

    def modes_covered(self):
        """Modes holding at least a fifth of their fair share of the fakes (None for data that is not a mixture)."""
        if self.mode_counts is None:
            return None
        counts = np.asarray(self.mode_counts)
        return int(np.sum(counts >= DIVERGENCE_FAKES / (5 * len(counts))))
