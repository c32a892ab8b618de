"""Peak resident memory of the VAE preset's IWAE log-likelihood with many samples.

    python benchmarks/vae_memory.py [--num-samples 5000] [--limit 10000]

Scores the binarized test split (as the model card does) with k importance
samples per image and prints the NLL, the time taken and the process's peak
resident set size. `log_likelihood` works in chunks of about 2,000 decoder
passes, so the peak does not grow with k or with the number of images.
"""

import argparse
import os
import resource
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from kgen import datasets  # noqa: E402
from kgen.models import VAE  # noqa: E402


def peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # Linux: KiB


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="vae_fashion_mnist")
    parser.add_argument("--num-samples", type=int, default=5000)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    vae = VAE.from_preset(args.preset)
    x = datasets.binarize(datasets.load_fashion_mnist("test")[0][: args.limit], seed=0)
    before = peak_rss_gb()
    start = time.perf_counter()
    log_likelihood = vae.log_likelihood(x, num_samples=args.num_samples)
    minutes = (time.perf_counter() - start) / 60
    sem = log_likelihood.std(ddof=1) / len(x) ** 0.5
    print(f"{len(x)} binarized test images, k={args.num_samples}: NLL {-log_likelihood.mean():.2f} "
          f"(sem {sem:.2f}) nats in {minutes:.1f} min")
    print(f"peak resident memory: {peak_rss_gb():.2f} GB (after loading model and data: {before:.2f} GB)")


if __name__ == "__main__":
    main()
