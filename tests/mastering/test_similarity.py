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


def test_keys_and_rows_must_match_and_k_must_be_positive():
    with pytest.raises(ValueError, match="2 keys for a matrix of shape"):
        VectorIndex(["a", "b"], [to_bytes(_vector(1))])
    index = VectorIndex(["a"], [to_bytes(_vector(1))])
    assert index.top(_vector(1), 0) == [] and index.top(_vector(1), -1) == []
    assert len(index) == 1


def test_scores_are_exact_cosines_even_for_unnormalised_rows():
    index = VectorIndex(["long", "short"], np.stack([_vector(10, 10), _vector(0.001, 0)]))
    matches = index.top(_vector(2, 0), 2)
    assert [m.key for m in matches] == ["short", "long"]
    assert matches[0].score == pytest.approx(1.0) and matches[1].score == pytest.approx(1 / np.sqrt(2), rel=1e-6)
    assert all(-1.0 <= m.score <= 1.0 for m in matches)


def test_float64_input_is_stored_and_ranked_as_float32():
    assert len(to_bytes(np.ones(DIMENSIONS, dtype=np.float64))) == DIMENSIONS * 4
    index = VectorIndex(["a", "b"], np.stack([_vector(1, 0), _vector(0, 1)]).astype(np.float64))
    assert index.matrix.dtype == np.float32
    assert [(m.key, round(m.score, 6)) for m in index.top(_vector(0, 3), 1)] == [("b", 1.0)]


def test_the_best_match_is_found_wherever_it_sits_and_a_mask_of_one_row_works():
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(50, DIMENSIONS)).astype(np.float32)
    index = VectorIndex(list(range(50)), matrix)
    query = matrix[37] + rng.normal(scale=0.01, size=DIMENSIONS).astype(np.float32)
    assert [m.key for m in index.top(query, 1)] == [37]
    only = np.zeros(50, dtype=bool)
    only[12] = True
    assert [m.key for m in index.top(query, 5, mask=only)] == [12]


@pytest.mark.parametrize("k", [1, 2, 7, 25])
def test_top_k_equals_a_full_sort(k):
    rng = np.random.default_rng(k)
    matrix = rng.normal(size=(400, DIMENSIONS)).astype(np.float32)
    query = rng.normal(size=DIMENSIONS).astype(np.float32)
    normalised = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    expected = list(np.argsort(-(normalised @ (query / np.linalg.norm(query))))[:k])
    assert [m.key for m in VectorIndex(list(range(400)), matrix).top(query, k)] == expected
