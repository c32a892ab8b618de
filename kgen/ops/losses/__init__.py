"""Loss functions as pure functions of tensors and distributions, named by role, one file per family.

`train_step`s compose these; the math lives here, where tests check it against
hand computations.
"""

from kgen.ops.losses.gan import (
    GAN_LOSSES,
    gradient_penalty,
    hinge_discriminator_loss,
    hinge_generator_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    minimax_discriminator_loss,
    minimax_generator_loss,
    non_saturating_discriminator_loss,
    non_saturating_generator_loss,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
)
from kgen.ops.losses.rl import policy_gradient_loss, q_learning_loss, td_targets
from kgen.ops.losses.vae import importance_weighted_bound, kl_divergence, negative_elbo

__all__ = [
    "GAN_LOSSES",
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "importance_weighted_bound",
    "kl_divergence",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "negative_elbo",
    "non_saturating_discriminator_loss",
    "non_saturating_generator_loss",
    "policy_gradient_loss",
    "q_learning_loss",
    "td_targets",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]
