"""The `kgen` command prints none of TensorFlow's start-up lines; --verbose and KGEN_VERBOSE=1
bring them back (which shows this machine's TensorFlow does print them)."""

import os
import subprocess
import sys

import pytest

NOISE = ("absl::InitializeLog", "oneDNN", "cuda", "cuInit", "To enable the following instructions")
KGEN = os.path.join(os.path.dirname(sys.executable), "kgen")


def kgen(*argv, **env):
    """stderr of the `kgen` console script, in a user's environment (no TF_CPP_MIN_LOG_LEVEL)."""
    environment = {key: value for key, value in os.environ.items() if key not in ("TF_CPP_MIN_LOG_LEVEL", "KGEN_VERBOSE")}
    done = subprocess.run([KGEN, *argv], env={**environment, **env}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stderr


def noise(stderr):
    return [line for line in stderr.splitlines() if any(mark.lower() in line.lower() for mark in NOISE)]


@pytest.fixture(scope="module", autouse=True)
def console_script():
    if not os.path.exists(KGEN):
        pytest.skip(f"the kgen console script is not installed beside {sys.executable} (pip install -e .)")


def test_sample_prints_no_tensorflow_start_up_lines(tmp_path):
    assert noise(kgen("sample", "dcgan_fashion_mnist", "--num", "4", "--out", str(tmp_path / "grid.png"))) == []


def test_python_dash_m_kgen_is_quiet_too():
    done = subprocess.run([sys.executable, "-m", "kgen", "presets"], capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})
    assert done.returncode == 0 and "dcgan_fashion_mnist" in done.stdout
    assert noise(done.stderr) == []


def test_verbose_brings_the_lines_back():
    assert noise(kgen("--verbose", "presets"))


@pytest.mark.parametrize("argv, env, wanted", [
    (["kgen", "presets"], {}, False), (["kgen", "--verbose", "presets"], {}, True),
    (["kgen", "presets"], {"KGEN_VERBOSE": "1"}, True), (["kgen", "presets"], {"KGEN_VERBOSE": "0"}, False),
])
def test_verbose_is_the_flag_or_kgen_verbose(monkeypatch, argv, env, wanted):
    from kgen.core import quiet_start

    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.delenv("KGEN_VERBOSE", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert quiet_start.verbose() is wanted
