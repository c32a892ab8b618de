"""Why the non-saturating generator loss trains: its gradient where the samples are bad.

    python examples/gan_generator_gradients.py --out docs/images/gan_generator_gradients.png

For D(G(z)) from 0.001 to 0.999 (D's probability that a sample is real), prints
and plots the magnitude of each generator loss's gradient with respect to D's
logit. The minimax loss log(1 - D(G(z))) has gradient -D(G(z)): flat exactly
where D rejects the samples, early in training. The non-saturating loss
-log D(G(z)) has gradient -(1 - D(G(z))): largest there.
"""

import argparse

import numpy as np
import tensorflow as tf

from kgen import losses, plot

parser = argparse.ArgumentParser()
parser.add_argument("--out", default="gan_generator_gradients.png")
parser.add_argument("--quick", action="store_true", help="accepted for uniformity: this script takes a second already")
args = parser.parse_args()

probability = np.linspace(0.001, 0.999, 200).astype("float32")
logits = tf.constant(np.log(probability / (1 - probability)))
curves = {}
for name in ("minimax", "non_saturating"):
    generator_loss = losses.GAN_LOSSES[name][1]
    with tf.GradientTape() as tape:
        tape.watch(logits)
        loss = tf.reduce_sum(generator_loss(logits))
    curves[name] = (probability, np.abs(tape.gradient(loss, logits).numpy()))

print(f"{'D(G(z))':>8} " + " ".join(f"{name:>15}" for name in curves))
for i in (0, 20, 100, 180, 199):
    print(f"{probability[i]:8.3f} " + " ".join(f"{curves[name][1][i]:15.4f}" for name in curves))
plot.curves(
    curves,
    args.out,
    xlabel="D(G(z)): the discriminator's probability that a sample is real",
    ylabel="|d loss_G / d logit|",
    title="Gradient of the generator loss with respect to D's logit",
)
print("wrote", args.out)
