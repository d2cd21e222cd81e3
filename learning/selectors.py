"""Reads of Guess The Track: what is due, and how the practice goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from learning.models import Card, ReviewLog
from learning.sm2 import PASSING_GRADE, utc_day

FORECAST_DAYS = 14


DUE_FIELDS = (
    "track_id",
    "track__name",
    "track__artist",
    "track__file_name",
    "track__mp3_key",
    "easiness_factor",
    "repetitions",
    "interval_days",
    "due_at",
    "last_reviewed_at",
    "drill_day",
    "stability",
    "difficulty",
)


def due_cards(*, user, limit: int, now: datetime | None = None) -> list[dict]:
    """Rows of today's drills first, then due cards by due time.

    Two index range scans, on (user, drill_day) and (user, due_at), whatever the size of
    the library; rows rather than model instances, as the list is read on every guess.
    """
    drills, due = due_querysets(user=user, now=now or timezone.now())
    found = list(drills[:limit])
    if len(found) >= limit:
        return found
    return found + list(due[: limit - len(found)])


def due_querysets(*, user, now: datetime) -> tuple[QuerySet, QuerySet]:
    """The two queries of the due list, unsliced: today's drills, then the other cards due by `now`."""
    today = utc_day(now)
    cards = Card.objects.filter(user=user)
    drills = cards.filter(drill_day=today).order_by("last_reviewed_at", "id").values(*DUE_FIELDS)
    due = cards.filter(due_at__lte=now).exclude(drill_day=today).order_by("due_at", "id").values(*DUE_FIELDS)
    return drills, due


def card_of_track(*, user, track_id) -> Card:
    return Card.objects.get(user=user, track_id=track_id)


def history(*, card: Card) -> QuerySet[ReviewLog]:
    return card.reviews.order_by("-reviewed_at", "-id")


def stats(*, user, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    today = utc_day(now)
    start_of_today = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    cards = Card.objects.filter(user=user)
    reviews = ReviewLog.objects.filter(user=user)
    month = reviews.filter(reviewed_at__gte=now - timedelta(days=30), drill=False).aggregate(
        total=Count("id"), passed=Count("id", filter=Q(grade__gte=PASSING_GRADE))
    )
    horizon = start_of_today + timedelta(days=FORECAST_DAYS)
    per_day = dict(
        cards.filter(due_at__lt=horizon)
        .annotate(day=TruncDate("due_at", tzinfo=UTC))
        .values_list("day")
        .annotate(count=Count("id"))
        .values_list("day", "count")
    )
    # Today also counts what is overdue, and today's drills that are next due on a later day.
    per_day[today] = (
        per_day.get(today, 0)
        + sum(count for day, count in per_day.items() if day < today)
        + cards.filter(drill_day=today, due_at__gte=start_of_today + timedelta(days=1)).count()
    )
    forecast = [
        {"date": today + timedelta(days=offset), "due": per_day.get(today + timedelta(days=offset), 0)}
        for offset in range(FORECAST_DAYS)
    ]
    return {
        "cards_total": cards.count(),
        "due_now": cards.filter(Q(due_at__lte=now) | Q(drill_day=today)).count(),
        "reviewed_today": reviews.filter(reviewed_at__gte=start_of_today).count(),
        "retention_30_days": (month["passed"] / month["total"]) if month["total"] else None,
        "forecast": forecast,
        "streak_days": _streak(reviews, today, now),
    }


def _streak(reviews: QuerySet[ReviewLog], today, now: datetime) -> int:
    """Days in a row with reviews, ending today (or yesterday, when today has none yet)."""
    days = set(
        reviews.filter(reviewed_at__gte=now - timedelta(days=3650))
        .annotate(day=TruncDate("reviewed_at", tzinfo=UTC))
        .values_list("day", flat=True)
        .distinct()
    )
    cursor = today if today in days else today - timedelta(days=1)
    streak = 0
    while cursor in days:
        streak += 1
        cursor -= timedelta(days=1)
    return streak
