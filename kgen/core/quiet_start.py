"""The `kgen` command starts without TensorFlow's start-up noise.

TensorFlow's C++ side writes its start-up lines (absl's "All log messages before
absl::InitializeLog()", oneDNN's notice, the CUDA driver probes and "failed call to cuInit")
straight to file descriptor 2, before Python logging exists and whatever TF_CPP_MIN_LOG_LEVEL
says. The only way to keep them off the terminal is to point that descriptor elsewhere
while TensorFlow loads and finds its devices. This is done for the `kgen` command only
(`import kgen` in a user's program leaves their stderr alone), and not with `--verbose` or
KGEN_VERBOSE=1.
"""

import contextlib
import os
import sys


def running_as_command():
    """Whether this process is the `kgen` command (the console script or `python -m kgen`)."""
    argv = getattr(sys, "orig_argv", sys.argv)
    return os.path.basename(sys.argv[0]) == "kgen" or argv[1:3] == ["-m", "kgen"]


def verbose():
    """Whether the user asked to see TensorFlow's start-up lines."""
    return os.environ.get("KGEN_VERBOSE", "") not in ("", "0") or "--verbose" in sys.argv[1:]


@contextlib.contextmanager
def stderr_discarded():
    """File descriptor 2 points at the null device inside the block (Python's sys.stderr too)."""
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def start_tensorflow_quietly():
    """Import TensorFlow and Keras and let TensorFlow find its devices, with its C++ start-up
    lines discarded and its later INFO and WARNING lines off (TF_CPP_MIN_LOG_LEVEL=2 unless set).
    An import error is raised after stderr is back, so it is seen."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with stderr_discarded():
        import keras  # noqa: F401
        import tensorflow as tf

        tf.config.list_physical_devices()
