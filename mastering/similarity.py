"""Nearest references by cosine similarity of their 128-dimensional feature vectors. No Django imports.

Vectors are stored as float32 bytes (mastering.models). A search stacks the candidates into one
matrix, normalises each row once, and ranks them with one matrix-vector product and a partial
sort (numpy.argpartition), so 100,000 references cost one pass over a 100,000 x 128 array, never
a Python loop over rows. `VectorIndex` keeps such a matrix for repeated queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DIMENSIONS = 128


def to_bytes(vector: Sequence[float]) -> bytes:
    array = np.asarray(vector, dtype=np.float32)
    if array.shape != (DIMENSIONS,):
        raise ValueError(f"a feature vector has {DIMENSIONS} dimensions, not {array.shape}")
    return array.tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32)


@dataclass(frozen=True)
class Match:
    key: object  # what the caller gave for this row (a reference id)
    score: float  # cosine similarity, -1..1


class VectorIndex:
    """Row-normalised vectors with their keys; `top(query, k)` ranks them by cosine similarity."""

    def __init__(self, keys: Sequence[object], vectors: Sequence[bytes] | np.ndarray):
        matrix = (
            np.asarray(vectors, dtype=np.float32)
            if isinstance(vectors, np.ndarray)
            else np.frombuffer(b"".join(vectors), dtype=np.float32).reshape(-1, DIMENSIONS)
        )
        if matrix.shape != (len(keys), DIMENSIONS):
            raise ValueError(f"{len(keys)} keys for a matrix of shape {matrix.shape}")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        # A zero vector matches nothing (its score is 0 against every query).
        self.matrix = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
        self.keys = list(keys)

    def subset(self, rows: np.ndarray) -> VectorIndex:
        """The index of these rows only (already normalised: no copy of the work)."""
        index = object.__new__(VectorIndex)
        index.matrix, index.keys = self.matrix[rows], [self.keys[i] for i in rows]
        return index

    def __len__(self) -> int:
        return len(self.keys)

    def top(self, query: Sequence[float] | np.ndarray, k: int) -> list[Match]:
        if not self.keys or k <= 0:
            return []
        vector = np.asarray(query, dtype=np.float32)
        norm = float(np.linalg.norm(vector))
        if norm == 0:
            return []
        scores = self.matrix @ (vector / norm)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [Match(self.keys[i], float(np.clip(scores[i], -1.0, 1.0))) for i in best]
