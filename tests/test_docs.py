"""The docs site builds with mkdocs --strict: no broken link, missing page or unresolved
reference, and an API page for every public module the nav lists."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_docs_site_builds_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is in the dev extra: pip install -e '.[dev]'")
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-4000:]
    assert (site / "api" / "models" / "index.html").read_text().count("kgen.models.VAE") > 0
    assert (site / "cli" / "train" / "index.html").exists()
    assert (site / "weights" / "vae_fashion_mnist" / "samples.png").exists()
