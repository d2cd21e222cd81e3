"""Log every Celery task's start, end and failure with the id of the object it works on."""

import logging
import time

from celery import signals

logger = logging.getLogger("core.tasks")
_started: dict[str, float] = {}


def _object_id(args, kwargs) -> str:
    # Tasks take the id of the row they work on as their first argument, by convention.
    if args:
        return str(args[0])
    for name, value in (kwargs or {}).items():
        if name.endswith("_id"):
            return str(value)
    return "-"


@signals.task_prerun.connect
def _log_start(task_id=None, task=None, args=None, kwargs=None, **_):
    _started[task_id] = time.perf_counter()
    logger.info("task %s started id=%s object=%s", task.name, task_id, _object_id(args, kwargs))


@signals.task_postrun.connect
def _log_end(task_id=None, task=None, args=None, kwargs=None, state=None, **_):
    started = _started.pop(task_id, None)
    duration = f"{(time.perf_counter() - started) * 1000:.0f}ms" if started else "-"
    logger.info(
        "task %s ended id=%s object=%s state=%s duration=%s",
        task.name,
        task_id,
        _object_id(args, kwargs),
        state,
        duration,
    )


@signals.task_failure.connect
def _log_failure(task_id=None, exception=None, args=None, kwargs=None, sender=None, **_):
    logger.error(
        "task %s failed id=%s object=%s error=%s: %s",
        getattr(sender, "name", "?"),
        task_id,
        _object_id(args, kwargs),
        type(exception).__name__,
        exception,
    )


@signals.task_retry.connect
def _log_retry(request=None, reason=None, sender=None, **_):
    logger.warning(
        "task %s retrying id=%s object=%s reason=%s",
        getattr(sender, "name", "?"),
        getattr(request, "id", "?"),
        _object_id(getattr(request, "args", None), getattr(request, "kwargs", None)),
        reason,
    )
