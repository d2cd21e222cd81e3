from collections import Counter

from django.db.models import QuerySet

from core.errors import NotFound
from wrapped.models import ReleaseRadarWeek, SpotifyAccount, WrappedMonth


def wrapped_enrolled() -> QuerySet[SpotifyAccount]:
    return SpotifyAccount.objects.filter(active=True, active_wrapped=True).order_by("pk")


def release_radar_enrolled() -> QuerySet[SpotifyAccount]:
    return SpotifyAccount.objects.filter(active=True, active_release_radar=True).order_by("pk")


def account_of(user) -> SpotifyAccount | None:
    return SpotifyAccount.objects.filter(user=user).first()


def months_of(user) -> QuerySet[WrappedMonth]:
    return WrappedMonth.objects.filter(user=user).order_by("-month_key")


def month_of(user, month_key: str) -> WrappedMonth:
    month = WrappedMonth.objects.filter(user=user, month_key=month_key).first()
    if month is None:
        raise NotFound(f"No Wrapped saved for {month_key}.")
    return month


def weeks_of(user) -> QuerySet[ReleaseRadarWeek]:
    return ReleaseRadarWeek.objects.filter(user=user).order_by("-week_start")


def year_of(user, year: int) -> dict:
    """The year's months and its aggregate: what was most often in the months' short-term tops.

    A track or artist ranks by the number of months it was in the short-term top, then by its
    best average place there; genres are the months' short-term counts added up.
    """
    months = list(WrappedMonth.objects.filter(user=user, month_key__startswith=f"{year:04d}-").order_by("month_key"))
    return {
        "year": year,
        "months": months,
        "top_track_ids": _most_frequent([m.top_track_ids.get("short_term") or [] for m in months]),
        "top_artist_ids": _most_frequent([m.top_artist_ids.get("short_term") or [] for m in months]),
        "top_genres": _added_genres([m.top_genres.get("short_term") for m in months]),
    }


def _most_frequent(lists: list[list[str]], limit: int = 50) -> list[str]:
    seen: dict[str, list[int]] = {}
    for ids in lists:
        for place, item in enumerate(ids):
            seen.setdefault(item, []).append(place)
    ranked = sorted(seen.items(), key=lambda kv: (-len(kv[1]), sum(kv[1]) / len(kv[1]), kv[0]))
    return [item for item, _ in ranked[:limit]]


def _added_genres(counts: list) -> dict[str, int]:
    total: Counter = Counter()
    for count in counts:
        if isinstance(count, dict):
            total.update(count)
    return dict(sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))
