"""Train kgen's recipes on a folder of your own images: here, shapes drawn into class subfolders.

    python examples/train_on_your_images.py --out own_images

Draws 32x32 RGB circles, squares and triangles into `OUT/shapes/<class>/*.png` (the
layout `kgen.datasets.load_images` reads: one subfolder per class), then, as
`kgen train classifier --data OUT/shapes` and `kgen train vae --data OUT/shapes
--features OUT/classifier` would, trains a classifier on them and a VAE whose samples
that classifier scores. Each preset folder's model card records where the images came
from and the sha256 of their file list. `--quick` draws fewer shapes and trains one epoch.
"""

import argparse
import os

import numpy as np
from PIL import Image, ImageDraw

from kgen import recipes

SHAPES = ("circle", "square", "triangle")

parser = argparse.ArgumentParser()
parser.add_argument("--out", default="own_images")
parser.add_argument("--per-class", type=int, default=300)
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--quick", action="store_true", help="30 shapes a class, one epoch each")
args = parser.parse_args()
per_class, epochs = (30, 1) if args.quick else (args.per_class, args.epochs)


def draw_shapes(folder, per_class, size=32, seed=0):
    """`per_class` images of each shape, random colours, sizes and places, as PNG files."""
    rng = np.random.default_rng(seed)
    for name in SHAPES:
        os.makedirs(os.path.join(folder, name), exist_ok=True)
        for index in range(per_class):
            image = Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(0, 60, 3)))
            r = int(rng.integers(size // 6, size // 3))
            x, y = (int(v) for v in rng.integers(r, size - r, 2))
            colour = tuple(int(v) for v in rng.integers(120, 256, 3))
            draw = ImageDraw.Draw(image)
            if name == "circle":
                draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
            elif name == "square":
                draw.rectangle([x - r, y - r, x + r, y + r], fill=colour)
            else:
                draw.polygon([(x, y - r), (x - r, y + r), (x + r, y + r)], fill=colour)
            image.save(os.path.join(folder, name, f"{index}.png"))


images = os.path.join(args.out, "shapes")
draw_shapes(images, per_class)
print(f"drew {per_class * len(SHAPES)} shapes into {images}")

classifier_dir = os.path.join(args.out, "classifier")
_, scores = recipes.FashionMNISTClassifier(epochs=epochs, batch_size=32).train(
    classifier_dir, source=recipes.ImageSource(images), verbose=0)
print("classifier:", scores)

vae_dir = os.path.join(args.out, "vae")
_, scores = recipes.VAEFashionMNIST(epochs=epochs, batch_size=32, num_samples=100).train(
    vae_dir, source=recipes.ImageSource(images, features=classifier_dir), verbose=0)
print("vae:", scores)
print(f"wrote the presets {classifier_dir} and {vae_dir}; their README.md cards have a Data section")
