"""Train a DCGAN on Fashion-MNIST with `fit`, watching samples and the Frechet distance.

    python examples/train_dcgan.py --epochs 5 --out out/my_dcgan [--conditional | --clusters 50] [--loss hinge]

--clusters K self-conditions an unconditional GAN (Liu et al. 2020), as the
dcgan_fashion_mnist recipe does: k-means clusters of the images stand in for
labels during training, and `generate` draws cluster ids from their frequencies.

A short version of `kgen train dcgan` (the recipe behind the dcgan presets);
needs the data (`make data`).
"""

import argparse
import os

import kgen
from kgen import callbacks, datasets, plot

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--loss", default="non_saturating")
labelling = parser.add_mutually_exclusive_group()
labelling.add_argument("--conditional", action="store_true", help="condition on the 10 classes")
labelling.add_argument("--clusters", type=int, default=None, help="self-condition on K k-means clusters of the images")
parser.add_argument("--limit", type=int, default=None, help="train on the first N images (quick try)")
parser.add_argument("--out", default="out/my_dcgan")
parser.add_argument("--quick", action="store_true", help="1 epoch of 256 images, FD on 200")
args = parser.parse_args()
if args.quick:
    args.epochs, args.limit = 1, 256
fd_images = 200 if args.quick else 2000

x_train, y_train = datasets.load_fashion_mnist("train")
x_test, _ = datasets.load_fashion_mnist("test")
classifier = kgen.models.Classifier.from_preset("fashion_mnist_classifier")  # the FD's feature model
x_train, y_train = x_train[: args.limit], y_train[: args.limit]

labels, num_classes, prior = (y_train, 10, None) if args.conditional else (None, None, None)
if args.clusters:  # cluster ids replace class labels; generate() draws them from the cluster frequencies
    labels, prior = kgen.clustering.cluster_labels(x_train, args.clusters, seed=0)
    num_classes = args.clusters

gan = kgen.models.DCGAN(
    latent_dim=64,
    image_shape=(28, 28, 1),
    num_classes=num_classes,
    class_prior=prior,
    loss=args.loss,
    ema=0.999,  # generate() samples from an average of the generator's weights
)
gan.compile()  # Adam(2e-4, beta_1=0.5); the WGAN-GP paper's settings for loss="wgan-gp"
gan.fit(
    x_train,
    labels,
    epochs=args.epochs,
    batch_size=128,
    callbacks=[
        callbacks.SampleGrid(os.path.join(args.out, "epoch_{epoch:03d}.png")),  # classes cycle when conditional
        callbacks.FrechetDistance(x_test[:fd_images], classifier, num_samples=fd_images),
        callbacks.DivergenceGuard(),
    ],
)
plot.image_grid(gan.generate(64, labels=[k % 10 for k in range(64)] if args.conditional else None, seed=0),
                os.path.join(args.out, "samples.png"), nrow=8)
gan.save_to_preset(os.path.join(args.out, "preset"), command="python examples/train_dcgan.py")
print("wrote", args.out)
