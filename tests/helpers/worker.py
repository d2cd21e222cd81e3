"""A Celery worker process for integration tests, pointed at the test database."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from core.processes import argv_dying_with_parent

START_TIMEOUT_SECONDS = 60


def _test_database_url() -> str:
    database = settings.DATABASES["default"]
    # pytest-django has already renamed NAME to the test database.
    return (
        f"postgres://{database['USER']}:{database.get('PASSWORD') or ''}@"
        f"{database['HOST']}:{database['PORT']}/{database['NAME']}"
    )


class CeleryWorker:
    def __init__(
        self,
        *,
        log_dir: Path,
        name: str = "tests",
        concurrency: int = 2,
        queues: str = "default,audio,network",
        env: dict[str, str] | None = None,
    ):
        self.log_path = Path(log_dir) / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.name, self.concurrency, self.queues, self.extra_env = name, concurrency, queues, env or {}
        self.hostname = f"{name}-{os.getpid()}@{socket.gethostname()}"

    def start(self) -> None:
        if connection.vendor != "postgresql":
            raise RuntimeError("the worker tests need PostgreSQL (DATABASE_URL)")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _test_database_url(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "LOG_LEVEL": "INFO",
            **self.extra_env,
        }
        self.log_file = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            argv_dying_with_parent(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--queues",
                    self.queues,
                    "--concurrency",
                    str(self.concurrency),
                    "--without-mingle",
                    "--without-gossip",
                    "--hostname",
                    self.hostname,
                    "--loglevel",
                    "INFO",
                ],
                signal.SIGTERM,
            ),
            env=env,
            cwd=settings.BASE_DIR,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited at start:\n{self.log_tail()}")
            if celery_app.control.ping(timeout=0.5, destination=[self.hostname]):
                return
        self.stop()
        raise RuntimeError(f"the Celery worker did not answer a ping in time:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log_file", None):
            self.log_file.close()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text()
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:]) or "(no worker log)"
