"""TensorFlow's oneDNN CPU kernels on every x86 CPU, not only on those with AVX-512.

TensorFlow turns its oneDNN kernels on by default only where the CPU has the AVX-512
neural-network extensions (VNNI, BF16, AMX); elsewhere, an AVX2-only AMD EPYC for one, it
runs Eigen's convolutions. On such a 2-core machine oneDNN made a convolution's forward and
backward pass 1.9x faster, kgen's DCGAN `fit` 2.0x and its `generate` 2.7x
(`python benchmarks/dcgan.py` with and without TF_ENABLE_ONEDNN_OPTS=1; docs/gans.md, "Speed").

So importing kgen sets TF_ENABLE_ONEDNN_OPTS=1 on x86 unless the environment sets it (=0
keeps Eigen's kernels). TensorFlow reads it once, when it loads: imported after TensorFlow,
kgen changes nothing.
"""

import os
import platform
import sys

SETTING = "TF_ENABLE_ONEDNN_OPTS"
X86 = ("x86_64", "amd64", "i386", "i686")


def prefer_onednn():
    """Set TF_ENABLE_ONEDNN_OPTS=1 if it is unset, the CPU is x86 and TensorFlow is not loaded yet.
    Returns whether this call set it."""
    if SETTING in os.environ or "tensorflow" in sys.modules or platform.machine().lower() not in X86:
        return False
    os.environ[SETTING] = "1"
    return True
