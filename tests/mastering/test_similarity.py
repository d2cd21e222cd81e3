"""Cosine ranking over one normalised matrix (mastering.similarity)."""

import numpy as np
import pytest

from mastering.similarity import DIMENSIONS, VectorIndex, from_bytes, to_bytes


def _vector(*values) -> np.ndarray:
    vector = np.zeros(DIMENSIONS, dtype=np.float32)
    vector[: len(values)] = values
    return vector


def test_references_are_ranked_by_cosine_similarity_with_their_scores():
    keys = ["same direction, longer", "45 degrees", "orthogonal", "opposite"]
    vectors = [_vector(3, 0), _vector(1, 1), _vector(0, 1), _vector(-1, 0)]
    index = VectorIndex(keys, [to_bytes(v) for v in vectors])
    matches = index.top(_vector(1, 0), 4)
    assert [m.key for m in matches] == keys
    assert [round(m.score, 4) for m in matches] == [1.0, round(1 / np.sqrt(2), 4), 0.0, -1.0]
    assert [m.key for m in index.top(_vector(1, 0), 2)] == keys[:2]


def test_top_k_is_capped_and_a_zero_vector_matches_nothing():
    index = VectorIndex(["a", "b"], np.stack([_vector(1, 0), _vector(0, 0)]))
    assert [m.key for m in index.top(_vector(2, 0), 10)] == ["a", "b"]
    assert index.top(_vector(2, 0), 10)[1].score == 0.0
    assert index.top(_vector(0, 0), 3) == [] and VectorIndex([], np.zeros((0, DIMENSIONS))).top(_vector(1), 3) == []


def test_a_mask_ranks_only_the_rows_it_marks():
    index = VectorIndex(["x", "y", "z"], np.stack([_vector(1, 0), _vector(0.9, 0.1), _vector(0, 1)]))
    assert [m.key for m in index.top(_vector(1, 0), 5, mask=np.array([False, True, True]))] == ["y", "z"]
    assert index.top(_vector(1, 0), 5, mask=np.zeros(3, dtype=bool)) == []


def test_vectors_round_trip_as_float32_bytes_of_the_right_length():
    vector = _vector(0.25, -1.5, 3.0)
    assert np.array_equal(from_bytes(to_bytes(vector)), vector)
    with pytest.raises(ValueError, match="128 dimensions"):
        to_bytes([1.0, 2.0])
