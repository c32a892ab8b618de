"""`model.export` and `kgen export`: every preset's serving functions, loaded by runtimes kgen does
not control (tf.saved_model.load, the LiteRT interpreter, onnxruntime), give what the Keras model
gives, to 1e-4 (actions: equal).

The default suite exports one preset per cheap family (classifier, VAE, conditional GAN, DQN) and
tiny instances of the two families whose graphs take long to convert (PixelCNN, trained in
bfloat16, and a model-based agent with one CEM round) in every format (about 60 s on 2 shared
cores); `-m slow` adds the other presets, and `-o addopts=""` runs the whole preset x format matrix
(30 exports, about 3 minutes).
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen import cli, presets
from kgen.core import exporter
from kgen.errors import KgenError, KgenTypeError, KgenValueError, PresetNotFoundError
from kgen.presets.export import computes_in_float32

ort = pytest.importorskip("onnxruntime", reason="the export extra: pip install -e '.[export]'")
litert = pytest.importorskip("ai_edge_litert.interpreter", reason="the export extra: pip install -e '.[export]'")
pytest.importorskip("tf2onnx", reason="the export extra: pip install -e '.[export]'")

FORMATS = presets.EXPORT_FORMATS
PRESETS = ("cdcgan_fashion_mnist", "dcgan_fashion_mnist", "dqn_acrobot", "dqn_cartpole", "fashion_mnist_classifier",
           "mbrl_cartpole", "mbrl_pendulum", "pixelcnn_fashion_mnist", "reinforce_cartpole", "vae_fashion_mnist")
REPRESENTATIVES = ("cdcgan_fashion_mnist", "dqn_cartpole", "fashion_mnist_classifier", "vae_fashion_mnist")
"""The presets the default suite exports in every format (one per family that converts in seconds)."""
NOT_EXPORTED = {"tflite": {"act"}, "onnx": {"act"}}
"""What a model-based agent cannot export: the planner seeded in-graph (Philox) outside TensorFlow."""
ATOL = 1e-4
SEED = np.array([7, 0], np.int32)


# ----------------------------------------------------------------------------- clients


_LOADED = {}


def run_saved_model(folder, name, inputs):
    if folder not in _LOADED:
        _LOADED[folder] = tf.saved_model.load(folder)
    signature = _LOADED[folder].signatures[name]
    return {key: value.numpy() for key, value in signature(**{k: tf.constant(v) for k, v in inputs.items()}).items()}


def run_tflite(folder, name, inputs):
    interpreter = litert.Interpreter(model_path=os.path.join(folder, name + ".tflite"))
    return interpreter.get_signature_runner(name)(**inputs)


def run_onnx(folder, name, inputs):
    session = ort.InferenceSession(os.path.join(folder, name + ".onnx"), providers=["CPUExecutionProvider"])
    outputs = session.run(None, inputs)
    return dict(zip([output.name for output in session.get_outputs()], outputs))


CLIENTS = {"saved_model": run_saved_model, "tflite": run_tflite, "onnx": run_onnx}


# ----------------------------------------------------------------------------- what Keras gives


def observations(agent, n):
    low, high = agent.observation_space.low, agent.observation_space.high
    return np.clip(np.random.default_rng(3).standard_normal((n, *agent.observation_shape)), low, high).astype("float32")


_SEARCHES = {}


def planned(agent, obs):
    """The agent's search from SEED, in a TensorFlow graph (`plan` compiles it with XLA, whose
    Philox kernels draw other numbers for a seed)."""
    if id(agent) not in _SEARCHES:
        _SEARCHES[id(agent)] = tf.function(lambda o, s: agent.planner.first_actions(o, s))
    return _SEARCHES[id(agent)](tf.constant(obs), tf.constant(SEED)).numpy()


def reference(model, name):
    """(inputs, what the Keras model gives for them) for serving function `name` of `model`."""
    rng = np.random.default_rng(0)
    if name == "classify":
        x = rng.random((5, *model.image_shape), dtype="float32")
        return {"images": x}, {"logits": model(x, training=False).numpy(), "probabilities": model.predict_proba(x)}
    if name == "generate":
        z = model.sample_latent(5, seed=0)
        if model.num_classes is None:
            return {"z": z}, {"images": model.generate(z=z)}
        if model.class_prior is not None:  # what generate(z=z) draws for a self-conditioned GAN
            labels = model.prior_labels(z)
            return {"z": z, "labels": labels}, {"images": model.generate(z=z)}
        labels = (np.arange(5) % model.num_classes).astype("int32")
        return {"z": z, "labels": labels}, {"images": model.generate(z=z, labels=labels)}
    if name == "encode":
        x = rng.random((5, *model.image_shape), dtype="float32")
        q = model.encode(x)
        return {"images": x}, {"mean": q.mean().numpy(), "stddev": q.stddev().numpy()}
    if name == "decode":
        z = rng.standard_normal((5, model.latent_dim)).astype("float32")
        return {"z": z}, {"images": model.decode(z)}
    if name == "conditionals":
        x = (rng.random((3, *model.image_shape)) < 0.3).astype("float32")
        inputs = {"images": x}
        labels = None
        if model.num_classes is not None:
            labels = inputs["labels"] = (np.arange(3) % model.num_classes).astype("int32")
        logits = model.network(x, labels).numpy()
        return inputs, {"logits": logits, "probabilities": 1.0 / (1.0 + np.exp(-logits))}
    if name == "act" and isinstance(model, kgen.rl.ModelBasedAgent):
        obs = observations(model, 2)
        return {"observations": obs, "seed": SEED}, {"actions": planned(model, obs)}
    if name == "act":
        obs = observations(model, 7)
        expected = {"actions": model.predict_action(obs)}
        if isinstance(model, kgen.rl.DQNAgent):
            expected["q_values"] = model.q_values(obs)
        elif model.discrete:
            expected["logits"] = model.policy_network(obs).numpy()
        return {"observations": obs}, expected
    if name == "act_with_noise":
        obs = observations(model, 2)
        action_noise, model_noise = model.planner.search_noise(SEED, batch=2)
        return ({"observations": obs, "action_noise": action_noise, "model_noise": model_noise},
                {"actions": planned(model, obs)})
    if name == "dynamics":
        ensemble = model.ensemble if isinstance(model, kgen.rl.ModelBasedAgent) else model
        obs = observations(model, 5)
        actions = (rng.integers(ensemble.action_size, size=5).astype("int32") if ensemble.discrete
                   else rng.uniform(-1, 1, (5, ensemble.action_size)).astype("float32"))
        members = (np.arange(5) % ensemble.ensemble_size).astype("int32")
        outputs = ensemble.step(obs, actions, members, None, deterministic=True)
        return ({"observations": obs, "actions": actions, "members": members},
                dict(zip(("next_observations", "rewards", "termination"), (o.numpy() for o in outputs))))
    raise AssertionError(f"no reference for serving function {name!r}")


def check_export(model, folder, format):
    """Every function in the folder's manifest, run by the format's client, gives what Keras gives."""
    manifest = presets.read_manifest(folder)
    assert manifest["format"] == format and manifest["model"]["computed_in"] == "float32"
    assert manifest["functions"], manifest
    for name, entry in manifest["functions"].items():
        inputs, expected = reference(model, name)
        assert set(entry["inputs"]) == set(inputs)
        got = CLIENTS[format](folder, name, inputs)
        assert set(got) == set(expected) == set(entry["outputs"]), name
        for key, value in expected.items():
            value = np.asarray(value)
            assert got[key].shape == value.shape, (name, key)
            if np.issubdtype(value.dtype, np.integer):
                np.testing.assert_array_equal(got[key], value, err_msg=f"{format} {name} {key}")
            else:
                np.testing.assert_allclose(got[key], value, rtol=0, atol=ATOL, err_msg=f"{format} {name} {key}")
    return manifest


# ----------------------------------------------------------------------------- the presets

_MODELS = {}


def preset_model(name):
    if name not in _MODELS:
        _MODELS[name] = presets.load(keras.Model, name)
    return _MODELS[name]


DEFAULT_SUITE_FORMATS = [pytest.param(f, marks=(pytest.mark.slow,) if f == "tflite" else ()) for f in FORMATS]
"""The stand-ins' formats: TFLite's conversions are the slowest and the preset matrix covers them, so -m slow."""


def matrix():
    for name in PRESETS:
        for format in FORMATS:
            marks = () if name in REPRESENTATIVES else (pytest.mark.slow,)
            yield pytest.param(name, format, marks=marks, id=f"{name}-{format}")


@pytest.mark.parametrize("name, format", list(matrix()))
def test_preset_export_runs_outside_kgen_as_keras_does(name, format, tmp_path):
    model = preset_model(name)
    folder = str(tmp_path / f"{name}_{format}")
    manifest = model.export(folder, format=format)
    assert manifest == presets.read_manifest(folder)
    check_export(model, folder, format)
    expected_failures = NOT_EXPORTED.get(format, set()) if isinstance(model, kgen.rl.ModelBasedAgent) else set()
    assert set(manifest["failed"]) == expected_failures, manifest["failed"]
    for reason in manifest["failed"].values():
        assert "StatelessRandom" in reason


# ----------------------------------------------------------------------------- tiny stand-ins for the slow families


@pytest.fixture(scope="module")
def bfloat16_pixelcnn():
    model = kgen.models.PixelCNN(filters=8, num_layers=2, num_classes=3, seed=0)
    model.compile(precision="bfloat16")
    return model


@pytest.fixture(scope="module")
def small_planner_agent():
    pytest.importorskip("gymnasium", reason="the rl extra: pip install -e '.[rl]'")
    return kgen.rl.ModelBasedAgent("CartPole-v1", horizon=3, population=16, elites=4, iterations=1, ensemble_size=2,
                                   hidden_units=(8,), value_units=(8,), seed=0)


@pytest.fixture(scope="module")
def small_planner_export(small_planner_agent, tmp_path_factory):
    """format -> (the small agent's export folder, its manifest), each exported once."""
    folders = {}

    def export(format):
        if format not in folders:
            folder = str(tmp_path_factory.mktemp("mbrl") / format)
            folders[format] = folder, small_planner_agent.export(folder, format=format)
        return folders[format]

    return export


def low_precision_ops(folder, format):
    """The bfloat16 / float16 types an export's graph holds (empty when it computes in float32)."""
    found = set()
    if format == "saved_model":
        loaded = tf.saved_model.load(folder)
        for signature in loaded.signatures.values():
            graph = signature.graph.as_graph_def()
            nodes = list(graph.node) + [node for function in graph.library.function for node in function.node_def]
            for node in nodes:
                for value in node.attr.values():
                    types = [value.type, *value.list.type]
                    found |= {tf.dtypes.as_dtype(t).name for t in types if t in (tf.bfloat16.as_datatype_enum,
                                                                                  tf.float16.as_datatype_enum)}
    elif format == "tflite":
        for file in os.listdir(folder):
            if file.endswith(".tflite"):
                details = litert.Interpreter(model_path=os.path.join(folder, file)).get_tensor_details()
                found |= {d["dtype"].__name__ for d in details if d["dtype"] in (np.float16,)}
                found |= {str(d["dtype"]) for d in details if "bfloat16" in str(d["dtype"])}
    else:
        import onnx

        low = {onnx.TensorProto.BFLOAT16, onnx.TensorProto.FLOAT16}
        for file in os.listdir(folder):
            if file.endswith(".onnx"):
                graph = onnx.load(os.path.join(folder, file)).graph
                found |= {"initializer" for t in graph.initializer if t.data_type in low}
                found |= {"cast" for node in graph.node for a in node.attribute if a.name == "to" and a.i in low}
    return found


@pytest.mark.parametrize("format", DEFAULT_SUITE_FORMATS)
def test_a_pixelcnn_trained_in_bfloat16_exports_float32(bfloat16_pixelcnn, format, tmp_path):
    assert bfloat16_pixelcnn.precision == "bfloat16"
    manifest = bfloat16_pixelcnn.export(str(tmp_path / "pixelcnn"), format=format)
    assert manifest["model"]["trained_precision"] == "bfloat16"
    check_export(bfloat16_pixelcnn, str(tmp_path / "pixelcnn"), format)
    assert not low_precision_ops(str(tmp_path / "pixelcnn"), format)


@pytest.mark.parametrize("format", DEFAULT_SUITE_FORMATS)
def test_a_model_based_agent_exports_its_planner_and_its_model(small_planner_agent, small_planner_export, format):
    folder, manifest = small_planner_export(format)
    check_export(small_planner_agent, folder, format)
    assert set(manifest["failed"]) == NOT_EXPORTED.get(format, set())
    assert {"act_with_noise", "dynamics"} <= set(manifest["functions"])
    for reason in manifest["failed"].values():
        assert "StatelessRandom" in reason, reason  # the converter's words: the Philox generator's operators


def test_noise_that_is_not_the_seeds_gives_other_plans_from_the_same_graph(small_planner_agent, small_planner_export):
    folder, _ = small_planner_export("saved_model")
    obs = observations(small_planner_agent, 3)
    shapes = small_planner_agent.planner.noise_shapes(3)
    assert shapes == tuple(np.shape(a) for a in small_planner_agent.planner.search_noise(0, batch=3))
    rng = np.random.default_rng(5)
    action_noise = rng.uniform(1e-9, 1.0, shapes[0]).astype("float32")
    model_noise = rng.standard_normal(shapes[1]).astype("float32")
    got = run_saved_model(folder, "act_with_noise", {"observations": obs, "action_noise": action_noise,
                                                      "model_noise": model_noise})["actions"]
    expected = small_planner_agent.planner.first_actions(tf.constant(obs), noise=(action_noise, model_noise))
    np.testing.assert_array_equal(got, expected.numpy())
    assert got.shape == (3,) and set(got) <= {0, 1}


@pytest.mark.parametrize("format", DEFAULT_SUITE_FORMATS)
def test_a_mixed_bfloat16_model_exports_through_a_float32_twin(format, tmp_path):
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = kgen.models.Classifier(filters=(4,), dense_units=8, dropout=0.0)
    finally:
        keras.config.set_dtype_policy("float32")
    assert not computes_in_float32(model)
    float32 = kgen.models.Classifier(filters=(4,), dense_units=8, dropout=0.0)
    float32.set_weights(model.get_weights())
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype="float32")
    manifest = model.export(str(tmp_path / "mixed"), format=format)
    assert manifest["model"]["trained_dtype_policy"] == "mixed_bfloat16"
    got = CLIENTS[format](str(tmp_path / "mixed"), "classify", {"images": x})["logits"]
    np.testing.assert_allclose(got, float32(x).numpy(), rtol=0, atol=ATOL)
    assert np.abs(got - np.asarray(model(x), "float32")).max() > ATOL  # bfloat16 would not have matched
    assert not low_precision_ops(str(tmp_path / "mixed"), format)


# ----------------------------------------------------------------------------- files and bad input


def test_an_export_replaces_a_folder_only_when_asked(tiny_classifier, tmp_path):
    folder = tmp_path / "export"
    tiny_classifier.export(str(folder), format="saved_model")
    with pytest.raises(KgenValueError, match=r"path must be a new or empty folder .*overwrite=True.*; got '"):
        tiny_classifier.export(str(folder), format="onnx")
    assert (folder / "saved_model.pb").exists()
    tiny_classifier.export(str(folder), format="onnx", overwrite=True)
    assert sorted(os.listdir(folder)) == ["classify.onnx", exporter.MANIFEST_FILE]
    assert sorted(os.listdir(tmp_path)) == ["export"]  # no temporary folder left beside it
    (tmp_path / "empty").mkdir()
    tiny_classifier.export(str(tmp_path / "empty"), format="litert")  # Keras's name for TFLite
    assert sorted(os.listdir(tmp_path / "empty")) == ["classify.tflite", exporter.MANIFEST_FILE]


class _Nothing(kgen.presets.KgenModel):
    """A kgen model that declares no serving functions."""


class _Seeded(kgen.presets.KgenModel):
    """A kgen model whose one (required) serving function draws Philox numbers: TFLite cannot convert it."""

    def serving_functions(self):
        spec = tf.TensorSpec((2,), tf.int32, name="seed")
        return [presets.ServingFunction("draw", lambda seed: {"x": tf.random.stateless_normal([3], seed)}, (spec,))]


def test_bad_exports_name_the_argument_and_what_was_expected(tiny_classifier, tmp_path):
    with pytest.raises(KgenValueError, match=r"format must be one of 'saved_model', 'tflite', 'onnx'; got 'pt'"):
        tiny_classifier.export(str(tmp_path / "a"), format="pt")
    (tmp_path / "file").write_text("x")
    with pytest.raises(KgenValueError, match=r"path must be a folder to write the export into, not an existing file"):
        tiny_classifier.export(str(tmp_path / "file"))
    with pytest.raises(KgenTypeError, match=r"path must be a folder path"):
        tiny_classifier.export(None)
    with pytest.raises(KgenValueError, match=r"model must be a model with something to export .*_Nothing declares no"):
        _Nothing().export(str(tmp_path / "b"))
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_a_failed_conversion_raises_and_leaves_nothing_behind(tmp_path):
    with pytest.raises(KgenError, match=r"'draw' cannot be exported as tflite: .*StatelessRandomNormalV2"):
        _Seeded().export(str(tmp_path / "seeded"), format="tflite")
    assert os.listdir(tmp_path) == []
    manifest = _Seeded().export(str(tmp_path / "seeded"), format="saved_model")  # TensorFlow runs it
    assert manifest["functions"]["draw"]["outputs"] == {"x": {"shape": [3], "dtype": "float32"}}


# ----------------------------------------------------------------------------- the command


def test_kgen_export_writes_a_preset_that_onnxruntime_runs(capsys, tmp_path):
    out = str(tmp_path / "dqn")
    assert cli.main(["export", "dqn_cartpole", "--format", "onnx", "--out", out]) == 0
    printed = capsys.readouterr().out
    assert "dqn_cartpole (DQNAgent) exported as onnx" in printed and "act(observations) -> actions, q_values" in printed
    check_export(preset_model("dqn_cartpole"), out, "onnx")
    assert cli.main(["export", "dqn_cartpole", "--format", "onnx", "--out", out]) == 1
    assert "--overwrite" in capsys.readouterr().err


def test_kgen_export_refuses_an_unknown_preset_or_format(capsys, tmp_path):
    assert cli.main(["export", "no_such_preset", "--out", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "kgen export: error: preset must be a registered name" in err and "'no_such_preset'" in err
    with pytest.raises(SystemExit) as info:
        cli.main(["export", "dqn_cartpole", "--format", "pt", "--out", str(tmp_path / "x")])
    assert info.value.code == 2
    assert "argument --format: invalid choice: 'pt'" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "x")
    with pytest.raises(PresetNotFoundError):
        presets.resolve("no_such_preset")
