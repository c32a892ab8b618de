"""kgen.core.cpu_kernels: importing kgen asks for TensorFlow's oneDNN kernels on x86, unless the user chose."""

import os
import platform
import subprocess
import sys

import pytest

from kgen.core import cpu_kernels

ONEDNN_IN_A_NEW_PROCESS = (
    "import kgen; from tensorflow.python.util import _pywrap_util_port as port; print(port.IsMklEnabled())")


@pytest.fixture
def before_tensorflow(monkeypatch):
    monkeypatch.delenv(cpu_kernels.SETTING, raising=False)
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")


def test_it_sets_the_setting_before_tensorflow_loads(before_tensorflow):
    assert cpu_kernels.prefer_onednn() and os.environ[cpu_kernels.SETTING] == "1"


def test_it_keeps_the_users_choice(before_tensorflow, monkeypatch):
    monkeypatch.setenv(cpu_kernels.SETTING, "0")
    assert not cpu_kernels.prefer_onednn() and os.environ[cpu_kernels.SETTING] == "0"


def test_it_leaves_other_cpus_and_a_loaded_tensorflow_alone(before_tensorflow, monkeypatch):
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    assert not cpu_kernels.prefer_onednn() and cpu_kernels.SETTING not in os.environ
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.setitem(sys.modules, "tensorflow", object())
    assert not cpu_kernels.prefer_onednn() and cpu_kernels.SETTING not in os.environ


@pytest.mark.skipif(platform.machine().lower() not in cpu_kernels.X86, reason="oneDNN is asked for on x86 only")
@pytest.mark.parametrize("setting, enabled", [(None, "True"), ("0", "False")])
def test_importing_kgen_first_gives_tensorflow_the_setting(setting, enabled):
    env = {k: v for k, v in os.environ.items() if k != cpu_kernels.SETTING}
    if setting is not None:
        env[cpu_kernels.SETTING] = setting
    result = subprocess.run([sys.executable, "-c", ONEDNN_IN_A_NEW_PROCESS], env=env, capture_output=True,
                            text=True, timeout=300, check=True)
    assert result.stdout.split()[-1] == enabled
