"""Train a VAE on Fashion-MNIST with `fit`, score it, and draw samples and an interpolation.

    python examples/train_vae.py --epochs 5 --out out/my_vae

A short version of `kgen train vae` (the recipe behind the `vae_fashion_mnist`
preset); needs the data (`make data`).
"""

import argparse
import os

import kgen
from kgen import datasets, plot
from kgen.callbacks import KLWarmup
from kgen.eval.scores import vae_scores
from kgen.models import vae_networks as nets

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--latent-dim", type=int, default=16)
parser.add_argument("--out", default="out/my_vae")
parser.add_argument("--quick", action="store_true", help="1 epoch of 512 images, scored on 100 with 5 samples")
args = parser.parse_args()
if args.quick:
    args.epochs = 1

x_train, _ = datasets.load_fashion_mnist("train")
x_test, _ = datasets.load_fashion_mnist("test")
if args.quick:
    x_train = x_train[:512]

vae = kgen.models.VAE(
    nets.conv_encoder(latent_dim=args.latent_dim),
    nets.conv_decoder(latent_dim=args.latent_dim),
    latent_dim=args.latent_dim,
    likelihood="bernoulli",  # images are binarized afresh at every step
)
vae.compile()  # Adam(1e-3)
vae.fit(x_train, epochs=args.epochs, batch_size=128, callbacks=[KLWarmup(epochs=1)])

binary_test = datasets.binarize(x_test[: 100 if args.quick else 1000], seed=0)
print(vae_scores(vae, binary_test, num_samples=5 if args.quick else 100))

os.makedirs(args.out, exist_ok=True)
plot.image_grid(vae.sample(64, seed=0), os.path.join(args.out, "samples.png"), nrow=8)
plot.interpolation_strip(vae.interpolate(x_test[0], x_test[1], steps=10), os.path.join(args.out, "interpolation.png"))
vae.save_to_preset(os.path.join(args.out, "preset"), command="python examples/train_vae.py")
print("wrote", args.out)
