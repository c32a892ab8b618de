"""Load a pretrained GAN, sample with and without truncation, interpolate, check neighbours.

    python examples/sample_and_interpolate.py [--preset dcgan_fashion_mnist] [--out out/gan]

Writes samples at several truncation thresholds (lower: typical, less varied
images), a slerp and a lerp strip between the same latents, and each of 8
samples beside its 3 nearest training images (are they new, or memorized?).
The nearest-neighbour picture needs the data (`make data`).
"""

import argparse
import os

import numpy as np

import kgen
from kgen import metrics, plot
from kgen.errors import DataNotFoundError

parser = argparse.ArgumentParser()
parser.add_argument("--preset", default="dcgan_fashion_mnist")
parser.add_argument("--out", default="out/gan")
parser.add_argument("--quick", action="store_true", help="8 images per grid; nearest neighbours among 5,000 training images")
args = parser.parse_args()
count = 8 if args.quick else 32

gan = kgen.models.GAN.from_preset(args.preset)
labels = 7 if gan.labels_required else None  # a conditional GAN draws class 7 (sneakers)

for truncation in (None, 1.0, 0.5):
    images = gan.generate(count, seed=0, truncation=truncation, labels=labels)
    path = plot.image_grid(images, os.path.join(args.out, f"truncation_{truncation or 'none'}.png"), nrow=8)
    print(f"truncation {truncation}: pixel std across samples {images.std(axis=0).mean():.3f} -> {path}")

z = gan.sample_latent(2, seed=1)
for method in ("slerp", "lerp"):
    strip = gan.interpolate(z[0], z[1], steps=10, method=method, labels=labels)
    print(plot.interpolation_strip(strip, os.path.join(args.out, f"{method}.png")))

try:
    x_train, _ = kgen.datasets.load_fashion_mnist("train")
    x_train = x_train[:5000] if args.quick else x_train
except DataNotFoundError as error:
    print(f"skipping nearest neighbours: {error}")
else:
    samples = gan.generate(8, seed=2, labels=labels)
    _, distances = metrics.nearest_neighbors(samples, x_train, k=1)
    print(metrics.nearest_neighbor_grid(samples, x_train, os.path.join(args.out, "nearest.png"), k=3))
    print(f"pixel distance to the nearest training image: mean {np.mean(distances):.2f}")
