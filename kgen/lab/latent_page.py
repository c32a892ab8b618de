"""The latent explorer: the pretrained Fashion-MNIST GANs and VAE under latent sliders, a
truncation slider, a class selector, interpolation between two picked samples and, for the VAE,
an uploaded image's posterior.

Every control is validated in the HTTP thread (a bad one is a 400 naming the argument); the
worker thread owns the models, loads each on first use and re-renders only what a control
changed, so the page has no `advance()` work.
"""

import base64
import binascii
import io
import time

import numpy as np

from kgen.core import seeds
from kgen.core.errors import KgenTypeError, KgenValueError
from kgen.core.validation import check_choice, check_int, check_number, fail
from kgen.datasets import FASHION_MNIST_LABELS
from kgen.lab.page import LabPage
from kgen.viz.images import png_bytes, tile

MODELS = ("dcgan_fashion_mnist", "cdcgan_fashion_mnist", "vae_fashion_mnist")
"""The presets the page explores (DCGAN presets, then the VAE's)."""
VAE_MODEL = "vae_fashion_mnist"
NUM_SLIDERS = 8
SLIDER_LIMIT = 3.0
"""Sliders run over [-SLIDER_LIMIT, SLIDER_LIMIT] standard deviations (of the prior, or of the posterior)."""
NUM_CANDIDATES = 8
MAX_STEPS = 16
MAX_TRUNCATION = 10.0
"""Beyond about 5 standard deviations truncation changes nothing; the bound keeps the input sane."""
MAX_UPLOAD_BYTES = 256 * 1024
MAX_UPLOAD_SIDE = 2048
"""Uploads are checked for size before Pillow decodes them (a small PNG can hold a huge image)."""
IMAGE_SIZE = (28, 28)
STRIP_PADDING = 1
"""White pixels between (and around) the frames of the interpolation strip."""
DIRECTION_SEED = 0
DATA_URL_TYPES = {"data:image/png;base64": "PNG", "data:image/jpeg;base64": "JPEG"}


def png_data_url(images, nrow=None, padding=0):
    """Images in [0, 1] tiled into one PNG, as a `data:image/png;base64,...` URL.

    Args:
        images: float array (n, h, w, c) in [0, 1], c in {1, 3}.
        nrow: int or None, images per row (default: all n in one row).
        padding: int, white pixels between and around the images (default 0).
    """
    png = png_bytes(tile(images, nrow=nrow or len(images), padding=padding))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def read_image_data_url(value, name="image", invert=False, size=IMAGE_SIZE):
    """A PNG or JPEG data URL as one greyscale image in [0, 1], fitted to `size`.

    The data is decoded by Pillow (only its PNG and JPEG readers), transparent pixels
    become black (Fashion-MNIST's background), the picture is converted to greyscale,
    optionally inverted (for dark-on-light pictures), padded to the target's aspect with
    the median colour of its border and resized with a Lanczos filter. A picture that is
    already `size` keeps its pixels exactly.

    Args:
        value: str, "data:image/png;base64,..." or "data:image/jpeg;base64,...".
        name: str, the argument named in error messages (default "image").
        invert: bool, replace v by 1 - v (default False).
        size: (width, height) of the result (default (28, 28)).

    Returns:
        numpy float32 (height, width, 1) in [0, 1].

    Raises:
        KgenTypeError: `value` is not a string.
        KgenValueError: not a PNG/JPEG data URL, larger than MAX_UPLOAD_BYTES or
            MAX_UPLOAD_SIDE pixels a side, or not readable as an image.

    Examples:
        >>> x = read_image_data_url("data:image/png;base64," + base64.b64encode(png).decode())
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    expected = 'a PNG or JPEG data URL ("data:image/png;base64,..." or "data:image/jpeg;base64,...")'
    if not isinstance(value, str):
        fail(name, value, expected, KgenTypeError)
    header, comma, payload = value.partition(",")
    if not comma or header.lower() not in DATA_URL_TYPES:
        fail(name, value, expected)
    # base64 holds 3 bytes in 4 characters: refuse oversized data before decoding it
    if len(payload) > 4 * (MAX_UPLOAD_BYTES // 3 + 1) + 4:
        raise KgenValueError(
            f"{name} must be an image file of at most {MAX_UPLOAD_BYTES} bytes; "
            f"got about {len(payload) * 3 // 4} bytes."
        )
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        fail(name, value, expected + " whose data is valid base64")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise KgenValueError(f"{name} must be an image file of at most {MAX_UPLOAD_BYTES} bytes; got {len(raw)} bytes.")
    declared = DATA_URL_TYPES[header.lower()]
    try:
        image = Image.open(io.BytesIO(raw), formats=["PNG", "JPEG"])
        width, height = image.size
        if max(width, height) > MAX_UPLOAD_SIDE:
            raise KgenValueError(
                f"{name} must be an image of at most {MAX_UPLOAD_SIDE} pixels a side; got {width}x{height}."
            )
        image.load()
    except KgenValueError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        why = "" if isinstance(error, UnidentifiedImageError) else f" ({error})"  # its text is only an object address
        raise KgenValueError(
            f"{name} must be a readable {declared} image (the data URL says image/{declared.lower()}); "
            f"got {len(raw)} bytes Pillow cannot read as PNG or JPEG{why}."
        ) from None
    if image.mode.startswith("I;16"):
        image = Image.fromarray((np.asarray(image, dtype="uint16") >> 8).astype("uint8"))
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)
    grey = image.convert("L")
    if invert:
        grey = ImageOps.invert(grey)
    pixels = np.asarray(grey)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    fitted = ImageOps.pad(grey, tuple(size), method=Image.Resampling.LANCZOS, color=int(np.median(border)))
    return (np.asarray(fitted, dtype="float32") / 255.0)[..., None]


# ---------------------------------------------------------------------- the models, as the page sees them


class _GANView:
    """A pretrained (conditional or self-conditioned) GAN: latents, their labels and images.

    The sliders move z along NUM_SLIDERS orthonormal directions drawn once from a fixed
    seed (QR of a Gaussian matrix), in units of the prior's standard deviation. Under the
    isotropic prior no coordinate axis is privileged (the generator's first layer mixes
    them all), and truncation bounds each coordinate separately: a direction spread over
    all coordinates moves each by about 1/sqrt(latent_dim) of the slider, where a
    coordinate axis would push one coordinate straight out of the truncation box.
    """

    kind = "gan"

    def __init__(self, gan):
        self.model = gan
        self.latent_dim = gan.latent_dim
        basis, _ = np.linalg.qr(np.random.default_rng(DIRECTION_SEED).standard_normal((gan.latent_dim, NUM_SLIDERS)))
        self.directions = basis.T.astype("float32")
        self.axis_names = [f"direction {i + 1}" for i in range(NUM_SLIDERS)]
        self.conditional = gan.labels_required
        self.self_conditioned = gan.class_prior is not None
        if self.conditional and gan.num_classes != len(FASHION_MNIST_LABELS):
            raise KgenValueError(f"the latent page's class selector has the {len(FASHION_MNIST_LABELS)} Fashion-MNIST "
                                 f"classes; this conditional GAN has {gan.num_classes}.")

    def latents(self, n, seed, truncation):
        return self.model.sample_latent(n, seed=seed, truncation=truncation)

    def tags(self, z):
        """The cluster ids a self-conditioned GAN draws for z, which the page then keeps fixed
        while z moves (the hashed prior label would change at every slider step); else Nones."""
        if not self.self_conditioned:
            return [None] * len(z)
        return [int(tag) for tag in self.model.prior_labels(z)]

    def _labels(self, tags, label):
        if self.conditional:
            return label
        return list(tags) if self.self_conditioned else None

    def images(self, z, tags, label):
        return self.model.generate(z=z, labels=self._labels(tags, label))

    def path(self, z0, z1, tags, label, steps, method):
        """The strip from z0 to z1; a self-conditioned GAN switches from z0's cluster to z1's
        halfway (clusters are discrete), so both ends are the picked images."""
        labels = self._labels(tags, label)
        if self.self_conditioned:
            labels = [tags[0]] * (steps // 2) + [tags[1]] * (steps - steps // 2)
        return self.model.interpolate(z0, z1, steps=steps, method=method, labels=labels)


class _VAEView:
    """A pretrained VAE: prior latents, decoded means and interpolation paths.

    The sliders move along NUM_SLIDERS coordinate axes of z (the axes of its diagonal
    posterior), in units of the posterior's standard deviation on that axis around an
    encoded image's mean, or of the prior's for a sampled base. Of the latent_dim axes,
    the page shows the ones along which the decoded image changes most (mean absolute
    pixel change for a +-2 move from four fixed prior samples), in that order: axes the KL
    term has switched off barely move the image, and a slider on them would look broken.
    """

    kind = "vae"
    conditional = False
    self_conditioned = False

    def __init__(self, vae):
        self.model = vae
        self.latent_dim = d = vae.latent_dim
        if tuple(vae.image_shape) != (*IMAGE_SIZE[::-1], 1):
            raise KgenValueError(f"the latent page encodes {IMAGE_SIZE[0]}x{IMAGE_SIZE[1]} greyscale images; "
                                 f"this VAE's images are {vae.image_shape}.")
        base = vae.sample_latent(4, seed=DIRECTION_SEED)
        eye = np.eye(d, dtype="float32")
        moved = base[:, None, None, :] + np.array([-2.0, 2.0], "float32")[None, :, None, None] * eye
        decoded = vae.decode(moved.reshape(-1, d)).reshape(4, 2, d, -1)
        change = np.abs(decoded[:, 1] - decoded[:, 0]).mean(axis=(0, 2))
        self.axes = [int(i) for i in np.argsort(-change, kind="stable")[:NUM_SLIDERS]]
        self.directions = eye[self.axes]
        self.axis_names = [f"z[{axis}]" for axis in self.axes]

    def latents(self, n, seed, truncation):
        return self.model.sample_latent(n, seed=seed)

    def tags(self, z):
        return [None] * len(z)

    def images(self, z, tags, label):
        return self.model.decode(z)

    def path(self, z0, z1, tags, label, steps, method):
        return self.model.interpolate_latent(z0, z1, steps=steps, method=method)


def _load(name):
    from kgen import models

    if name == VAE_MODEL:
        return _VAEView(models.VAE.from_preset(name))
    return _GANView(models.DCGAN.from_preset(name))


# ---------------------------------------------------------------------- the page


class LatentPage(LabPage):
    """The latent explorer page: pretrained models explored through their latent space.

    Controls (each a JSON post {"action": ..., ...}; every parameter is validated and a bad
    one is a 400 whose message names it):
        model {model}: one of MODELS; loads it on first use (then cached), resets the sliders
            and the picks, and drops an uploaded image.
        seed {seed}: int in [0, 2**31 - 1]; the base latent drawn from the prior (truncated
            for the GANs) and resets the sliders.
        slider {index, value}: index in [0, 8), value in [-3, 3] standard deviations.
        reset_sliders {}: every slider back to 0.
        truncation {truncation}: float in (0, 10] or null (no truncation); redraws the base and
            the candidates of the GANs (the VAE's prior sampler has no truncation).
        label {label}: int in [0, 10), the Fashion-MNIST class of the conditional GAN.
        candidates {seed}: the seed of the row of NUM_CANDIDATES samples to interpolate between.
        pick {slot, index}: slot "a" or "b"; index a candidate in [0, 8), or "current" for the
            current image (its latent as it is now).
        method {method}: "slerp" or "lerp"; steps {steps}: int in [2, 16], frames of the strip.
        upload {image, invert=False}: a PNG or JPEG data URL (at most MAX_UPLOAD_BYTES);
            selects the VAE, encodes the image (greyscale, fitted to 28x28, optionally
            inverted) and makes its posterior the sliders' base.

    The state holds every control's value, the current image, the candidates, the strip
    and the upload's input and reconstruction as PNG data URLs.

    Args:
        model: str, the preset shown first (default "dcgan_fashion_mnist").

    Examples:
        >>> server = kgen.lab.server.LabServer({"latent": LatentPage()}, port=0)
    """

    name = "latent"
    actions = {
        "model": "_on_model",
        "seed": "_on_seed",
        "slider": "_on_slider",
        "reset_sliders": "_on_reset_sliders",
        "truncation": "_on_truncation",
        "label": "_on_label",
        "candidates": "_on_candidates",
        "pick": "_on_pick",
        "method": "_on_method",
        "steps": "_on_steps",
        "upload": "_on_upload",
    }

    def __init__(self, model=MODELS[0]):
        super().__init__()
        self.model_name = check_choice("model", model, MODELS)
        self.view = None
        self._views = {}
        self.seed = 0
        self.truncation = None
        self.label = 0
        self.offsets = np.zeros(NUM_SLIDERS, "float32")
        self.candidate_seed = 1
        self.picks = {"a": 0, "b": 1}
        self.method = "slerp"
        self.steps = 8
        self.upload_state = None
        self.loading = None
        self._base = self._base_tag = self._scales = self._current = None
        self._candidates = self._candidate_tags = None
        self._image = self._strip = None
        self._candidate_images = []
        self._render_seconds = 0.0

    # ------------------------------------------------------------------ controls: validated in the HTTP
    # thread, each returns the function the worker applies

    def _on_model(self, model):
        model = check_choice("model", model, MODELS)
        return lambda: self._use_model(model)

    def _on_seed(self, seed):
        seed = check_int("seed", seed, minimum=0, maximum=seeds.MAX_SEED)

        def apply():
            self.seed = seed
            self._new_base()
            self._render(image=True)

        return apply

    def _on_slider(self, index, value):
        index = check_int("index", index, minimum=0, maximum=NUM_SLIDERS - 1)
        value = check_number("value", value, minimum=-SLIDER_LIMIT, maximum=SLIDER_LIMIT)

        def apply():
            self.offsets[index] = value
            self._render(image=True)

        return apply

    def _on_reset_sliders(self):
        def apply():
            self.offsets[:] = 0.0
            self._render(image=True)

        return apply

    def _on_truncation(self, truncation):
        if truncation is not None:
            if isinstance(truncation, bool) or not isinstance(truncation, (int, float)) \
                    or not 0.0 < truncation <= MAX_TRUNCATION:  # NaN (which JSON may carry) fails too
                fail("truncation", truncation, f"a number in (0, {MAX_TRUNCATION:g}] or null (no truncation)")
            truncation = float(truncation)

        def apply():
            self.truncation = truncation
            if self._view().kind == "gan":
                self._new_base(keep_sliders=True)
                self._new_candidates()
                self._render(image=True, candidates=True, strip=True)

        return apply

    def _on_label(self, label):
        label = check_int("label", label, minimum=0, maximum=len(FASHION_MNIST_LABELS) - 1)

        def apply():
            self.label = label
            if self._view().conditional:
                self._render(image=True, candidates=True, strip=True)

        return apply

    def _on_candidates(self, seed):
        seed = check_int("seed", seed, minimum=0, maximum=seeds.MAX_SEED)

        def apply():
            self.candidate_seed = seed
            self._new_candidates()
            self._render(candidates=True, strip=True)

        return apply

    def _on_pick(self, slot, index):
        slot = check_choice("slot", slot, ("a", "b"))
        if index != "current" and (isinstance(index, bool) or not isinstance(index, int)
                                   or not 0 <= index < NUM_CANDIDATES):
            fail("index", index, f'a candidate in [0, {NUM_CANDIDATES - 1}] or "current"')

        def apply():
            self._view()
            # "current" freezes the latent as it is now; a candidate index follows the row
            self.picks[slot] = index if index != "current" else ("current", self._current.copy(), self._base_tag)
            self._render(strip=True)

        return apply

    def _on_method(self, method):
        method = check_choice("method", method, ("slerp", "lerp"))

        def apply():
            self.method = method
            self._render(strip=True)

        return apply

    def _on_steps(self, steps):
        steps = check_int("steps", steps, minimum=2, maximum=MAX_STEPS)

        def apply():
            self.steps = steps
            self._render(strip=True)

        return apply

    def _on_upload(self, image, invert=False):
        if not isinstance(invert, bool):
            fail("invert", invert, "true or false", KgenTypeError)
        x = read_image_data_url(image, "image", invert=invert)

        def apply():
            if self.model_name != VAE_MODEL or self.view is None:
                self._use_model(VAE_MODEL)
            vae = self._view().model
            posterior = vae.encode(x[None])
            mean = np.asarray(posterior.mean(), "float32")[0]
            stddev = np.asarray(posterior.stddev(), "float32")[0]
            self._base, self._base_tag = mean, None
            self._scales = stddev[self._view().axes]
            self.offsets[:] = 0.0
            self._render(image=True)  # at the posterior mean: the reconstruction
            self.upload_state = {
                "input": png_data_url(x[None]),
                "reconstruction": self._image,
                "invert": invert,
                "base": True,
            }

        return apply

    # ------------------------------------------------------------------ worker thread

    def setup(self):
        self.loading = self.model_name
        self.publish()  # a first state at once: loading and compiling the first model takes seconds
        try:
            self._use_model(self.model_name)
        except Exception as error:  # shown on the page; choosing a model tries again
            self.error = f"{type(error).__name__}: {error}"

    def _view(self):
        if self.view is None:
            raise KgenValueError(f"the model {self.model_name!r} is not loaded; choose a model to load it.")
        return self.view

    def _use_model(self, name):
        if name not in self._views:
            self.loading = name
            try:
                self._views[name] = _load(name)
            finally:
                self.loading = None
        self.model_name, self.view = name, self._views[name]
        self.upload_state = None
        self.picks = {"a": 0, "b": 1}
        self._new_base()
        self._new_candidates()
        self._render(image=True, candidates=True, strip=True)

    def _new_base(self, keep_sliders=False):
        """The base latent from the seed (a prior draw; truncated for the GANs); sliders in prior units."""
        view = self._view()
        self._base = view.latents(1, self.seed, self.truncation)[0]
        self._base_tag = view.tags(self._base[None])[0]
        self._scales = np.ones(NUM_SLIDERS, "float32")
        if self.upload_state is not None:  # the upload stays on show, no longer the base
            self.upload_state["base"] = False
        if not keep_sliders:
            self.offsets[:] = 0.0

    def _new_candidates(self):
        view = self._view()
        self._candidates = view.latents(NUM_CANDIDATES, self.candidate_seed, self.truncation)
        self._candidate_tags = view.tags(self._candidates)

    def _pick_latent(self, slot):
        pick = self.picks[slot]
        if isinstance(pick, tuple):
            return pick[1], pick[2]
        return self._candidates[pick], self._candidate_tags[pick]

    def _render(self, image=False, candidates=False, strip=False):
        view = self._view()
        start = time.perf_counter()
        if image:
            self._current = self._base + (self.offsets * self._scales) @ view.directions
            self._image = png_data_url(view.images(self._current[None], [self._base_tag], self.label))
        if candidates:
            pictures = view.images(self._candidates, self._candidate_tags, self.label)
            self._candidate_images = [png_data_url(picture[None]) for picture in pictures]
        if strip:
            (z0, tag0), (z1, tag1) = self._pick_latent("a"), self._pick_latent("b")
            path = view.path(z0, z1, [tag0, tag1], self.label, self.steps, self.method)
            self._strip = png_data_url(path, padding=STRIP_PADDING)
        self._render_seconds = time.perf_counter() - start

    def snapshot(self):
        view = self.view
        upload = self.upload_state
        return {
            "model": self.model_name,
            "loading": self.loading,
            "models": list(MODELS),
            "kind": None if view is None else view.kind,
            "conditional": bool(view is not None and view.conditional),
            "classes": list(FASHION_MNIST_LABELS),
            "label": self.label,
            "cluster": None if view is None or not view.self_conditioned else self._base_tag,
            "clusters": None if view is None or not view.self_conditioned else view.model.num_classes,
            "latent_dim": None if view is None else view.latent_dim,
            "seed": self.seed,
            "truncation": self.truncation,
            "base": "upload" if upload is not None and upload["base"] else "prior",
            "sliders": [
                {"name": name, "value": float(value), "scale": float(scale)}
                for name, value, scale in zip(
                    view.axis_names if view else [""] * NUM_SLIDERS,
                    self.offsets,
                    self._scales if self._scales is not None else np.ones(NUM_SLIDERS),
                    strict=True,
                )
            ],
            "slider_limit": SLIDER_LIMIT,
            "image": self._image,
            "candidate_seed": self.candidate_seed,
            "candidates": list(self._candidate_images),
            "picks": {slot: pick if isinstance(pick, int) else "current" for slot, pick in self.picks.items()},
            "method": self.method,
            "steps": self.steps,
            "strip": self._strip,
            "strip_padding": STRIP_PADDING,
            "upload": None if upload is None else {"input": upload["input"], "invert": upload["invert"]},
            "reconstruction": None if upload is None else upload["reconstruction"],
            "render_ms": round(1000.0 * self._render_seconds, 1),
        }
