"""Migration 0003 makes the months and weeks saved before it finished runs: `done`, ended when last saved."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = ("wrapped", "0002_beat_schedules")
AFTER = ("wrapped", "0003_runs_are_jobs")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def test_rows_saved_before_runs_were_jobs_are_done():
    user = get_user_model().objects.create(username="before-jobs")  # core's tables stay as they are
    old_apps = migrate(BEFORE)
    try:
        saved = datetime(2026, 11, 1, 0, 3, tzinfo=UTC)
        month = old_apps.get_model("wrapped", "WrappedMonth").objects.create(
            user_id=user.pk, month_key="2026-10", top_track_ids={"short_term": ["t1"]}
        )
        old_apps.get_model("wrapped", "WrappedMonth").objects.filter(pk=month.pk).update(updated_at=saved)
        week = old_apps.get_model("wrapped", "ReleaseRadarWeek").objects.create(
            user_id=user.pk, week_start=date(2026, 11, 22), track_ids=["t2"]
        )
        old_apps.get_model("wrapped", "ReleaseRadarWeek").objects.filter(pk=week.pk).update(created_at=saved)

        new_apps = migrate(AFTER)
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    month = new_apps.get_model("wrapped", "WrappedMonth").objects.get(pk=month.pk)
    assert (month.status, month.error, month.finished_at, month.attempts) == ("done", "", saved, 0)
    assert month.top_track_ids == {"short_term": ["t1"]}
    week = new_apps.get_model("wrapped", "ReleaseRadarWeek").objects.get(pk=week.pk)
    assert (week.status, week.finished_at, week.track_ids) == ("done", saved, ["t2"])
