from django.db.models import Count, Prefetch, Q, QuerySet

from core.errors import NotFound
from core.jobs import JobStatus
from downloads.models import Download, DownloadTrack, TrackState


def downloads_of(*, owner) -> QuerySet[Download]:
    """The user's downloads, newest first, with their progress counted in the same query."""
    return Download.objects.filter(owner=owner).annotate(
        finished_count=Count("tracks", filter=Q(tracks__state__in=TrackState.finished())),
        successful_count=Count("tracks", filter=Q(tracks__state=TrackState.DONE)),
        failed_tracks_count=Count("tracks", filter=Q(tracks__state=TrackState.FAILED)),
    )


def download_of(*, owner, download_id) -> Download:
    """One of the user's downloads with its tracks; another user's is not found."""
    download = (
        downloads_of(owner=owner)
        .prefetch_related(Prefetch("tracks", queryset=DownloadTrack.objects.order_by("position")))
        .filter(pk=download_id)
        .first()
    )
    if download is None:
        raise NotFound("No download with this id.")
    return download


def active_count(*, owner) -> int:
    """The user's downloads still pending or running."""
    return Download.objects.filter(owner=owner, status__in=JobStatus.active()).count()
