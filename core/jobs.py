"""One way to run a row's background job: heartbeat, final failure, and recovery from a lost worker.

Every app's job rows (a track's transcode, a song asset's check, later an analysis or a download)
inherit `Job`: one status vocabulary (`JobStatus`, each model naming the states it uses), the
reason of a failure, and when the job was queued, started, last alive and finished. A service moves
a row with `mark_queued` and `mark_finished`, and every task body runs inside `run_job`:

- the row is loaded through its status by the service, so a redelivered or duplicate task finds
  nothing to do (the services already do this);
- while the work runs, a thread stamps `heartbeat_at` every JOB_HEARTBEAT_SECONDS;
- a soft time limit, a missing object and the last retry of a storage error end the row `failed`
  with a readable reason; other storage and network errors are retried with growing pauses, five
  times at most; a missing object is never retried: it will not come back;
- any other exception ends the row `failed` with the model's generic reason (the traceback goes
  to the log): a job never stays `running` because its code had a bug or its input a surprise.

**Every job ends.** A worker killed as a whole (a crashed host, the OOM killer, a hard time
limit, a native library aborting on a hostile file) leaves its row `running` with a heartbeat that
stops. The one sweep, `stalled_jobs_requeue` (beat, every minute), hands `stalled` rows back to
their task: those whose heartbeat is older than JOB_STALLED_AFTER_SECONDS, or that were queued
that long ago and never started. Each start by a worker counts one of the row's `attempts`; a
start that hands the job back on purpose (a `Deferred` wait, the retry of an outage) gives its
count back, so `attempts` counts the workers the job lost, plus the one that runs or ran it last.
A row that lost its worker JOB_MAX_ATTEMPTS times is failed, with the model's `gave_up_message`,
and never queued again: by the sweep, or by the worker that would start it a further time (a
broker redelivery the sweep did not see). A poison file costs at most JOB_MAX_ATTEMPTS worker
restarts, once. A fresh run asked for by a user (`mark_queued`) starts from zero again.

The broker's own redelivery of unacknowledged tasks (`acks_late`) comes after its visibility
timeout, which settings keep above the longest time limit so a task still running is never
delivered twice by the broker.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

logger = logging.getLogger(__name__)

MISSING_OBJECT = "The file is no longer in storage."


class JobStatus(models.TextChoices):
    """Every state a job row can be in, named once for the whole project; a model uses a subset."""

    # An upload's check (tracks, chants): awaiting_upload -> processing -> ready | failed (| replaced).
    AWAITING_UPLOAD = "awaiting_upload", "Awaiting upload"  # a client is still sending the input
    PROCESSING = "processing", "Processing"  # queued or running: a worker owns it (see stalled)
    READY = "ready", "Ready"  # the resource can be used
    REPLACED = "replaced", "Replaced by a later upload"
    # A job asked for as such (an analysis, a download, a monthly run): pending -> running -> done | failed (| expired).
    PENDING = "pending", "Pending"  # queued, no worker has started it
    RUNNING = "running", "Running"  # a worker started it (run_job sets it)
    DONE = "done", "Done"
    EXPIRED = "expired", "Expired"  # done, and what it made is gone (a download link past its time)
    FAILED = "failed", "Failed"

    @classmethod
    def finished(cls) -> tuple[str, ...]:
        return (cls.READY, cls.DONE, cls.FAILED, cls.REPLACED, cls.EXPIRED)

    @classmethod
    def active(cls) -> tuple[str, ...]:
        """States in which a worker owns the row, or should: the stalled-job sweep looks at these."""
        return (cls.PENDING, cls.PROCESSING, cls.RUNNING)


def job_status_field(*states: JobStatus, default: JobStatus) -> models.CharField:
    """The `status` field of a job model that uses `states` (in the order the admin lists them)."""
    if default not in states:
        raise ValueError(f"{default!r} is not one of {states!r}")
    return models.CharField(max_length=20, choices=[(s.value, s.label) for s in states], default=default)


class Job(models.Model):
    """A row that a background task processes: status, failure reason and the job's timestamps.

    Subclasses narrow `status` with `job_status_field(...)`; code compares with `JobStatus` members.
    """

    status = job_status_field(
        JobStatus.PENDING, JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED, default=JobStatus.PENDING
    )
    error = models.TextField(blank=True, help_text="Why the job failed, in words its user can act on.")
    queued_at = models.DateTimeField(null=True, blank=True, help_text="When the job was last handed to a worker.")
    started_at = models.DateTimeField(null=True, blank=True, help_text="When a worker started the work.")
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker doing it; a stale one is re-queued."
    )
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When the job ended, ready or failed.")
    attempts = models.PositiveSmallIntegerField(
        default=0,
        help_text="Starts by a worker, less those that handed it back (a wait, an outage retry).",
    )

    # What users read when the job ended on its own terms; a model says it in its own words.
    gave_up_message = "This file stopped the worker {attempts} times; it will not be tried again."
    unexpected_error_message = "The job stopped on an unexpected error; it was logged and will be looked into."
    # The last retry of an outage (`is_transient`): `{error}` is the exception's text.
    outage_message = "Storage was unavailable: {error}"

    # What a save after mark_queued / mark_finished must write (plus the model's own auto fields).
    QUEUED_FIELDS = ("status", "error", "queued_at", "started_at", "heartbeat_at", "finished_at", "attempts")
    FINISHED_FIELDS = ("status", "error", "finished_at")

    class Meta:
        abstract = True

    @classmethod
    def status_choices(cls) -> list[tuple[str, str]]:
        """This model's (value, label) states: what the API schema's enum of it is named after."""
        return list(cls._meta.get_field("status").choices)

    def mark_waiting(self, status: JobStatus) -> list[str]:
        """Back to waiting for its input (`awaiting_upload`, `pending`), the last run forgotten."""
        if status not in (JobStatus.AWAITING_UPLOAD, JobStatus.PENDING):
            raise ValueError(f"{status!r} is not a waiting state")
        self.status, self.error, self.attempts = status, "", 0
        self.queued_at = self.started_at = self.heartbeat_at = self.finished_at = None
        return [*self.QUEUED_FIELDS, *self._auto_now_fields()]

    @classmethod
    def uses(cls, status: JobStatus) -> bool:
        return any(value == status for value, _ in cls.status_choices())

    def mark_queued(self, *, now=None) -> list[str]:
        """Handed to a worker from now on (`processing`, or `pending` until it starts), a fresh run.

        Returns the fields to save.
        """
        self.status, self.error = (JobStatus.PROCESSING if self.uses(JobStatus.PROCESSING) else JobStatus.PENDING), ""
        self.queued_at, self.started_at, self.heartbeat_at, self.finished_at = now or timezone.now(), None, None, None
        self.attempts = 0
        return [*self.QUEUED_FIELDS, *self._auto_now_fields()]

    def mark_finished(self, status: JobStatus, *, error: str = "", now=None) -> list[str]:
        """Ended `status` (ready, failed, ...), with the reason of a failure: returns the fields to save."""
        if status not in JobStatus.finished():
            raise ValueError(f"{status!r} is not a final state")
        self.status, self.error, self.finished_at = status, error, now or timezone.now()
        return [*self.FINISHED_FIELDS, *self._auto_now_fields()]

    def _auto_now_fields(self) -> list[str]:
        return [f.name for f in self._meta.concrete_fields if getattr(f, "auto_now", False)]


def is_missing_object(exc: BaseException) -> bool:
    """A storage error that says the object is not there: permanent, unlike an outage."""
    if isinstance(exc, FileNotFoundError):
        return True
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")
    return False


def is_transient(exc: BaseException) -> bool:
    """A storage or network error that can pass: retried with backoff, a few times.

    S3's own answers count only when they say it is busy or failing (5xx, throttling); a refusal
    such as AccessDenied will answer the same next time.
    """
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or error.get("Code") in ("SlowDown", "Throttling", "RequestTimeout")
    return isinstance(exc, OSError | BotoCoreError) and not is_missing_object(exc)


def job_start(model: type[models.Model], pk) -> int:
    """Count a worker's start of an active row (a `pending` row becomes `running`); its attempts now.

    0 when the row is no longer active (a duplicate or late delivery): nothing was counted.
    """
    now = timezone.now()
    rows = model._default_manager.filter(pk=pk, status__in=JobStatus.active())
    changes = {"started_at": now, "heartbeat_at": now, "attempts": F("attempts") + 1}
    if model.uses(JobStatus.RUNNING):
        changes["status"] = Case(
            When(status=JobStatus.PENDING, then=Value(JobStatus.RUNNING.value)), default=F("status")
        )
    with transaction.atomic():  # the UPDATE's row lock makes the count read back this start's own
        if not rows.update(**changes):
            return 0
        return rows.values_list("attempts", flat=True).first() or 0


@contextmanager
def heartbeat(model: type[models.Model], pk, *, every: float | None = None):
    """Stamp the row's heartbeat_at every `every` s while the block runs (the start is `job_start`)."""
    every = every or settings.JOB_HEARTBEAT_SECONDS
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                model._default_manager.filter(pk=pk).update(heartbeat_at=timezone.now())
        except Exception:  # noqa: BLE001 - a failed beat must not kill the work; the sweep may re-queue it
            logger.exception("heartbeat of %s %s failed", model.__name__, pk)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 5)


class Deferred(Exception):
    """The work cannot go on for `seconds` (an outside service's rate limit): the task is sent again then.

    Raised by a service after it has put its own rows back where a later run picks them up; the
    job row goes back to `pending`, queued for the time the task is due, so the stalled sweep
    leaves it alone until then.
    """

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"deferred for {seconds:.0f} s")
        self.seconds = max(float(seconds), 1.0)


def run_job(
    task, *, model: type[models.Model], pk, work: Callable[[], None], fail: Callable[[str], None], too_slow: str
) -> None:
    """The body every job task shares: `work()` under a heartbeat, and one way to end in failure.

    `fail(reason)` must end the row `failed` only if it is still being processed (a service).
    Transient errors are retried by the task, the row handed back until then; on the last retry
    the row fails instead. `Deferred` sends the task again after its delay, however often. Any
    other exception fails the row with the model's generic reason; it is not raised again, so a
    worker never dies of a job's exception.
    """
    attempts = job_start(model, pk)
    if attempts > settings.JOB_MAX_ATTEMPTS:
        # Started again after losing its worker JOB_MAX_ATTEMPTS times (a redelivery the sweep missed).
        logger.error("%s %s gave up: its worker was lost %d times", model.__name__, pk, attempts - 1)
        fail(model.gave_up_message.format(attempts=attempts - 1))
        return
    try:
        with heartbeat(model, pk):
            work()
    except Deferred as deferred:
        countdown = math.ceil(deferred.seconds)
        _hand_back(model, pk, countdown)
        logger.info("%s %s deferred for %d s: %s", model.__name__, pk, countdown, deferred)
        task.apply_async(args=(str(pk),), countdown=countdown)
    except SoftTimeLimitExceeded:
        fail(too_slow)
    except Exception as exc:
        if is_missing_object(exc):
            fail(MISSING_OBJECT)
            return
        if not is_transient(exc):
            logger.exception("%s %s failed on an unexpected error", model.__name__, pk)
            fail(model.unexpected_error_message)
            return
        if task.request.retries >= task.max_retries:
            fail(model.outage_message.format(error=exc))
            return
        countdown = backoff(task.request.retries)
        _hand_back(model, pk, countdown)
        raise task.retry(exc=exc, countdown=countdown) from exc


def _hand_back(model: type[models.Model], pk, countdown: int) -> None:
    """The row waits for the task sent again in `countdown` s: due then, its start given back."""
    due = timezone.now() + timedelta(seconds=countdown)
    model._default_manager.filter(pk=pk, status__in=JobStatus.active()).update(
        status=JobStatus.PENDING if model.uses(JobStatus.PENDING) else JobStatus.PROCESSING,
        queued_at=due,
        started_at=None,
        heartbeat_at=None,
        attempts=Greatest(F("attempts") - 1, Value(0)),
    )


def backoff(retries: int) -> int:
    """Seconds before retry number `retries` + 1: 2, 4, 8, ... and at most five minutes."""
    return min(2 ** (retries + 1), 300)


@dataclass(frozen=True)
class JobKind:
    """Rows of one model that a task processes; registered by the app that owns them (AppConfig.ready)."""

    model: str  # "app_label.Model", a Job
    task: str  # the task's dotted path (its name); it takes the row's id


_KINDS: list[JobKind] = []


def register(kind: JobKind) -> None:
    if kind not in _KINDS:
        _KINDS.append(kind)


def stalled_jobs_requeue(*, now=None) -> int:
    """Every registered kind's stalled rows go back to their task, or fail after JOB_MAX_ATTEMPTS lost workers.

    The beat job of every minute; returns how many rows were re-queued.
    """
    from django.apps import apps
    from django.utils.module_loading import import_string

    requeued = 0
    for kind in _KINDS:
        rows = stalled(apps.get_model(kind.model)._default_manager.filter(status__in=JobStatus.active()), now=now)
        jobs_give_up(rows.filter(attempts__gte=settings.JOB_MAX_ATTEMPTS), now=now)
        # Imported here: a process may not have imported the task's module yet.
        requeued += requeue(rows.filter(attempts__lt=settings.JOB_MAX_ATTEMPTS), import_string(kind.task), now=now)
    return requeued


def jobs_give_up(queryset: models.QuerySet, *, now=None) -> int:
    """Fail the rows of `queryset` (stalled, out of attempts), each checked again under its lock."""
    failed = 0
    for pk in queryset.values_list("pk", flat=True):
        with transaction.atomic():
            row = queryset.select_for_update().filter(pk=pk).first()
            if row is None:  # picked up or finished meanwhile
                continue
            error = row.gave_up_message.format(attempts=row.attempts)
            row.save(update_fields=row.mark_finished(JobStatus.FAILED, error=error, now=now))
        logger.error("%s %s gave up: its worker was lost %d times", queryset.model.__name__, pk, row.attempts)
        failed += 1
    return failed


def stalled(queryset: models.QuerySet, *, now=None) -> models.QuerySet:
    """Rows of `queryset` (already filtered on the processing status) whose worker is gone.

    Started: the heartbeat stopped over JOB_STALLED_AFTER_SECONDS ago. Never started: queued that
    long ago (the message was lost, or its worker died before it began).
    """
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.JOB_STALLED_AFTER_SECONDS)
    return queryset.filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, queued_at__lt=cutoff))


def requeue(queryset: models.QuerySet, task, *, now=None) -> int:
    """Send the task again for each row, marking it so the next sweep waits a full period again."""
    now = now or timezone.now()
    ids = list(queryset.values_list("pk", flat=True))
    queryset.model._default_manager.filter(pk__in=ids).update(heartbeat_at=now)
    for pk in ids:
        task.delay(str(pk))
    if ids:
        logger.warning("%s: re-queued %d stalled jobs: %s", task.name, len(ids), ", ".join(map(str, ids)))
    return len(ids)
