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
            else np.frombuffer(b"".join(vectors), dtype=np.float32).reshape(-1, DIMENSIONS)  # pragma: no mutate
        )
        if matrix.shape != (len(keys), DIMENSIONS):
            raise ValueError(f"{len(keys)} keys for a matrix of shape {matrix.shape}")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        # A zero vector matches nothing (its score is 0 against every query).
        self.matrix = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)  # pragma: no mutate
        self.keys = list(keys)

    def __len__(self) -> int:
        return len(self.keys)

    def top(self, query: Sequence[float] | np.ndarray, k: int, *, mask: np.ndarray | None = None) -> list[Match]:
        """The `k` rows most similar to `query`, best first; with `mask`, only the rows it marks True.

        Every row is scored (one product with the whole matrix) and the masked-out ones dropped:
        cheaper than copying the selected rows out for each query.
        """
        if not self.keys or k <= 0:  # pragma: no mutate (k = 0 gives [] either way)
            return []
        vector = np.asarray(query, dtype=np.float32)  # pragma: no mutate (float64 ranks the same)
        norm = float(np.linalg.norm(vector))
        if norm == 0:
            return []
        scores = self.matrix @ (vector / norm)
        candidates = np.flatnonzero(mask) if mask is not None else None
        if candidates is not None:
            if candidates.size == 0:
                return []
            scores = scores[candidates]
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]  # pragma: no mutate (ties only)
        rows = candidates[best] if candidates is not None else best
        # Clipped against float rounding just past +-1; the two sequences have the same length.
        pairs = zip(best, rows, strict=True)  # pragma: no mutate
        return [Match(self.keys[row], float(np.clip(scores[i], -1.0, 1.0))) for i, row in pairs]  # pragma: no mutate
