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


def due_cards(*, user, now: datetime | None = None) -> DueCards:
    """Today's drills first, then the other due cards by due time: counted and sliced as a page asks."""
    return DueCards(user=user, now=now or timezone.now())


class DueCards:
    """The due list as a paginator reads it, `count()` then a slice: at most four queries a page.

    Two count the two parts, today's drills and the other cards due by now; a page then reads a
    slice of each part it reaches. All four are index range scans, on (user, drill_day) and
    (user, due_at). The page costs the same whatever the size of the library; the count grows
    with the number of cards due, read from the (user, due_at) index alone where the visibility
    map is set (about 1 ms for 10,000 due cards, bench/due_bench.py). Rows rather than model
    instances, as the list is read on every guess.
    """

    def __init__(self, *, user, now: datetime):
        self.drills, self.due = due_querysets(user=user, now=now)
        self._cards, self._today, self._now = Card.objects.filter(user=user), utc_day(now), now
        self._counts: tuple[int, int] | None = None

    def counts(self) -> tuple[int, int]:
        """(today's drills, the other cards due by now), counted once.

        Counted as the cards due by now (an index-only scan; one count over both conditions at
        once reads the table row of every due card, four to five times slower with 10,000 due)
        plus today's drills that are not due yet.
        """
        if self._counts is None:
            due_by_now = self._cards.filter(due_at__lte=self._now).count()
            drills = self._cards.filter(drill_day=self._today).aggregate(
                all=Count("*"), later=Count("due_at", filter=Q(due_at__gt=self._now))
            )
            # max(): the two counts are two statements, and a grade may land between them.
            self._counts = (drills["all"], max(due_by_now + drills["later"] - drills["all"], 0))
        return self._counts

    def count(self) -> int:
        return sum(self.counts())

    def __getitem__(self, window: slice) -> list[dict]:
        if not isinstance(window, slice) or window.step is not None:
            raise TypeError("the due list is read in slices")
        drills, due = self.counts()
        start = window.start or 0
        stop = drills + due if window.stop is None else window.stop
        rows = []
        if start < min(stop, drills):
            rows += self.drills[start : min(stop, drills)]
        if stop > drills and start < drills + due:
            rows += self.due[max(start - drills, 0) : stop - drills]
        return rows


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
