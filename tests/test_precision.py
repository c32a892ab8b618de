"""compile(precision="bfloat16") for the Classifier, the VAE and the GANs: bfloat16 compute in the
hidden layers, float32 output layers, variables and losses; saved and loaded with the model."""

import warnings

import keras
import numpy as np
import pytest

from kgen.core import precision
from kgen.core.errors import KgenValueError
from kgen.core.precision import output_layers, set_precision
from kgen.models import DCGAN, VAE, Classifier, PixelCNN
from kgen.models import vae_networks as nets
from kgen.models.dcgan import dcgan_discriminator

IMAGES = np.random.default_rng(0).uniform(size=(32, 28, 28, 1)).astype("float32")
LABELS = np.arange(32) % 10


def tiny_models():
    return {
        "classifier": Classifier(filters=(4,), dense_units=8),
        "vae": VAE(nets.conv_encoder((28, 28, 1), 4, filters=(4, 8), dense_units=16), nets.conv_decoder((28, 28, 1), 4, filters=(4, 8), dense_units=16), 4),
        "dcgan": DCGAN(latent_dim=8, base_filters=8, seed=0),
        "cdcgan": DCGAN(latent_dim=8, base_filters=8, num_classes=10, seed=0),
    }


def networks(model):
    if isinstance(model, Classifier):
        return [model.feature_extractor, model.head]
    if isinstance(model, VAE):
        return [model.encoder, model.decoder]
    return [model.generator, model.discriminator]


def fit(model):
    labelled = isinstance(model, Classifier) or getattr(model, "num_classes", None)
    return model.fit(IMAGES, LABELS if labelled else None, epochs=1, batch_size=16, verbose=0).history


@pytest.mark.parametrize("name", ["classifier", "vae", "dcgan", "cdcgan"])
def test_bfloat16_computes_the_hidden_layers_in_bfloat16_and_the_outputs_in_float32(name):
    model = tiny_models()[name]
    model.compile(precision="bfloat16")
    history = fit(model)
    assert all(np.isfinite(values[0]) for values in history.values())
    for network in networks(model):
        kept = output_layers(network)
        policies = {layer.dtype_policy.name for layer in network.layers if layer not in kept
                    and not isinstance(layer, keras.layers.InputLayer)}
        assert policies == {"mixed_bfloat16"}
        assert {layer.dtype_policy.name for layer in kept} == {"float32"}
    assert all(variable.dtype == "float32" for variable in model.trainable_variables)


def test_the_outputs_of_bfloat16_networks_are_float32():
    model = tiny_models()["vae"]
    model.compile(precision="bfloat16")
    assert model.decoder(np.zeros((2, 4), "float32")).dtype == "float32"
    assert np.all(np.isfinite(model.elbo((IMAGES[:4] > 0.5).astype("float32"))))
    gan = tiny_models()["dcgan"]
    gan.compile(precision="bfloat16")
    assert gan.generate(3, seed=0).dtype == np.float32
    assert gan.discriminator(np.zeros((2, 28, 28, 1), "float32")).dtype == "float32"


def test_the_output_walk_stops_at_the_first_layer_with_weights_on_each_path():
    conditional = dcgan_discriminator(num_classes=10, base_filters=8)
    kept = {type(layer).__name__ for layer in output_layers(conditional)}
    # logits = Dense(features) + <Embedding(labels), features>: the walk crosses Add and Dot
    assert {"Add", "Dot", "Dense", "Embedding", "Flatten"} <= kept
    assert "Conv2D" not in kept


def test_float32_undoes_bfloat16():
    model = tiny_models()["dcgan"]
    model.compile(precision="bfloat16")
    model.compile(precision="float32")
    assert {layer.dtype_policy.name for network in networks(model) for layer in network.layers} == {"float32"}


def test_the_default_leaves_the_layers_policies_alone():
    model = tiny_models()["classifier"]
    set_precision(model.feature_extractor, "bfloat16")
    model.compile()
    assert model.feature_extractor.layers[0].dtype_policy.name == "mixed_bfloat16"


@pytest.mark.parametrize("name", ["classifier", "vae", "dcgan"])
def test_precision_survives_a_keras_file(name, tmp_path):
    model = tiny_models()[name]
    model.compile(precision="bfloat16")
    fit(model)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.precision == "bfloat16"
    assert [layer.dtype_policy.name for network in networks(loaded) for layer in network.layers] == \
        [layer.dtype_policy.name for network in networks(model) for layer in network.layers]


def test_an_unknown_precision_is_a_kgen_error():
    with pytest.raises(KgenValueError, match="precision must be one of"):
        tiny_models()["vae"].compile(precision="float16")


@pytest.mark.parametrize("flags, native", [({"avx2", "amx_bf16"}, True), ({"avx512_bf16"}, True), ({"avx2"}, False),
                                           (None, None)])
def test_bfloat16_is_native_reads_the_cpu_flags(monkeypatch, flags, native):
    monkeypatch.setattr(precision.tf.config, "list_physical_devices", lambda kind: [])
    monkeypatch.setattr(precision, "cpu_flags", lambda: flags)
    precision.bfloat16_is_native.cache_clear()
    try:
        assert precision.bfloat16_is_native() is native
    finally:
        precision.bfloat16_is_native.cache_clear()


@pytest.mark.parametrize("native, warned", [(False, True), (True, False), (None, False)])
def test_bfloat16_warns_where_it_is_emulated(monkeypatch, native, warned):
    monkeypatch.setattr(precision, "bfloat16_is_native", lambda: native)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        set_precision(tiny_models()["classifier"].head, "bfloat16")
        PixelCNN(image_shape=(4, 4, 1), filters=4, num_layers=1).compile(precision="bfloat16")
        set_precision(tiny_models()["classifier"].head, "float32")
    emulated = [w for w in caught if "emulated" in str(w.message)]
    assert len(emulated) == (2 if warned else 0)
    assert all(w.category is RuntimeWarning and 'pass precision="float32"' in str(w.message) for w in emulated)
