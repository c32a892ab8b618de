"""The package's layers (setup.cfg's import-linter contracts) hold, and the check catches a
lower layer importing a higher one."""

import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINT_IMPORTS = os.path.join(os.path.dirname(sys.executable), "lint-imports")


def lint_imports(root):
    if not os.path.exists(LINT_IMPORTS):
        pytest.skip("import-linter is not installed (it is in the dev extra: make test installs it)")
    env = {**os.environ, "PYTHONPATH": root}
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=root, env=env, capture_output=True, text=True)


def test_the_layer_contracts_hold():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize("module, upward", [
    ("kgen/ops/sampling.py", "from kgen.viz import images"),       # math reaching up into plotting
    ("kgen/models/vae.py", "from kgen import recipes"),            # a model reaching up into recipes
    ("kgen/core/seeds.py", "from kgen.metrics import embed"),      # a public re-export module, below the root
])
def test_an_upward_import_breaks_the_contract(tmp_path, module, upward):
    shutil.copytree(os.path.join(REPO, "kgen"), tmp_path / "kgen", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(REPO, "setup.cfg"), tmp_path / "setup.cfg")
    with open(tmp_path / module, "a", encoding="utf-8") as f:
        f.write(f"\n{upward}  # noqa\n")
    result = lint_imports(str(tmp_path))
    assert result.returncode != 0 and "BROKEN" in result.stdout
