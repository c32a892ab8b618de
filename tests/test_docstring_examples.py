"""The examples in every public docstring run and print what they say (issue 18).

The `Examples:` section of every public class and function of `test_docstrings.PUBLIC_MODULES`,
and those of the methods a public class defines, run with `doctest`: one test per public name,
whose failure shows doctest's report (the file and line, the example, what was expected and what
came). So that examples stay short, as a user would type them in a session that has already done

    import kgen, keras, numpy as np, tensorflow as tf

those four names are in every example's globals (and nothing else: an example imports what else
it uses). Examples run in a fresh temporary directory (files they write land there), from the
seeded Keras, numpy and Python state of conftest.py, with `ELLIPSIS` and `NORMALIZE_WHITESPACE`
on. They use tiny configs and the shipped presets in `weights/`: no dataset files and no network.
A line that cannot run here (an upload, the real Fashion-MNIST) is marked `# doctest: +SKIP`, which
the docs hide. An example that needs an optional extra which is not installed is skipped, saying so.
"""

import doctest
import inspect
import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_docstrings import public_objects

import kgen

OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
GLOBS = {"kgen": kgen, "keras": keras, "np": np, "tf": tf}
OPTIONAL = ("gymnasium", "pygame", "matplotlib", "tensorboard", "huggingface_hub", "onnx", "tf2onnx")
"""The packages of kgen's extras: an example that fails for want of one is skipped."""
MISSING = re.compile(r"MissingDependencyError: (.*)|ModuleNotFoundError: (No module named '(?:"
                     + "|".join(OPTIONAL) + r")\b.*)")


def examples(qualified, obj):
    """The doctests of `obj`'s own docstring and of the methods its class defines."""
    finder = doctest.DocTestFinder(recurse=inspect.isclass(obj), exclude_empty=True)
    module = inspect.getmodule(obj)
    return [test for test in finder.find(obj, qualified, module=module, globs=GLOBS) if test.examples]


@pytest.mark.parametrize("qualified, obj", list(public_objects()), ids=lambda value: value if isinstance(value, str) else "")
def test_docstring_example_runs(qualified, obj, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tests = examples(qualified, obj)
    assert tests, f"{qualified} has no example (a `>>>` line) in its docstring"
    report = []
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    for test in tests:
        output = []
        result = runner.run(test, out=output.append, clear_globs=True)
        if result.failed:
            report.append("".join(output))
    missing = MISSING.search("".join(report))
    if missing:
        pytest.skip(f"{qualified}'s example needs an optional dependency: {missing.group(1) or missing.group(2)}")
    assert not report, f"{qualified}: an example in its docstring fails\n" + "\n".join(report)
