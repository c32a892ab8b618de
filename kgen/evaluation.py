"""The scores that model cards and `kgen eval` report, one function per model family."""

import numpy as np

from kgen import datasets


def classifier_scores(model, x, y):
    """Accuracy of a classifier on labelled images."""
    return {"test_accuracy": round(float(np.mean(model.predict_labels(x) == y)), 4)}


def vae_scores(model, x, num_samples=1000, elbo_samples=10, seed=0):
    """Mean ELBO and IWAE negative log-likelihood of a VAE, nats per image.

    Args:
        model: kgen.models.VAE.
        x: images to score (binarize them first for a Bernoulli model; see `binarized_test_split`).
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
    sem = lambda a: float(np.std(a, ddof=1) / np.sqrt(len(a))) if len(a) > 1 else float("nan")  # noqa: E731
    return {
        "test_elbo": round(float(elbo.mean()), 2),
        f"test_nll_iwae_k{num_samples}": round(float(-log_likelihood.mean()), 2),
        "elbo_iwae_gap": round(float(gap.mean()), 2),
        "test_elbo_sem": round(sem(elbo), 2),
        f"test_nll_iwae_k{num_samples}_sem": round(sem(log_likelihood), 2),
    }


def sample_quality(images, reference, floor_reference=None):
    """Frechet distance (on the shipped classifier's features) and classifier score of samples.

    Args:
        images: generated images in [0, 1], 10,000 for the numbers in model cards.
        reference: real images to compare with (the test split).
        floor_reference: real images of another split (10,000 training images), or
            None; when given, `fd_floor` is the FD between them and `reference`:
            the best a model can expect, since two real samples also differ.

    Returns:
        dict with `fd_test`, `classifier_score` (and `fd_floor`), rounded.
    """
    from kgen import metrics

    scores = {
        "fd_test": round(metrics.frechet_distance(images, reference), 2),
        "classifier_score": round(metrics.classifier_score(images)[0], 3),
    }
    if floor_reference is not None:
        scores["fd_floor"] = round(metrics.frechet_distance(floor_reference, reference), 2)
    return scores


def binarized_test_split(data_dir=None, limit=None, seed=0):
    """The Fashion-MNIST test images binarized once with `seed`: what VAE scores are on."""
    x, _ = datasets.load_fashion_mnist("test", path=data_dir)
    return datasets.binarize(x[:limit] if limit else x, seed=seed)
