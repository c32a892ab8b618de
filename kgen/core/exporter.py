"""Serving functions written for inference outside Python: a TensorFlow SavedModel, TFLite
flatbuffers or ONNX graphs.

A serving function is a TensorFlow-traceable callable with a fixed input signature (named
`tf.TensorSpec`s, a `None` batch axis) that returns a dict of named tensors. `export_functions`
traces every function once in a `keras.export.ExportArchive` and writes one folder:

- "saved_model": the folder is a SavedModel with one signature per function (the first is also
  `serving_default`), written by `ExportArchive.write_out`;
- "tflite": `<function>.tflite` per function, each converted from a SavedModel of that function
  by `tf.lite.TFLiteConverter` with TFLite's builtin operators only (no Flex delegate needed);
- "onnx": `<function>.onnx` per function, converted by `tf2onnx.convert.from_function` at
  opset `ONNX_OPSET`.

Beside them `kgen_export.json` (`MANIFEST_FILE`) lists each function's inputs, outputs and file,
and, for functions marked optional, why a format could not convert them. The folder is written
to a temporary sibling and renamed into place, so a failed export leaves nothing behind.
"""

import contextlib
import dataclasses
import json
import logging
import os
import re
import tempfile

from kgen.core.errors import KgenError, KgenTypeError
from kgen.core.files import atomic_directory
from kgen.core.optional import require
from kgen.core.quiet_start import stderr_discarded, verbose
from kgen.core.validation import check_choice, fail

FORMATS = ("saved_model", "tflite", "onnx")
FORMAT_ALIASES = {"tf_saved_model": "saved_model", "litert": "tflite"}
"""Keras's names for two of the formats (`keras.Model.export`), accepted as well."""
MANIFEST_FILE = "kgen_export.json"
ONNX_OPSET = 17
"""The ONNX opset of the graphs: onnxruntime has run it since 1.13 (2022)."""
SUFFIXES = {"tflite": ".tflite", "onnx": ".onnx"}


class ExportError(KgenError):
    """A serving function could not be traced or converted to the asked format."""


@dataclasses.dataclass(frozen=True)
class ServingFunction:
    """One function an export writes: a signature of a SavedModel, or one .tflite / .onnx file.

    Attributes:
        name: str, the signature key and file name (a Python identifier).
        function: callable taking one tensor per entry of `input_signature` (by position) and
            returning a dict of output name to tensor; traced by TensorFlow, so TF ops only.
        input_signature: tuple of `tf.TensorSpec`, each with a `name` (the input's name in
            every format) and `None` for the batch axis.
        description: str, what it computes, for the manifest (default "").
        notes: dict of JSON-serializable facts a caller needs (e.g. a class prior), copied
            into the manifest (default {}).
        optional: bool, when a format cannot convert it the export records why in the
            manifest's "failed" and writes the other functions (default False: the export fails).

    Examples:
        >>> net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        >>> spec = tf.TensorSpec((None, 4), tf.float32, name="observations")
        >>> act = kgen.presets.ServingFunction(
        ...     "act", lambda observations: {"actions": tf.argmax(net(observations), -1)}, (spec,))
        >>> act.name, [s.name for s in act.input_signature]
        ('act', ['observations'])
    """

    name: str
    function: object
    input_signature: tuple
    description: str = ""
    notes: dict = dataclasses.field(default_factory=dict)
    optional: bool = False


def check_format(format):
    """The canonical name of an export format ("tf_saved_model" and "litert", Keras's names, included).

    Args:
        format: str, "saved_model", "tflite" or "onnx".

    Returns:
        str, one of `FORMATS`.
    """
    if isinstance(format, str) and format in FORMAT_ALIASES:
        return FORMAT_ALIASES[format]
    return check_choice("format", format, FORMATS)


def check_output_path(path, overwrite=False):
    """The absolute path of a folder an export may write: new, empty, or (with `overwrite`) an
    earlier export's folder to replace.

    Args:
        path: str or os.PathLike.
        overwrite: bool, replace a non-empty folder (default False).

    Returns:
        str, the absolute path.
    """
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        fail("path", path, "a folder path (str or os.PathLike)", KgenTypeError)
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not os.path.isdir(path):
        fail("path", path, "a folder to write the export into, not an existing file")
    if os.path.isdir(path) and os.listdir(path) and not overwrite:
        fail("path", path, "a new or empty folder (it holds files; pass overwrite=True, or --overwrite, "
             "to replace them)")
    return path


def _check_functions(functions):
    functions = list(functions)
    if not functions or not all(isinstance(f, ServingFunction) for f in functions):
        fail("functions", functions, "a non-empty list of ServingFunction", KgenTypeError)
    names = [f.name for f in functions]
    if len(set(names)) != len(names) or not all(name.isidentifier() for name in names):
        fail("functions", names, "ServingFunctions with distinct names that are Python identifiers")
    return functions


def _spec(tensor_or_spec):
    shape = getattr(tensor_or_spec, "shape", None)
    return {"shape": None if shape is None or shape.rank is None else shape.as_list(),
            "dtype": tensor_or_spec.dtype.name}


def _trace(functions):
    """An ExportArchive holding every function that traces, the traced tf.functions, and the
    optional functions that did not trace (name -> message)."""
    import keras
    import tensorflow as tf

    archive = keras.export.ExportArchive()
    traced, failed = {}, {}
    for function in functions:
        decorated = tf.function(function.function, input_signature=list(function.input_signature), autograph=False)
        try:
            decorated.get_concrete_function()
        except KgenError:
            raise
        except Exception as error:  # TensorFlow raises many kinds for a function it cannot trace
            message = f"tracing failed ({type(error).__name__}: {_first_lines(str(error))})"
            if not function.optional:
                raise ExportError(f"serving function {function.name!r}: {message}") from error
            failed[function.name] = message
            continue
        traced[function.name] = archive.add_endpoint(function.name, decorated)
    if not traced:
        raise ExportError("no serving function could be traced: " + "; ".join(f"{k}: {v}" for k, v in failed.items()))
    return archive, traced, failed


def _first_lines(text, limit=600):
    text = " ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _tflite_reason(error):
    """The converter's error, shortened to the operators TFLite's builtins lack (its MLIR dump is long)."""
    text = str(error)
    ops = sorted(set(re.findall(r"'(tf\.\w+)' op is neither a custom op nor a flex op", text)))
    if ops:
        code = re.search(r"Error code: (\w+)", text)
        return (f"TFLiteConverter: TFLite has no builtin operator for {', '.join(ops)}"
                + (f" ({code.group(1)})" if code else "") + "; they would need the Flex (select TF ops) delegate")
    return f"TFLiteConverter: {type(error).__name__}: {_first_lines(text)}"


def _write_tflite(traced, name, target, scratch):
    """Convert one traced function through a SavedModel of its own (a converter loads every
    signature of the SavedModel it reads, so one per function converts each faster)."""
    import keras
    import tensorflow as tf

    saved_model = os.path.join(scratch, name)
    archive = keras.export.ExportArchive()
    archive.add_endpoint(name, traced)
    archive.write_out(saved_model, verbose=False)
    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model, signature_keys=[name])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        with _converter_output():
            flatbuffer = converter.convert()
    except Exception as error:  # ConverterError and friends
        return _tflite_reason(error)
    with open(target, "wb") as f:
        f.write(flatbuffer)
    return None


def _converter_output():
    """Where the converters' C++ diagnostics go: nowhere, unless KGEN_VERBOSE=1 (a failure's
    message is in the exception, and the manifest, anyway)."""
    return contextlib.nullcontext() if verbose() else stderr_discarded()


class _UnsupportedOps(Exception):
    """tf2onnx found TensorFlow operators it has no conversion for (raised from its log record, so a
    conversion that cannot succeed stops before tf2onnx optimizes the rest of the graph)."""


@contextlib.contextmanager
def _tf2onnx_log():
    """tf2onnx's log records of level ERROR (what it could not convert), kept off the console;
    its "Unsupported ops" record raises `_UnsupportedOps`."""
    logger = logging.getLogger("tf2onnx")
    errors = []

    class Keep(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.ERROR:
                message = record.getMessage()
                errors.append(message)
                if message.startswith("Unsupported ops"):
                    raise _UnsupportedOps(message)

    handler, propagate, level = Keep(), logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.ERROR)
    try:
        yield errors
    finally:
        logger.removeHandler(handler)
        logger.propagate, logger.level = propagate, level


def _onnx_nodes(graph):
    for node in graph.node:
        yield node
        for attribute in node.attribute:
            for subgraph in ([attribute.g] if attribute.HasField("g") else []) + list(attribute.graphs):
                yield from _onnx_nodes(subgraph)


def _write_onnx(traced, function, target):
    tf2onnx = require("tf2onnx", "ONNX export", extra="export")
    onnx = require("onnx", "ONNX export", extra="export")
    unsupported = (f"tf2onnx {tf2onnx.__version__} has no ONNX (opset {ONNX_OPSET}) conversion for the "
                   "TensorFlow operators {}")
    with _tf2onnx_log() as log, _converter_output():
        try:
            model_proto, _ = tf2onnx.convert.from_function(traced, list(function.input_signature), opset=ONNX_OPSET)
        except _UnsupportedOps as error:
            return unsupported.format(", ".join(sorted(set(re.findall(r"'(\w+)'", str(error))))))
        except Exception as error:  # tf2onnx raises many kinds
            return f"tf2onnx: {type(error).__name__}: {_first_lines(str(error))}"
    unknown = sorted({node.op_type for node in _onnx_nodes(model_proto.graph)
                      if not onnx.defs.has(node.op_type, node.domain)})
    if unknown:
        return unsupported.format(", ".join(unknown))
    try:
        onnx.checker.check_model(model_proto, full_check=True)
    except Exception as error:  # onnx.checker.ValidationError, shape inference errors
        return f"onnx.checker: {_first_lines(str(error) or type(error).__name__)}" + (
            f" (tf2onnx: {_first_lines(' '.join(log))})" if log else "")
    onnx.save_model(model_proto, target)
    return None


def _manifest(functions, traced, format, info):
    import keras
    import tensorflow as tf

    converters = {"saved_model": f"keras {keras.__version__} ExportArchive",
                  "tflite": f"tensorflow {tf.__version__} TFLiteConverter, TFLITE_BUILTINS operators"}
    if format == "onnx":
        converters["onnx"] = f"tf2onnx {require('tf2onnx', 'ONNX export', extra='export').__version__}, " \
                             f"opset {ONNX_OPSET}"
    entries = {}
    for function in functions:
        if function.name not in traced:
            continue
        outputs = traced[function.name].get_concrete_function().structured_outputs
        entry = {"description": function.description,
                 "inputs": {spec.name: _spec(spec) for spec in function.input_signature},
                 "outputs": {key: _spec(value) for key, value in outputs.items()}}
        if function.notes:
            entry["notes"] = function.notes
        entries[function.name] = entry
    return {"format": format, "converter": converters[format], "tensorflow_version": tf.__version__,
            **(info or {}), "functions": entries, "failed": {}}


def export_functions(functions, path, format="saved_model", overwrite=False, info=None):
    """Write serving functions as a SavedModel, TFLite files or ONNX files, in one folder.

    Args:
        functions: list of `ServingFunction`.
        path: str, the folder to write (created; it must be new or empty unless `overwrite`).
        format: str, "saved_model", "tflite" or "onnx" (default "saved_model").
        overwrite: bool, replace a non-empty folder at `path` (default False).
        info: dict or None, JSON-serializable entries added to the manifest (kgen's: its version
            and "model", facts about the model).

    Returns:
        dict, the manifest also written to `path`/kgen_export.json: "functions" maps each
        function written to its "file" (or "signature"), "inputs" and "outputs" (name -> shape
        and dtype); "failed" maps each optional function a format could not convert to the reason.

    Raises:
        ExportError: a function that is not optional could not be traced or converted.
    """
    format = check_format(format)
    path = check_output_path(path, overwrite)
    functions = _check_functions(functions)
    if format == "onnx":  # before any tracing, so a missing package fails fast
        require("tf2onnx", "ONNX export", extra="export")
        require("onnx", "ONNX export", extra="export")
    archive, traced, failed = _trace(functions)
    manifest = _manifest(functions, traced, format, info)
    with atomic_directory(path) as folder:
        if format == "saved_model":
            archive.write_out(folder, verbose=False)
            for name in traced:
                manifest["functions"][name]["signature"] = name
            manifest["serving_default"] = next(iter(traced))
        else:
            with tempfile.TemporaryDirectory(prefix="kgen-export-") as scratch:
                for function in functions:
                    if function.name not in traced:
                        continue
                    file = function.name + SUFFIXES[format]
                    target = os.path.join(folder, file)
                    reason = (_write_tflite(traced[function.name], function.name, target, scratch) if format == "tflite"
                              else _write_onnx(traced[function.name], function, target))
                    if reason is None:
                        manifest["functions"][function.name]["file"] = file
                        continue
                    if not function.optional:
                        raise ExportError(f"serving function {function.name!r} cannot be exported as {format}: {reason}")
                    failed[function.name] = reason
                    del manifest["functions"][function.name]
        manifest["failed"] = failed
        with open(os.path.join(folder, MANIFEST_FILE), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
    return manifest


def read_manifest(path):
    """The manifest of an export folder written by `export_functions`.

    Args:
        path: str, the export folder.

    Returns:
        dict, as `export_functions` returned it.

    Examples:
        >>> _ = kgen.models.Classifier(filters=(4,), dense_units=8).export("exported", format="saved_model")
        >>> manifest = kgen.presets.read_manifest("exported")
        >>> manifest["format"], sorted(manifest["functions"]), manifest["failed"]
        ('saved_model', ['classify'], {})
    """
    file = os.path.join(os.fspath(path), MANIFEST_FILE)
    if not os.path.isfile(file):
        fail("path", path, f"an export folder (with {MANIFEST_FILE})")
    with open(file, encoding="utf-8") as f:
        return json.load(f)
