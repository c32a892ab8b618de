"""Every script in examples/ runs with --quick (a budget of seconds), so none can rot unnoticed."""

import glob
import os
import re
import runpy
import sys

import pytest

from kgen import datasets
from kgen.errors import DataNotFoundError

EXAMPLES = sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "*.py")))


def needs_the_dataset(source):
    """A script that loads Fashion-MNIST without handling its absence."""
    return "load_fashion_mnist" in source and "except DataNotFoundError" not in source


def dataset_missing():
    try:
        datasets.load_fashion_mnist("test", download=False)
    except DataNotFoundError:
        return True
    return False


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_example_runs_with_quick(path, tmp_path, monkeypatch, capsys):
    source = open(path, encoding="utf-8").read()
    if "gymnasium" in source or "kgen.rl" in source or "from kgen.rl" in source:
        pytest.importorskip("gymnasium")
    if needs_the_dataset(source) and dataset_missing():
        pytest.skip("Fashion-MNIST is not installed here: run `make data` to run this example")
    default_out = re.search(r'"--out", default="([^"]*)"', source).group(1)
    out = tmp_path / ("picture.png" if default_out.endswith(".png") else "out")
    monkeypatch.setattr(sys, "argv", [path, "--quick", "--out", str(out)])
    monkeypatch.chdir(tmp_path)
    runpy.run_path(path, run_name="__main__")
    assert out.exists() and (out.is_file() or any(out.iterdir())), f"{os.path.basename(path)} wrote nothing to {out}"
