"""Every public class and function of kgen's public modules has a Google-style docstring: Args:
(or Attributes: for a dataclass) when it takes arguments, Returns: (or Yields:) for a function,
and an Examples: section with `>>>` lines, which tests/test_docstring_examples.py runs.

The plural, because mkdocstrings' Google parser reads "Examples:" as code and "Example:" as an
admonition whose `>>>` lines render as nested quotes. A recipe's fields are documented by their
`hyperparameter(help=...)`, which `kgen train --help` and the model card print, so a recipe needs
no Args: of its own."""

import dataclasses
import inspect
import re

import pytest

import kgen

PUBLIC_MODULES = ("models", "rl", "recipes", "callbacks", "datasets", "presets", "metrics", "losses", "sampling",
                  "estimators", "plot", "clustering", "layers", "errors",
                  "optimizers")


def public_objects():
    for module_name in PUBLIC_MODULES:
        module = getattr(kgen, module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                yield f"kgen.{module_name}.{name}", obj


def arguments(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return []
    return [name for name, p in parameters.items() if name not in ("self", "cls")
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def documented_by_fields(obj):
    return dataclasses.is_dataclass(obj) and all("help" in field.metadata for field in dataclasses.fields(obj))


@pytest.mark.parametrize("qualified, obj", list(public_objects()), ids=lambda value: value if isinstance(value, str) else "")
def test_public_names_have_google_style_docstrings(qualified, obj):
    doc = inspect.getdoc(obj)
    assert doc, f"{qualified} has no docstring"
    if arguments(obj) and not documented_by_fields(obj):
        assert "Args:" in doc or "Attributes:" in doc, f"{qualified} documents none of its arguments {arguments(obj)}"
    if inspect.isfunction(obj):
        assert "Returns:" in doc or "Yields:" in doc, f"{qualified} does not say what it returns"
    assert re.search(r"^Examples:$", doc, re.MULTILINE) and ">>>" in doc, (
        f"{qualified} has no example: add an Examples: section (plural, so the docs render it as code) "
        "with `>>>` lines that run on a tiny config (tests/test_docstring_examples.py runs them)")


def test_every_public_module_lists_its_names():
    for module_name in PUBLIC_MODULES:
        assert getattr(getattr(kgen, module_name), "__all__", None), f"kgen.{module_name} has no __all__"
