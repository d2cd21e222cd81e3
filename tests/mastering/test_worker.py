"""An analysis through a real Celery worker process, Redis, PostgreSQL and the S3 server."""

import time

import pytest

from mastering.models import Analysis
from tests.chants.test_worker import wait_for
from tests.conftest import bearer_client
from tests.mastering.test_api import ANALYSES, upload

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_measures_an_uploaded_mix(celery_worker, s3_storage, user):
    client = bearer_client(user)
    accepted = upload(client, genre="techno")
    assert accepted.status_code == 202 and accepted.json()["status"] == "pending"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        analysis = Analysis.objects.get(pk=accepted.json()["id"])
        if analysis.status in ("done", "failed"):
            break
        time.sleep(0.3)
    assert (analysis.status, analysis.error) == ("done", ""), celery_worker.log_tail()
    assert analysis.started_at and analysis.finished_at >= analysis.started_at
    assert "task mastering.tasks.analysis_run started" in celery_worker.log_text()
    detail = client.get(f"{ANALYSES}{analysis.pk}/").json()
    assert detail["overall"]["integrated_lufs"] is not None and len(detail["bands"]) == 5


def test_a_file_whose_header_claims_8_hz_fails_and_the_worker_lives_on(celery_worker, s3_storage, user):
    from tests.mastering.test_formats import wav_header_claiming

    client = bearer_client(user)
    log_before = len(celery_worker.log_text())  # the worker is shared by the session: judge this test's lines
    hostile = wav_header_claiming(8)
    assert len(hostile) == 204  # the attack's file, as reported

    accepted = upload(client, hostile, name="hostile.wav", genre="techno")
    assert accepted.status_code == 202, accepted.content
    analysis = wait_for(
        lambda: Analysis.objects.filter(pk=accepted.json()["id"], status__in=("done", "failed")).first(),
        what=f"the analysis to end\n{celery_worker.log_tail()}",
    )

    assert analysis.status == "failed", celery_worker.log_tail()
    assert "8 Hz" in analysis.error and analysis.attempts == 1
    assert celery_worker.process.poll() is None  # the worker is alive
    assert "WorkerLostError" not in celery_worker.log_text()[log_before:]
