"""Run a `kgen` command and SIGKILL it at a chosen point: the crash the resume tests recover from.

    python tests/crash_run.py --kill-after-batches N -- train classifier ...   # mid-epoch
    python tests/crash_run.py --kill-in-write K -- train classifier ...        # inside the K-th checkpoint write

`--kill-after-batches` kills the process (SIGKILL: no cleanup, no finally) when `fit` has
run N batches (for an agent: N chunks of environment steps) in this process.
`--kill-in-write` kills it during its K-th checkpoint write, after the new checkpoint's files
are written to their temporary folder and before it is renamed into place.
"""

import argparse
import contextlib
import os
import signal
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from kgen import cli  # noqa: E402
from kgen.callbacks import checkpoint as checkpoint_module  # noqa: E402
from kgen.callbacks import divergence  # noqa: E402
from kgen.core import files  # noqa: E402


def die():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def kill_after_batches(batches):
    # every `kgen train` run watches its batches with a DivergenceGuard: count them there
    watch = divergence.DivergenceGuard.on_train_batch_end
    seen = {"count": 0}

    def on_train_batch_end(guard, batch, logs=None):
        watch(guard, batch, logs)
        seen["count"] += 1
        if seen["count"] == batches:
            print(f"crash_run: SIGKILL after {batches} batches")
            die()

    divergence.DivergenceGuard.on_train_batch_end = on_train_batch_end
    divergence.DivergenceGuard.async_safe = False  # called in step, so the kill lands at that batch


def kill_in_write(which):
    writes = {"count": 0}

    @contextlib.contextmanager
    def atomic_directory(path):
        with files.atomic_directory(path) as tmp:
            yield tmp
            writes["count"] += 1
            if writes["count"] == which:
                print(f"crash_run: SIGKILL inside checkpoint write {which} ({tmp} written, not renamed)")
                die()

    class Files:
        def __getattr__(self, name):
            return atomic_directory if name == "atomic_directory" else getattr(files, name)

    checkpoint_module.files = Files()


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--kill-after-batches", type=int)
    parser.add_argument("--kill-in-write", type=int)
    args, command = parser.parse_known_args(argv)
    command = command[1:] if command[:1] == ["--"] else command
    if args.kill_after_batches:
        kill_after_batches(args.kill_after_batches)
    if args.kill_in_write:
        kill_in_write(args.kill_in_write)
    return cli.main(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
