"""Reads of the mastering app: a producer's analyses, the references they see, genre targets, similar references."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Max, Q, QuerySet

from core.errors import NotFound
from core.jobs import JobStatus
from mastering import recommendations
from mastering.models import Analysis, Reference
from mastering.similarity import VectorIndex


def analyses_of(*, owner) -> QuerySet[Analysis]:
    """The owner's analyses, without the heavy series and vectors (a list does not show them)."""
    return Analysis.objects.filter(owner=owner).defer("loudness_series", "vector")


def analysis_of(*, owner, analysis_id) -> Analysis:
    analysis = Analysis.objects.filter(owner=owner, pk=analysis_id).first()
    if analysis is None:
        raise NotFound("No analysis of yours has that id.")
    return analysis


def references_visible_to(user) -> QuerySet[Reference]:
    """Built-in references and the user's own."""
    return Reference.objects.filter(Q(built_in=True) | Q(owner=user))


def references_for(*, user, genre: str | None = None) -> QuerySet[Reference]:
    references = references_visible_to(user).defer("vector")
    if genre:
        references = references.filter(genre__iexact=genre)
    return references


def reference_of(*, user, reference_id) -> Reference:
    reference = references_visible_to(user).filter(pk=reference_id).first()
    if reference is None:
        raise NotFound("No reference you can see has that id.")
    return reference


def genre_targets(*, genre: str, user) -> recommendations.Targets:
    """The genre's targets from the done references the user sees, or the general targets without any."""
    measures = references_for(user=user, genre=genre).filter(status=JobStatus.DONE).values("overall", "bands")
    return recommendations.targets_from_references(list(measures)) or recommendations.GENERAL


def band_targets(targets: recommendations.Targets) -> dict[str, dict] | None:
    """Per band `{mean, std}` of the energy share, for the plot; None for the general targets."""
    if targets.source != "references":
        return None
    return {band: {"mean": stat.mean, "std": stat.std} for band, stat in targets.band_shares.items()}


# --- Similarity ---------------------------------------------------------------------------------


@dataclass
class _Vectors:
    stamp: tuple
    index: VectorIndex
    genres: np.ndarray  # casefolded genre of each row
    owners: np.ndarray  # owner id of each row, or "" for a built-in reference
    built_in: np.ndarray


_cache: _Vectors | None = None
_cache_lock = threading.Lock()


def forget_vectors() -> None:
    """Drop this process's matrix (other processes see the change through the stamp)."""
    global _cache
    with _cache_lock:
        _cache = None


def _stamp() -> tuple:
    done = Reference.objects.filter(status=JobStatus.DONE)
    summary = done.aggregate(count=Count("id"), latest=Max("finished_at"))
    return (summary["count"], summary["latest"])


def _vectors() -> _Vectors:
    """Every done reference's vector in one row-normalised matrix, rebuilt only when references changed."""
    global _cache
    stamp = _stamp()
    with _cache_lock:
        if _cache is not None and _cache.stamp == stamp:
            return _cache
    rows = list(
        Reference.objects.filter(status=JobStatus.DONE, vector__isnull=False).values_list(
            "id", "vector", "genre", "owner_id", "built_in"
        )
    )
    fresh = _Vectors(
        stamp=stamp,
        index=VectorIndex([row[0] for row in rows], [bytes(row[1]) for row in rows]),
        genres=np.array([row[2].casefold() for row in rows], dtype=object),
        owners=np.array([str(row[3] or "") for row in rows], dtype=object),
        built_in=np.array([row[4] for row in rows], dtype=bool),
    )
    with _cache_lock:
        _cache = fresh
    return fresh


@dataclass(frozen=True)
class SimilarReference:
    reference: Reference
    score: float


def similar_references(*, analysis: Analysis, user, genre: str | None, top_k: int) -> list[SimilarReference]:
    """The references the user sees (of `genre` when given) ranked by cosine similarity to the analysis."""
    if analysis.vector is None:
        return []
    vectors = _vectors()
    visible = vectors.built_in | (vectors.owners == str(user.pk))
    if genre:
        visible &= vectors.genres == genre.casefold()
    matches = vectors.index.top(np.frombuffer(bytes(analysis.vector), dtype=np.float32), top_k, mask=visible)
    found = Reference.objects.defer("vector").in_bulk([match.key for match in matches])
    return [SimilarReference(found[m.key], m.score) for m in matches if m.key in found]
