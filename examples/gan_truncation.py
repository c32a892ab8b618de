"""The truncation trade-off: sample quality against variety as latents are truncated.

    python examples/gan_truncation.py [--preset dcgan_fashion_mnist] [--out docs/images/gan_truncation.png]

BigGAN's truncation trick resamples every latent coordinate until |z_i| <= t.
Smaller t gives more typical images (the classifier is surer of each) and less
variety (the set drifts away from the data). Prints, per threshold, the Frechet
distance of 10,000 samples to the test images and the classifier score (both on
the `fashion_mnist_classifier` preset's features and probabilities), and
draws one row of samples (the same latent seeds) per threshold. A conditional
GAN samples the classes in turn, and a self-conditioned one keeps the clusters
of the untruncated latents at every threshold, so only truncation changes down
a column. Needs the data.
"""

import argparse

import numpy as np

import kgen
from kgen import metrics, plot

parser = argparse.ArgumentParser()
parser.add_argument("--preset", default="dcgan_fashion_mnist")
parser.add_argument("--thresholds", type=float, nargs="+", default=[0.0, 2.0, 1.5, 1.0, 0.7, 0.5, 0.3])
parser.add_argument("--samples", type=int, default=10000)
parser.add_argument("--out", default="out/gan_truncation.png")
parser.add_argument("--quick", action="store_true", help="500 samples, three thresholds")
args = parser.parse_args()
if args.quick:
    args.samples, args.thresholds = 500, [0.0, 1.0, 0.5]

gan = kgen.models.GAN.from_preset(args.preset)
classifier = kgen.models.Classifier.from_preset("fashion_mnist_classifier")  # features and class probabilities
x_test, _ = kgen.datasets.load_fashion_mnist("test")
untruncated = gan.sample_latent(args.samples, seed=0)
labels = None
if gan.class_prior is not None:
    labels = gan.prior_labels(untruncated)
elif gan.num_classes is not None:
    labels = np.arange(args.samples) % gan.num_classes
rows = []
print(f"{'truncation':>10} {'FD':>7} {'score':>6}  ({args.samples} samples, seed 0; 0 = none)")
for t in args.thresholds:
    truncation = t or None
    samples = gan.generate(z=gan.sample_latent(args.samples, seed=0, truncation=truncation), labels=labels)
    fd = metrics.frechet_distance(samples, x_test[: args.samples], classifier)
    score, _ = metrics.classifier_score(samples, classifier)
    print(f"{t:>10} {fd:7.2f} {score:6.2f}")
    rows.append(samples[:12])
print(plot.image_grid(np.concatenate(rows), args.out, nrow=12))
