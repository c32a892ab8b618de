"""The latent explorer page, driven over HTTP like the browser does (urllib only, no browser)."""

import base64
import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kgen.lab.latent_page import (
    MAX_UPLOAD_BYTES,
    MODELS,
    NUM_CANDIDATES,
    NUM_SLIDERS,
    STRIP_PADDING,
    LatentPage,
)
from tests.lab_client import request, running, state

EXAMPLE_IMAGES = Path(__file__).resolve().parents[1] / "examples" / "images"


@pytest.fixture(scope="module")
def lab():
    with running({"latent": LatentPage()}) as server:
        client = Client(server)
        client.ready()
        yield client


class Client:
    def __init__(self, server):
        self.server = server

    def state(self):
        return state(self.server, "latent")

    def ready(self):
        """The state once the first model is loaded and drawn."""
        deadline = time.monotonic() + 60
        while (current := self.state())["image"] is None:
            assert current["error"] is None, current["error"]
            assert time.monotonic() < deadline, "the first model never loaded"
            time.sleep(0.05)
        return current

    def post(self, payload):
        """(status, reply) of a control."""
        return request(self.server, "/api/latent/control", payload)

    def control(self, action, **params):
        """Apply a control and return the state published after it (the page does nothing else meanwhile)."""
        before = self.state()["version"]
        status, reply = self.post({"action": action, **params})
        assert status == 200, reply
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            current = self.state()
            if current["version"] > before:
                assert current["error"] is None, current["error"]
                return current
            time.sleep(0.01)
        raise AssertionError(f"no new state after {action}")


def pixels(data_url):
    """A PNG data URL as a uint8 array (h, w)."""
    header, _, payload = data_url.partition(",")
    assert header == "data:image/png;base64"
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    assert image.format == "PNG" and image.mode == "L"
    return np.asarray(image).astype(int)


def frames(strip, steps, size=28, pad=STRIP_PADDING):
    array = pixels(strip)
    assert array.shape == (size + 2 * pad, steps * size + (steps + 1) * pad)
    return [array[pad:pad + size, pad + i * (size + pad):pad + i * (size + pad) + size] for i in range(steps)]


def data_url(raw, kind="png"):
    return f"data:image/{kind};base64," + base64.b64encode(raw).decode()


def png_bytes(image, format="PNG"):
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def test_state_has_an_image_candidates_and_a_strip(lab):
    state = lab.state()
    assert state["error"] is None
    assert state["model"] == MODELS[0] and state["models"] == list(MODELS)
    assert pixels(state["image"]).shape == (28, 28)
    assert len(state["candidates"]) == NUM_CANDIDATES and len(state["sliders"]) == NUM_SLIDERS
    assert len(frames(state["strip"], state["steps"])) == state["steps"]


def test_presets_exist():
    from kgen.models import DCGAN, VAE

    assert set(MODELS) <= set(DCGAN.presets) | set(VAE.presets)


def test_a_slider_moves_the_image_and_back(lab):
    start = lab.control("model", model="dcgan_fashion_mnist")
    moved = lab.control("slider", index=0, value=2.5)
    assert moved["sliders"][0]["value"] == 2.5
    assert moved["image"] != start["image"]
    other = lab.control("slider", index=7, value=-2.0)
    assert other["image"] != moved["image"]
    back = lab.control("reset_sliders")
    assert np.abs(pixels(back["image"]) - pixels(start["image"])).max() <= 1
    new = lab.control("seed", seed=12345)
    assert new["seed"] == 12345 and new["image"] != start["image"]


def test_truncation_redraws_the_base(lab):
    lab.control("model", model="dcgan_fashion_mnist")
    untruncated = lab.control("truncation", truncation=None)
    truncated = lab.control("truncation", truncation=0.3)
    assert truncated["truncation"] == 0.3 and truncated["image"] != untruncated["image"]
    assert truncated["candidates"] != untruncated["candidates"]
    lab.control("truncation", truncation=None)


def test_the_conditional_gan_follows_the_class(lab):
    state = lab.control("model", model="cdcgan_fashion_mnist")
    assert state["conditional"] and state["cluster"] is None
    trouser = lab.control("label", label=1)
    bag = lab.control("label", label=8)
    assert bag["label"] == 8 and bag["image"] != trouser["image"]
    assert bag["candidates"] != trouser["candidates"] and bag["strip"] != trouser["strip"]
    unconditional = lab.control("model", model="dcgan_fashion_mnist")
    assert not unconditional["conditional"] and unconditional["cluster"] is not None


@pytest.mark.parametrize("model, method", zip(MODELS, ["slerp", "lerp", "slerp"], strict=True))
def test_the_strip_ends_are_the_picked_samples(lab, model, method):
    lab.control("model", model=model)
    lab.control("method", method=method)
    lab.control("pick", slot="a", index=2)
    state = lab.control("pick", slot="b", index=5)
    assert state["picks"] == {"a": 2, "b": 5} and state["method"] == method
    strip = frames(state["strip"], state["steps"])
    assert np.abs(strip[0] - pixels(state["candidates"][2])).max() <= 1
    assert np.abs(strip[-1] - pixels(state["candidates"][5])).max() <= 1
    assert np.abs(strip[0] - strip[-1]).max() > 10

    moved = lab.control("slider", index=3, value=1.5)
    state = lab.control("pick", slot="b", index="current")
    state = lab.control("steps", steps=5)
    strip = frames(state["strip"], 5)
    assert state["picks"]["b"] == "current"
    assert np.abs(strip[-1] - pixels(moved["image"])).max() <= 1
    assert np.abs(strip[0] - pixels(state["candidates"][2])).max() <= 1


def test_an_upload_is_encoded_and_reconstructed(lab):
    from kgen.models import VAE

    lab.control("model", model="dcgan_fashion_mnist")
    raw = (EXAMPLE_IMAGES / "coat.png").read_bytes()
    state = lab.control("upload", image=data_url(raw))
    assert state["model"] == "vae_fashion_mnist" and state["base"] == "upload"
    coat = np.asarray(Image.open(io.BytesIO(raw))).astype(int)
    assert np.array_equal(pixels(state["upload"]["input"]), coat)

    vae = VAE.from_preset("vae_fashion_mnist")
    x = (coat / 255.0).astype("float32")[None, ..., None]
    expected = np.round(np.asarray(vae(x))[0, ..., 0] * 255)  # the decoded posterior mean
    assert np.abs(pixels(state["reconstruction"]) - expected).max() <= 1
    assert np.abs(pixels(state["image"]) - pixels(state["reconstruction"])).max() <= 1
    stddev = vae.encode(x).stddev().numpy()[0]
    axes = [int(slider["name"][2:-1]) for slider in state["sliders"]]
    assert np.allclose([slider["scale"] for slider in state["sliders"]], stddev[axes], rtol=1e-4)

    moved = lab.control("slider", index=0, value=3.0)
    assert moved["image"] != state["image"] and moved["reconstruction"] == state["reconstruction"]
    prior = lab.control("seed", seed=3)
    assert prior["base"] == "prior" and prior["reconstruction"] == state["reconstruction"]


def test_other_pictures_are_fitted_to_28x28(lab):
    wide = Image.new("RGBA", (90, 30), (0, 0, 0, 0))
    wide.paste((255, 255, 255, 255), (35, 5, 55, 25))
    state = lab.control("upload", image=data_url(png_bytes(wide)))
    picture = pixels(state["upload"]["input"])
    assert picture.shape == (28, 28) and picture[14, 14] > 240 and picture[0, 0] < 15

    photo = Image.fromarray(np.full((40, 40, 3), 250, "uint8"))
    photo.paste((10, 10, 10), (10, 10, 30, 30))
    state = lab.control("upload", image=data_url(png_bytes(photo, "JPEG"), "jpeg"), invert=True)
    picture = pixels(state["upload"]["input"])
    assert state["upload"]["invert"] and picture[14, 14] > 200 and picture[1, 1] < 30


def _huge_png():
    return png_bytes(Image.new("L", (3000, 10)))


BAD_CONTROLS = [
    ({"action": "slider", "index": 0, "value": 3.5}, "value"),
    ({"action": "slider", "index": 0, "value": "__import__('os').system('true')"}, "value"),
    ({"action": "slider", "index": NUM_SLIDERS, "value": 0.0}, "index"),
    ({"action": "slider", "index": 0}, "control"),
    ({"action": "model", "model": "gpt"}, "model"),
    ({"action": "truncation", "truncation": 0}, "truncation"),
    ({"action": "truncation", "truncation": -1.0}, "truncation"),
    ({"action": "truncation", "truncation": "inf"}, "truncation"),
    ({"action": "truncation", "truncation": 11.0}, "truncation"),
    ({"action": "seed", "seed": -1}, "seed"),
    ({"action": "seed", "seed": 1.5}, "seed"),
    ({"action": "label", "label": 10}, "label"),
    ({"action": "pick", "slot": "c", "index": 0}, "slot"),
    ({"action": "pick", "slot": "a", "index": NUM_CANDIDATES}, "index"),
    ({"action": "method", "method": "cubic"}, "method"),
    ({"action": "steps", "steps": 1}, "steps"),
    ({"action": "steps", "steps": 1000}, "steps"),
    ({"action": "upload", "image": "data:text/plain;base64,aGVsbG8="}, "image"),
    ({"action": "upload", "image": data_url(b"hello, not a picture")}, "image"),
    ({"action": "upload", "image": "data:image/png;base64,***"}, "image"),
    ({"action": "upload", "image": data_url(b"\x89PNG" + bytes(MAX_UPLOAD_BYTES))}, "image"),
    ({"action": "upload", "image": data_url(_huge_png())}, "image"),
    ({"action": "upload", "image": 7}, "image"),
    ({"action": "upload", "image": data_url(png_bytes(Image.new("L", (28, 28)))), "invert": "yes"}, "invert"),
    ({"action": "eval", "code": "1 + 1"}, "action"),
]


@pytest.mark.parametrize("payload, argument", BAD_CONTROLS, ids=[f"{p['action']}-{a}-{i}" for i, (p, a) in enumerate(BAD_CONTROLS)])
def test_bad_controls_get_400_naming_the_argument(lab, payload, argument):
    before = lab.state()
    status, reply = lab.post(payload)
    assert status == 400, reply
    assert reply["error"].startswith(argument + " must be"), reply["error"]
    after = lab.state()
    assert after["version"] == before["version"] and after["image"] == before["image"]


def test_oversized_and_unreadable_uploads_say_why(lab):
    status, reply = lab.post({"action": "upload", "image": data_url(bytes(MAX_UPLOAD_BYTES + 10))})
    assert status == 400 and f"at most {MAX_UPLOAD_BYTES} bytes" in reply["error"]
    status, reply = lab.post({"action": "upload", "image": data_url(_huge_png())})
    assert status == 400 and "at most 2048 pixels a side; got 3000x10" in reply["error"]
    status, reply = lab.post({"action": "upload", "image": data_url(b"GIF89a...", "png")})
    assert status == 400 and "readable PNG image" in reply["error"]


def test_the_worker_answers_after_bad_controls(lab):
    state = lab.control("model", model="dcgan_fashion_mnist")
    for payload, _ in BAD_CONTROLS:
        assert lab.post(payload)[0] == 400
    moved = lab.control("slider", index=1, value=-1.0)
    assert moved["error"] is None and moved["image"] != state["image"]
