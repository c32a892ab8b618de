"""k-means: recovers separated clusters, is reproducible, handles edge cases and bad input."""

import numpy as np
import pytest

from kgen.clustering import kmeans
from kgen.errors import KgenValueError


def blobs(seed=0, per_cluster=200):
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]])
    x = np.concatenate([rng.normal(m, 0.3, (per_cluster, 2)) for m in means])
    return x, np.repeat(np.arange(4), per_cluster), means


def test_recovers_well_separated_clusters():
    x, truth, means = blobs()
    centers, assignments = kmeans(x, 4, seed=0)
    assert centers.shape == (4, 2) and centers.dtype == np.float32 and assignments.dtype == np.int32
    # each found cluster is exactly one true cluster, and its center is that cluster's mean
    for cluster in range(4):
        members = truth[assignments == cluster]
        assert len(members) == 200 and np.all(members == members[0])
        np.testing.assert_allclose(centers[cluster], x[truth == members[0]].mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(np.sort(centers, axis=0), np.sort(means, axis=0), atol=0.1)


def test_centers_are_the_means_of_their_members_and_members_their_nearest():
    x = np.random.default_rng(1).random((300, 5))
    centers, assignments = kmeans(x, 7, seed=3)
    distances = ((x[:, None, :] - centers[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(assignments, distances.argmin(axis=1))
    for cluster in range(7):
        np.testing.assert_allclose(centers[cluster], x[assignments == cluster].mean(axis=0), atol=1e-5)


def test_reproducible_flattens_images_and_k_equal_to_n():
    images = np.random.default_rng(2).random((20, 4, 4, 1))
    first, second = kmeans(images, 3, seed=5), kmeans(images, 3, seed=5)
    np.testing.assert_array_equal(first[1], second[1])
    assert first[0].shape == (3, 16)
    _, assignments = kmeans(images, 20, seed=0)
    assert sorted(assignments.tolist()) == list(range(20))


def test_duplicate_points_leave_no_cluster_empty():
    x = np.concatenate([np.zeros((10, 2)), np.ones((10, 2))])
    _, assignments = kmeans(x, 2, seed=0)
    assert np.bincount(assignments).tolist() == [10, 10]


@pytest.mark.parametrize(
    "x, k, message",
    [
        (np.zeros((5, 2)), 6, "k must be an integer >= 1 and <= 5; got 6"),
        (np.zeros((5, 2)), 0, "k must be an integer >= 1"),
        (np.zeros(5), 2, r"x must be an array of examples \(n, ...\)"),
        (np.full((5, 2), np.nan), 2, "x must"),
    ],
)
def test_bad_input(x, k, message):
    with pytest.raises(KgenValueError, match=message):
        kmeans(x, k)
