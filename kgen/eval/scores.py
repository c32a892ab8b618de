"""The scores that model cards and `kgen eval` report, one function per kind of model.

Each takes the model and the data (and, for sample quality, the feature model)
as arguments and returns a dict of rounded numbers named as the cards name them.
"""

import numpy as np

from kgen.eval import metrics
from kgen.ops.sampling import classes_in_turn
from kgen.rl.evaluation import run_episodes


def classifier_scores(model, x, y):
    """Accuracy and mean cross-entropy (nats) of a kgen Classifier on labelled images."""
    probabilities = np.asarray(model.predict_proba(x), dtype="float64")
    y = np.asarray(y).reshape(-1)
    cross_entropy = -np.log(np.maximum(probabilities[np.arange(len(y)), y], 1e-300))
    return {
        "test_accuracy": round(float(np.mean(np.argmax(probabilities, axis=-1) == y)), 4),
        "test_loss": round(float(cross_entropy.mean()), 4),
    }


def _sem(values):
    return float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")


def vae_scores(model, x, num_samples=1000, elbo_samples=10, seed=0):
    """Mean ELBO and IWAE negative log-likelihood of a VAE, nats per image.

    Args:
        model: kgen.models.VAE.
        x: images to score (binarize them first for a Bernoulli model).
        num_samples: int, importance samples k of the IWAE estimate (default 1000).
        elbo_samples: int, Monte Carlo draws per image of the ELBO (default 10).
        seed: int (default 0).

    Returns:
        dict with `test_elbo`, `test_nll_iwae_k{num_samples}` and `elbo_iwae_gap`
        (NLL + ELBO: how much tighter the IWAE bound is), each with its standard error.
    """
    elbo = model.elbo(x, num_samples=elbo_samples, seed=seed)
    log_likelihood = model.log_likelihood(x, num_samples=num_samples, seed=seed)
    gap = log_likelihood - elbo
    return {
        "test_elbo": round(float(elbo.mean()), 2),
        f"test_nll_iwae_k{num_samples}": round(float(-log_likelihood.mean()), 2),
        "elbo_iwae_gap": round(float(gap.mean()), 2),
        "test_elbo_sem": round(_sem(elbo), 2),
        f"test_nll_iwae_k{num_samples}_sem": round(_sem(log_likelihood), 2),
    }


def sample_quality(images, reference, features, floor_reference=None):
    """Frechet distance (on `features`) and classifier score of samples.

    Args:
        images: generated images in [0, 1], 10,000 for the numbers in model cards.
        reference: real images to compare with (the test split).
        features: a kgen Classifier (its features for the FD, its probabilities for the score).
        floor_reference: real images of another split (10,000 training images), or
            None; when given, `fd_floor` is the FD between them and `reference`:
            the best a model can expect, since two real samples also differ.

    Returns:
        dict with `fd_test`, `classifier_score` (and `fd_floor`), rounded.
    """
    scores = {
        "fd_test": round(metrics.frechet_distance(images, reference, features), 2),
        "classifier_score": round(metrics.classifier_score(images, features, splits=min(10, len(images)))[0], 3),
    }
    if floor_reference is not None:
        scores["fd_floor"] = round(metrics.frechet_distance(floor_reference, reference, features), 2)
    return scores


def class_accuracy(gan, classifier, per_class=1000, seed=0):
    """How often `classifier` sees the class a conditional GAN was asked for.

    Returns:
        dict with `class_accuracy_mean` and `class_accuracy_<k>` for each class k,
        each over `per_class` samples (seed `seed + k`).
    """
    accuracies = []
    for label in range(gan.num_classes):
        images = gan.generate(per_class, labels=label, seed=seed + label)
        accuracies.append(float(np.mean(classifier.predict_labels(images) == label)))
    scores = {"class_accuracy_mean": round(float(np.mean(accuracies)), 4)}
    scores.update({f"class_accuracy_{k}": round(a, 4) for k, a in enumerate(accuracies)})
    return scores


def gan_samples(gan, n, seed=0):
    """n samples of a GAN as its cards score them: classes in turn when it needs labels."""
    labels = classes_in_turn(n, gan.num_classes) if gan.labels_required else None
    return gan.generate(n, labels=labels, seed=seed)


def agent_scores(agent, env_id, episodes=100, seed=0):
    """Mean, std and worst return over `episodes` deterministic episodes (reset seeds seed, seed+1, ...)."""
    returns = run_episodes(agent, env_id, episodes=episodes, seed=seed)
    return {
        "eval_mean_return": round(float(np.mean(returns)), 2),
        "eval_std_return": round(float(np.std(returns)), 2),
        "eval_episodes": episodes,
        "eval_min_return": round(float(np.min(returns)), 2),
    }
