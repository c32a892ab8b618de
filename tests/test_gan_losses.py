"""GAN losses in kgen.losses: values against hand computations, saturation, gradient penalty."""

import math

import numpy as np
import pytest
import tensorflow as tf

from kgen import losses

REAL = [2.0, -1.0, 0.0]
FAKE = [-3.0, 0.5, 0.0]


def sigmoid(t):
    return 1.0 / (1.0 + math.exp(-t))


def by_hand(d_term, g_term):
    """Per-example D losses on (REAL, FAKE) and G losses on FAKE from scalar formulas."""
    return [d_term(r, f) for r, f in zip(REAL, FAKE)], [g_term(f) for f in FAKE]


HAND = {
    "minimax": by_hand(
        lambda r, f: -math.log(sigmoid(r)) - math.log(1 - sigmoid(f)), lambda f: math.log(1 - sigmoid(f))
    ),
    "non_saturating": by_hand(
        lambda r, f: -math.log(sigmoid(r)) - math.log(1 - sigmoid(f)), lambda f: -math.log(sigmoid(f))
    ),
    "least_squares": by_hand(lambda r, f: 0.5 * (r - 1) ** 2 + 0.5 * f**2, lambda f: 0.5 * (f - 1) ** 2),
    "wgan-gp": by_hand(lambda r, f: f - r, lambda f: -f),
    "hinge": by_hand(lambda r, f: max(0.0, 1 - r) + max(0.0, 1 + f), lambda f: -f),
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_values_match_hand_computations(name):
    d_loss, g_loss = losses.GAN_LOSSES[name]
    d_expected, g_expected = HAND[name]
    np.testing.assert_allclose(d_loss(REAL, FAKE).numpy(), d_expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(g_loss(FAKE).numpy(), g_expected, rtol=1e-6, atol=1e-6)


def test_a_few_values_written_out():
    # least squares at real=2, fake=-3: 0.5 * 1 + 0.5 * 9; hinge: max(0, -1) + max(0, -2)
    assert losses.least_squares_discriminator_loss([2.0], [-3.0]).numpy()[0] == 5.0
    assert losses.hinge_discriminator_loss([2.0], [-3.0]).numpy()[0] == 0.0
    assert losses.hinge_discriminator_loss([0.5], [0.25]).numpy()[0] == 1.75
    np.testing.assert_allclose(losses.minimax_discriminator_loss([0.0], [0.0]).numpy(), [2 * math.log(2)])
    np.testing.assert_allclose(losses.non_saturating_generator_loss([0.0]).numpy(), [math.log(2)])
    np.testing.assert_allclose(losses.minimax_generator_loss([0.0]).numpy(), [-math.log(2)])


@pytest.mark.parametrize("name", sorted(HAND))
def test_one_loss_per_example_for_any_logit_shape(name):
    d_loss, g_loss = losses.GAN_LOSSES[name]
    column = np.reshape(REAL, (3, 1)), np.reshape(FAKE, (3, 1))
    np.testing.assert_allclose(d_loss(*column).numpy(), d_loss(REAL, FAKE).numpy(), rtol=1e-6)
    assert d_loss(*column).shape == (3,) and g_loss(column[1]).shape == (3,)
    patches = tf.zeros((4, 2, 2, 1))  # patch discriminators: averaged per example
    assert d_loss(patches, patches).shape == (4,)


@pytest.mark.parametrize("name", sorted(HAND))
def test_extreme_logits_stay_finite(name):
    d_loss, g_loss = losses.GAN_LOSSES[name]
    big = [100.0, -100.0]
    assert np.all(np.isfinite(d_loss(big, big).numpy())) and np.all(np.isfinite(g_loss(big).numpy()))


def generator_gradient(g_loss, logit):
    fake = tf.constant([logit])
    with tf.GradientTape() as tape:
        tape.watch(fake)
        loss = g_loss(fake)
    return float(tape.gradient(loss, fake).numpy()[0])


def test_saturating_loss_is_flat_where_the_discriminator_wins():
    # D(G(z)) = sigmoid(-10) ~ 5e-5: the sample is confidently rejected
    minimax = generator_gradient(losses.minimax_generator_loss, -10.0)
    non_saturating = generator_gradient(losses.non_saturating_generator_loss, -10.0)
    assert abs(minimax) < 1e-4  # -sigmoid(-10)
    assert non_saturating == pytest.approx(-1.0, abs=1e-4)  # -sigmoid(10)
    # both push the logit up, and agree where D is fooled half the time
    assert generator_gradient(losses.minimax_generator_loss, 0.0) == pytest.approx(-0.5)
    assert generator_gradient(losses.non_saturating_generator_loss, 0.0) == pytest.approx(-0.5)


def linear_critic(norm, shape=(2, 2, 1)):
    w = np.random.default_rng(0).standard_normal(int(np.prod(shape))).astype("float32")
    w = tf.constant(norm * w / np.linalg.norm(w))
    return lambda x: tf.reduce_sum(tf.reshape(x, [tf.shape(x)[0], -1]) * w, axis=1, keepdims=True)


@pytest.mark.parametrize("seed_or_alpha", [tf.constant([3, 4]), tf.constant([0.0, 0.3, 1.0, 0.5, 0.9])])
def test_gradient_penalty_of_linear_critics(seed_or_alpha):
    rng = np.random.default_rng(1)
    real, fake = (tf.constant(rng.random((5, 2, 2, 1), dtype="float32")) for _ in range(2))
    unit = losses.gradient_penalty(linear_critic(1.0), real, fake, seed_or_alpha).numpy()
    steep = losses.gradient_penalty(linear_critic(2.0), real, fake, seed_or_alpha).numpy()
    assert unit.shape == (5,) and steep.shape == (5,)
    np.testing.assert_allclose(unit, 0.0, atol=1e-6)  # 1-Lipschitz with |w| = 1
    np.testing.assert_allclose(steep, 1.0, rtol=1e-5)  # (|w| - 1)^2 = 1
    assert np.all(losses.gradient_penalty(linear_critic(0.5), real, fake, seed_or_alpha).numpy() > 0)


def test_gradient_penalty_is_taken_at_the_interpolates():
    # critic |x|^2 / 2 has gradient x, so the penalty is (|alpha r + (1 - alpha) f| - 1)^2
    real, fake = tf.constant([[3.0, 0.0], [0.0, 2.0]]), tf.constant([[0.0, 0.0], [0.0, -2.0]])
    alpha = tf.constant([0.5, 0.25])
    penalty = losses.gradient_penalty(lambda x: 0.5 * tf.reduce_sum(x**2, axis=1), real, fake, alpha)
    np.testing.assert_allclose(penalty.numpy(), [(1.5 - 1) ** 2, (1.0 - 1) ** 2], atol=1e-6)


def test_gradient_penalty_seeds_are_reproducible():
    critic = lambda x: 0.5 * tf.reduce_sum(x**2, axis=1)  # noqa: E731
    real, fake = tf.ones((6, 3)), tf.zeros((6, 3))
    a = losses.gradient_penalty(critic, real, fake, tf.constant([1, 2])).numpy()
    b = losses.gradient_penalty(critic, real, fake, tf.constant([1, 2])).numpy()
    c = losses.gradient_penalty(critic, real, fake, tf.constant([1, 3])).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and np.all(a >= 0)


def test_gan_losses_registry():
    assert set(losses.GAN_LOSSES) == {"minimax", "non_saturating", "least_squares", "wgan-gp", "wasserstein", "hinge"}
    assert losses.GAN_LOSSES["wasserstein"] == losses.GAN_LOSSES["wgan-gp"]
    assert losses.GAN_LOSSES["non_saturating"][0](REAL, FAKE).numpy().tolist() == (
        losses.GAN_LOSSES["minimax"][0](REAL, FAKE).numpy().tolist()
    )
