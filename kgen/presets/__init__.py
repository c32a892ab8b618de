"""Pretrained presets: the registry, loading and saving, model cards, and `hf://` handles.

`kgen.presets` is the public face of this package; its modules are `registry`
(which presets exist, read from their metadata), `io` (a preset folder on disk),
`card` (the model card), `hub` (the Hugging Face Hub), `loading` (handles),
`model` (`KgenModel`, the base of every kgen model) and `export` (`model.export`: SavedModel,
TFLite or ONNX files, with `ServingFunction` and the exporter from `kgen.core.exporter`).
"""

from kgen.core.exporter import FORMATS as EXPORT_FORMATS
from kgen.core.exporter import ServingFunction, read_manifest
from kgen.presets.card import WEIGHTS_FILE
from kgen.presets.hub import upload_preset
from kgen.presets.io import (
    CARD_FILE,
    CONFIG_FILE,
    PROBE_ATOL,
    check_probe,
    read_metadata,
    rewrite_card,
    save,
    verify_weights,
)
from kgen.presets.loading import load, resolve
from kgen.presets.model import KgenModel, PresetMixin
from kgen.presets.registry import (
    HF_OWNER,
    HF_PREFIX,
    METADATA_FILE,
    PRESET_NAMES,
    REGISTRY,
    WEIGHTS_DIR,
    PresetInfo,
    list_presets,
)

__all__ = [
    "CARD_FILE",
    "CONFIG_FILE",
    "EXPORT_FORMATS",
    "HF_OWNER",
    "HF_PREFIX",
    "METADATA_FILE",
    "PRESET_NAMES",
    "PROBE_ATOL",
    "REGISTRY",
    "WEIGHTS_DIR",
    "WEIGHTS_FILE",
    "KgenModel",
    "PresetInfo",
    "PresetMixin",
    "ServingFunction",
    "check_probe",
    "list_presets",
    "load",
    "read_manifest",
    "read_metadata",
    "resolve",
    "rewrite_card",
    "save",
    "upload_preset",
    "verify_weights",
]
