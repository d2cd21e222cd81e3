"""Reads of Guess The Track: what is due, and how the practice goes."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from learning.models import Card, ReviewLog
from learning.sm2 import PASSING_GRADE, utc_day

FORECAST_DAYS = 14


def due_cards(*, user, limit: int, now: datetime | None = None) -> list[Card]:
    """Today's drills first, then due cards by due time: two index range scans, whatever the library size."""
    now = now or timezone.now()
    cards = Card.objects.select_related("track")
    drills = list(cards.filter(user=user, drill_day=utc_day(now)).order_by("last_reviewed_at", "id")[:limit])
    due = cards.filter(user=user, due_at__lte=now).exclude(drill_day=utc_day(now)).order_by("due_at", "id")
    return drills + list(due[: limit - len(drills)]) if len(drills) < limit else drills


def card_of_track(*, user, track_id) -> Card:
    return Card.objects.get(user=user, track_id=track_id)


def history(*, card: Card) -> QuerySet[ReviewLog]:
    return card.reviews.order_by("-reviewed_at", "-id")


def stats(*, user, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    today = utc_day(now)
    start_of_today = datetime.combine(today, datetime.min.time(), tzinfo=dt_timezone.utc)
    cards = Card.objects.filter(user=user)
    reviews = ReviewLog.objects.filter(user=user)
    month = reviews.filter(reviewed_at__gte=now - timedelta(days=30), drill=False).aggregate(
        total=Count("id"), passed=Count("id", filter=Q(grade__gte=PASSING_GRADE))
    )
    horizon = start_of_today + timedelta(days=FORECAST_DAYS)
    per_day = dict(
        cards.filter(due_at__lt=horizon)
        .annotate(day=TruncDate("due_at", tzinfo=dt_timezone.utc))
        .values_list("day")
        .annotate(count=Count("id"))
        .values_list("day", "count")
    )
    overdue = sum(count for day, count in per_day.items() if day < today)
    forecast = [
        {"date": today + timedelta(days=offset), "due": per_day.get(today + timedelta(days=offset), 0) + (overdue if offset == 0 else 0)}
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
        .annotate(day=TruncDate("reviewed_at", tzinfo=dt_timezone.utc))
        .values_list("day", flat=True)
        .distinct()
    )
    cursor = today if today in days else today - timedelta(days=1)
    streak = 0
    while cursor in days:
        streak += 1
        cursor -= timedelta(days=1)
    return streak
