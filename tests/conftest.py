"""Fixtures shared by every app's tests: users and clients, storage modes, a Celery worker."""

import os

import pytest
from django.core.cache import cache
from django.test import TestCase
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from chants import cache as song_cache
from config.celery import app as celery_app
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.helpers.worker import CeleryWorker

SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME")


def services_missing() -> list[str]:
    return [name for name in SERVICE_VARIABLES if not os.environ.get(name)]


def pytest_collection_modifyitems(config, items):
    missing = services_missing()
    if not missing:
        return
    skip = pytest.mark.skip(reason=f"needs the services of `make test` ({', '.join(missing)} not set)")
    for item in items:
        if "services" in item.keywords or "worker" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_media_and_tasks(settings, tmp_path):
    """A fresh MEDIA_ROOT per test, tasks run in-process unless a test starts a worker."""
    settings.MEDIA_ROOT = tmp_path / "media"
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    song_cache.clear_local()
    yield


class CommittingAPIClient(APIClient):
    """Runs each request's on_commit callbacks when the request ends, as the real commit would.

    Tests run inside a transaction that is rolled back, so without this the work
    queued with transaction.on_commit (Celery tasks, object deletion) never runs.
    """

    def request(self, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**kwargs)


@pytest.fixture
def api_client() -> APIClient:
    return CommittingAPIClient()


def bearer_client(user) -> APIClient:
    client = CommittingAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(staff=True)


@pytest.fixture
def curator(client, staff_user):
    """A Django test client logged in to the admin as a superuser."""
    staff_user.is_superuser = True
    staff_user.save()
    client.login(username=staff_user.username, password=DEFAULT_PASSWORD)
    return client


@pytest.fixture
def client_a(user) -> APIClient:
    return bearer_client(user)


@pytest.fixture
def client_b(other_user) -> APIClient:
    return bearer_client(other_user)


@pytest.fixture
def local_storage(settings):
    """The embedded default's storage: files under MEDIA_ROOT, served through signed URLs."""
    settings.STORAGE_USES_S3 = False
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "core.storage_backends.SignedFileSystemStorage", "OPTIONS": {"allow_overwrite": True}},
    }
    return "local"


@pytest.fixture
def s3_storage(settings):
    """The S3-compatible server started by `make test`."""
    if not os.environ.get("AWS_STORAGE_BUCKET_NAME"):
        pytest.skip("needs the S3 server of `make test` (AWS_STORAGE_BUCKET_NAME not set)")
    assert settings.STORAGE_USES_S3
    return "s3"


@pytest.fixture(params=["local", "s3"])
def storage_mode(request):
    """Run a test once on local storage and once on the S3 server."""
    return request.getfixturevalue(f"{request.param}_storage")


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real `celery worker` process on the Redis broker, using the test database."""
    worker = CeleryWorker(log_dir=tmp_path_factory.mktemp("celery"))
    with django_db_blocker.unblock():
        worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(celery_worker_process):
    """Send tasks to the worker process instead of running them in-process."""
    celery_app.conf.task_always_eager = False
    yield celery_worker_process
    celery_app.conf.task_always_eager = True
