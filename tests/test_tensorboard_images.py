"""TensorBoardImages: sample grids, reconstructions and an interpolation for a VAE, samples for a
GAN, an episode's frames for an agent; read back with TensorBoard's own EventAccumulator."""

import keras
import pytest

from kgen.callbacks import TensorBoardImages

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def image_tags(log_dir):
    """{tag: [step, ...]} of the images TensorBoard finds in the images run."""
    accumulator = event_accumulator.EventAccumulator(str(log_dir / "images"), size_guidance={"images": 0, "tensors": 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    found = {tag: [event.step for event in accumulator.Images(tag)] for tag in tags["images"]}
    for tag in tags.get("tensors", []):  # TF2 summaries are stored as tensors with image plugin metadata
        found[tag] = [event.step for event in accumulator.Tensors(tag)]
    return found


def test_a_vae_writes_samples_reconstructions_and_an_interpolation(tmp_path, images):
    from kgen.models import VAE
    from kgen.models import vae_networks as nets

    vae = VAE(nets.conv_encoder(latent_dim=2), nets.conv_decoder(latent_dim=2), latent_dim=2)
    vae.compile()
    vae.fit(images, epochs=2, batch_size=3, verbose=0,
            callbacks=[TensorBoardImages(tmp_path, images=images[:3], num=4), keras.callbacks.TensorBoard(tmp_path)])
    tags = image_tags(tmp_path)
    assert {tag: steps for tag, steps in tags.items()} == {"samples": [1, 2], "reconstructions": [1, 2],
                                                           "interpolation": [1, 2]}


def test_a_gan_writes_its_samples_every_second_epoch(tmp_path, images):
    from kgen.models import DCGAN

    gan = DCGAN(latent_dim=4, base_filters=4)
    gan.compile()
    gan.fit(images, epochs=2, batch_size=3, verbose=0, callbacks=[TensorBoardImages(tmp_path, every=2, num=4)])
    assert image_tags(tmp_path) == {"samples": [2]}


def test_an_agent_writes_frames_of_an_episode(tmp_path):
    pytest.importorskip("gymnasium")
    from kgen.rl import DQNAgent

    agent = DQNAgent("CartPole-v1", hidden_units=(8,), learning_starts=50, seed=0)
    agent.compile()
    agent.fit(env_steps=200, log_interval=100, verbose=0, callbacks=[TensorBoardImages(tmp_path, frame_every=2, max_frames=3)])
    assert image_tags(tmp_path) == {"episode": [1, 2]}
    accumulator = event_accumulator.EventAccumulator(str(tmp_path / "images"), size_guidance={"tensors": 0})
    accumulator.Reload()
    import tensorflow as tf

    width, height, *pngs = tf.make_ndarray(accumulator.Tensors("episode")[0].tensor_proto)
    assert (int(width), int(height), len(pngs)) == (600, 400, 3)  # three CartPole frames, PNG-encoded


def test_kgen_train_tensorboard_writes_the_scalars_and_the_images(tmp_path):
    pytest.importorskip("gymnasium")
    from kgen import cli

    board = tmp_path / "board"
    assert cli.main(["train", "dqn", "--env", "CartPole-v1", "--env-steps", "400", "--learning-starts", "100",
                     "--eval-episodes", "1", "--tensorboard", str(board), "--out", str(tmp_path / "dqn")]) == 0
    assert set(image_tags(board)) == {"episode"}
    scalars = event_accumulator.EventAccumulator(str(board / "train"), size_guidance={"tensors": 0, "scalars": 0})
    scalars.Reload()
    assert "epoch_episode_return" in scalars.Tags()["tensors"] + scalars.Tags()["scalars"]
