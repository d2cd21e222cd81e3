from collections import Counter

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from core.errors import Invalid, NotFound
from core.jobs import JobStatus
from wrapped.models import ReleaseRadarWeek, SpotifyAccount, WrappedMonth

SEVERAL_USERS = (
    "Several accounts have this e-mail address; it was not unique when they were made. "
    "Find the one you mean in the admin's user list."
)


def wrapped_enrolled() -> QuerySet[SpotifyAccount]:
    return SpotifyAccount.objects.filter(active=True, active_wrapped=True).order_by("pk")


def release_radar_enrolled() -> QuerySet[SpotifyAccount]:
    return SpotifyAccount.objects.filter(active=True, active_release_radar=True).order_by("pk")


def user_by_email(email: str):
    """The one user whose e-mail address is `email`, in any case: 404 when none, 400 when several."""
    users = list(get_user_model().objects.filter(email__iexact=email)[:2])
    if not users:
        raise NotFound("No user with this email.")
    if len(users) > 1:
        raise Invalid({"email": [SEVERAL_USERS]})
    return users[0]


def account_of(user) -> SpotifyAccount | None:
    return SpotifyAccount.objects.filter(user=user).first()


def months_of(user) -> QuerySet[WrappedMonth]:
    return WrappedMonth.objects.filter(user=user).order_by("-month_key")


def month_of(user, month_key: str) -> WrappedMonth:
    """The month's run: done with its data, or pending, running or failed with none (404 when never queued)."""
    month = WrappedMonth.objects.filter(user=user, month_key=month_key).first()
    if month is None:
        raise NotFound(f"No Wrapped saved for {month_key}.")
    return month


def weeks_of(user) -> QuerySet[ReleaseRadarWeek]:
    return ReleaseRadarWeek.objects.filter(user=user).order_by("-week_start")


def year_of(user, year: int) -> dict:
    """The year's months (whatever their status) and its aggregate over the done ones.

    A track or artist ranks by the number of months it was in the short-term top, then by its
    best average place there; genres are the months' short-term counts added up.
    """
    every = list(WrappedMonth.objects.filter(user=user, month_key__startswith=f"{year:04d}-").order_by("month_key"))
    months = [month for month in every if month.status == JobStatus.DONE]
    return {
        "year": year,
        "months": every,
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
