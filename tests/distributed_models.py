"""The tiny models, data and agent updates the distributed checks train (no device set-up here:
each check script configures TensorFlow's devices before importing this)."""

import numpy as np

STEPS, GLOBAL_BATCH = 4, 16


def relative_difference(weights, reference):
    """||w - w_ref|| / ||w_ref|| over all the model's weights: how far apart two runs ended."""
    flat = np.concatenate([np.ravel(w) for w in weights])
    flat_reference = np.concatenate([np.ravel(w) for w in reference])
    return float(np.linalg.norm(flat - flat_reference) / max(np.linalg.norm(flat_reference), 1e-12))


def build(family):
    from kgen.models import DCGAN, VAE, Classifier, PixelCNN
    from kgen.models import vae_networks as nets
    from kgen.rl import DQNAgent, ReinforceAgent

    if family == "dqn":
        return DQNAgent("CartPole-v1", hidden_units=(16, 16), batch_size=GLOBAL_BATCH, seed=3)
    if family == "reinforce":
        return ReinforceAgent("CartPole-v1", hidden_units=(16, 16), seed=3)

    if family in ("gan", "cgan", "wgan"):
        return DCGAN(latent_dim=8, base_filters=4, seed=3, ema=0.9, num_classes=3 if family == "cgan" else None,
                     loss="wgan-gp" if family == "wgan" else "non_saturating")
    if family == "pixelcnn":  # conditional, dynamically binarized
        return PixelCNN(filters=4, num_layers=2, first_kernel_size=3, num_classes=3, seed=3)
    if family == "vae":
        return VAE(nets.conv_encoder(latent_dim=4), nets.conv_decoder(latent_dim=4), 4, binarize=True, seed=3)
    return Classifier(filters=(4,), dense_units=8, dropout=0.25, seed=3)


def data(family):
    rng = np.random.default_rng(0)
    x = rng.random((STEPS * GLOBAL_BATCH, 28, 28, 1), dtype="float32")
    y = (np.arange(len(x)) % (3 if family in ("cgan", "pixelcnn") else 10)).astype("int32")
    return (x, y) if family in ("cgan", "classifier", "pixelcnn") else (x,)


def update_dqn(agent):
    from kgen.rl.replay import ReplayBuffer

    rng = np.random.default_rng(0)
    agent.buffer = ReplayBuffer(256, agent.observation_shape)
    agent.buffer.add(rng.normal(size=(256, 4)), rng.integers(2, size=256), rng.random(256),
                     rng.normal(size=(256, 4)), rng.random(256) < 0.1)
    agent._train_round(STEPS)


def update_reinforce(agent):
    rng = np.random.default_rng(0)
    for _ in range(STEPS):
        lengths = (9, 14, 5)  # 28 rows, padded to 32
        agent._batch = [(rng.normal(size=(n, 4)).astype("float32"), rng.integers(2, size=n), rng.random(n))
                        for n in lengths]
        agent._train_on_batch()


AGENTS = {"dqn": update_dqn, "reinforce": update_reinforce}
