"""Export every registered preset in every format and print what was written: the table of docs/export.md.

    python benchmarks/export_sizes.py [--presets NAME ...] [--formats saved_model tflite onnx] [--out DIR]

For each preset and format it runs `model.export` (what `kgen export` does) into a fresh folder
(a temporary one unless --out is given) and prints one markdown row: the functions written with
the size of each file (for a SavedModel, of the whole folder: saved_model.pb and the variables),
the seconds the export took, and what could not be exported, with the converter's reason.
"""

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import kgen  # noqa: E402, F401 - before TensorFlow: kgen chooses its CPU kernels (kgen.core.cpu_kernels)

# isort: split

import keras  # noqa: E402

from kgen import presets  # noqa: E402
from kgen.core.exporter import MANIFEST_FILE  # noqa: E402


def folder_bytes(folder, skip=(MANIFEST_FILE,)):
    """Bytes of every file under `folder` except the manifest."""
    return sum(os.path.getsize(os.path.join(root, file)) for root, _, files in os.walk(folder)
               for file in files if file not in skip)


def kilobytes(size):
    return f"{size / 1024:,.0f} KiB" if size < 1024**2 else f"{size / 1024**2:,.1f} MiB"


def export_row(model, name, format, folder):
    """One markdown row: preset, format, what was written (file: size), seconds, what was not and why."""
    started = time.perf_counter()
    manifest = model.export(folder, format=format)
    seconds = time.perf_counter() - started
    if format == "saved_model":
        written = f"{', '.join(manifest['functions'])} (signatures): {kilobytes(folder_bytes(folder))}"
    else:
        written = ", ".join(f"`{entry['file']}` {kilobytes(os.path.getsize(os.path.join(folder, entry['file'])))}"
                            for entry in manifest["functions"].values())
    failed = "; ".join(f"`{function}`: {reason}" for function, reason in manifest["failed"].items()) or "-"
    return f"| {name} | {format} | {written} | {seconds:.0f} | {failed} |"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=list(presets.PRESET_NAMES))
    parser.add_argument("--formats", nargs="+", default=list(presets.EXPORT_FORMATS), choices=presets.EXPORT_FORMATS)
    parser.add_argument("--out", default=None, help="keep the exports in DIR/<preset>_<format> (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kgen-export-sizes-") as scratch:
        root = args.out or scratch
        print("| preset | format | written | seconds | not exported (why) |")
        print("|---|---|---|---|---|")
        for name in args.presets:
            model = presets.load(keras.Model, name)
            for format in args.formats:
                print(export_row(model, name, format, os.path.join(root, f"{name}_{format}")), flush=True)


if __name__ == "__main__":
    main()
