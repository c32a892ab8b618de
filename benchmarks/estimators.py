"""Time kgen's gradient-estimator variance study against the lecture's NumPy loop.

Both run in this process on this machine: kgen.estimators.variance_study (5 sizes x
100 repetitions x 3 estimators, one compiled tf.function, the repetitions a batch)
and the lecture's double Python loop over sizes and repetitions (score function and
pathwise only, as on the slide). Prints both times and their ratio.

Run:
    .venv/bin/python benchmarks/estimators.py [--theta 2] [--reps 100] [--repeat 3]
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from kgen import estimators  # noqa: E402

SIZES = (10, 100, 1000, 10000, 100000)


def lecture_loop(theta=2.0, reps=100, sizes=SIZES):
    """The lecture's code, verbatim apart from print statements (Python 3)."""
    Ns = list(sizes)
    grad1 = lambda x: np.sum(np.square(x) * (x - theta)) / x.size  # noqa: E731
    grad2 = lambda eps: np.sum(2 * (theta + eps)) / x.size  # noqa: E731
    means1 = np.zeros(len(Ns))
    vars1 = np.zeros(len(Ns))
    means2 = np.zeros(len(Ns))
    vars2 = np.zeros(len(Ns))
    est1 = np.zeros(reps)
    est2 = np.zeros(reps)
    for i, N in enumerate(Ns):
        for r in range(reps):
            x = np.random.randn(N) + theta
            est1[r] = grad1(x)
            eps = np.random.randn(N)
            est2[r] = grad2(eps)
        means1[i] = np.mean(est1)
        means2[i] = np.mean(est2)
        vars1[i] = np.var(est1)
        vars2[i] = np.var(est2)
    return means1, means2, vars1, vars2


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theta", type=float, default=2.0)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="warm runs to time (best of)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    study = estimators.variance_study(theta=args.theta, reps=args.reps, seed=0)
    cold = time.perf_counter() - start  # includes tracing the tf.function
    warm = []
    for seed in range(1, args.repeat + 1):
        start = time.perf_counter()
        estimators.variance_study(theta=args.theta, reps=args.reps, seed=seed)
        warm.append(time.perf_counter() - start)

    np.random.seed(0)
    loop = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        lecture_loop(args.theta, args.reps)
        loop.append(time.perf_counter() - start)

    print(estimators.format_variance_table(study))
    print()
    print(f"cores available: {len(os.sched_getaffinity(0))}")
    print(f"kgen variance_study, first call (incl. tracing): {cold:7.3f} s  (3 estimators)")
    print(f"kgen variance_study, warm (best of {args.repeat}):         {min(warm):7.3f} s  "
          "(3 estimators)")
    print(f"lecture NumPy double loop (best of {args.repeat}):       {min(loop):7.3f} s  "
          "(2 estimators)")
    print(f"ratio numpy loop / kgen first call: {min(loop) / cold:6.2f}x")
    print(f"ratio numpy loop / kgen warm:       {min(loop) / min(warm):6.2f}x")


if __name__ == "__main__":
    main()
