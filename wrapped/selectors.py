from django.db.models import QuerySet

from wrapped.models import SpotifyAccount


def wrapped_enrolled() -> QuerySet[SpotifyAccount]:
    return SpotifyAccount.objects.filter(active=True, active_wrapped=True).order_by("pk")


def release_radar_enrolled() -> QuerySet[SpotifyAccount]:
    return SpotifyAccount.objects.filter(active=True, active_release_radar=True).order_by("pk")
