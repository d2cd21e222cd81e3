"""`manage.py serve`: the whole product on one machine, as `make run` starts it.

One command brings up what production runs as separate services: the web server, a Celery
worker (every queue) and beat (the periodic jobs of the admin's "Periodic tasks"), on whatever
broker and database the settings name; with no variables set, the embedded default's SQLite
and file-system broker under DATA_DIR, so no server needs to be installed. Before anything
else it checks that the port is free, then migrates and makes sure an admin exists.

Each child runs in a process group of its own, so one Ctrl-C reaches this command only, and it
stops them in order: the web server and beat at once, the worker after it has had
SERVE_WORKER_STOP_SECONDS to finish its current task (a job cut short is picked up again by the
stalled-job sweep on the next start, see core.jobs). Each child also dies with this command
(core.processes), even when it is killed with SIGKILL.

A worker that dies (a job that crashes it, the OOM killer) is replaced: the command says how it
ended and where its log is, kills what is left of its process group, and starts a new one while
the web server and beat keep running. The job it was running is re-queued by the stalled-job sweep
and failed once it has lost JOB_MAX_ATTEMPTS workers, so one bad file does not stop the product.
At most SERVE_WORKER_RESTARTS (5) new workers are started within
SERVE_WORKER_RESTART_WINDOW_SECONDS (60 s); a worker that dies
past that keeps dying, and the command stops everything and fails, saying so and where its log
is. If the web server or beat dies, the others are stopped too and the command fails, saying
which one and where its log is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core.ports import port_problem
from core.processes import argv_dying_with_parent

QUEUES = "default,audio,network"
READY_TIMEOUT_SECONDS = 60
STOP_SECONDS = 10


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _how_it_ended(returncode: int) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-returncode).name}"
        return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path | None  # None: it writes to this terminal

    def stop(self, sig: int = signal.SIGTERM, *, group: bool = True) -> None:
        """Signal the child, and with `group` what it started too (the worker's pool, the server's reloader)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig) if group else self.process.send_signal(sig)

    def wait(self, seconds: float) -> bool:
        try:
            self.process.wait(timeout=seconds)
            return True
        except subprocess.TimeoutExpired:
            return False


class Command(BaseCommand):
    help = "Check the port, migrate, ensure an admin, then serve with a Celery worker and beat beside the server."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--concurrency", type=int, default=settings.WORKER_CONCURRENCY, help="Worker processes.")

    def handle(self, *args, host: str, port: str, concurrency: int, **options):
        problem = port_problem(host, port)
        if problem:
            raise CommandError(problem)
        # Ctrl-C and a service manager's SIGTERM both stop everything in order, even when this
        # process was started with SIGINT ignored (in the background of a non-interactive shell).
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        self.step(f"Migrating the database ({self.database_name()})")
        call_command("migrate", interactive=False, verbosity=0)
        self.step("Checking the admin user")
        call_command("ensure_superuser")
        log_dir = Path(settings.DATA_DIR) / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.step(f"Starting a Celery worker and beat (logs in {log_dir})")
        self.worker_arguments = ["-m", "celery", "-A", "config", "worker", "-Q", QUEUES, "-c", str(concurrency)]
        self.worker_arguments += ["-l", "INFO"]
        self.worker_restarts: deque[float] = deque()  # when each new worker was started (monotonic)
        children = [
            self.start("worker", self.worker_arguments, log_dir),
            self.start("beat", ["-m", "celery", "-A", "config", "beat", "-l", "INFO"], log_dir),
            self.start("web server", [str(Path(settings.BASE_DIR) / "manage.py"), "runserver", f"{host}:{port}"]),
        ]
        # One-off set-up that may take a while (rendering the built-in references the first time)
        # runs beside the server instead of before it; its end is reported, it stops nothing.
        one_off = [
            self.start(name, [str(Path(settings.BASE_DIR) / "manage.py"), *command], log_dir)
            for name, command in settings.SERVE_SETUP_COMMANDS
        ]
        try:
            url = f"http://{host}:{port}/"
            self.wait_until_listening(host, int(port), children)
            self.step(f"Serving at {url}  (API docs {url}api/docs/, admin {url}admin/); Ctrl-C stops everything")
            self.supervise(children, one_off)
        except KeyboardInterrupt:
            self.stdout.write("")
            self.step("Stopping")
        finally:
            self.stop_all(children + one_off)

    def step(self, text: str) -> None:
        self.stdout.write(self.style.HTTP_INFO(f"==> {text}"))

    @staticmethod
    def database_name() -> str:
        database = settings.DATABASES["default"]
        return f"{database['ENGINE'].rsplit('.', 1)[-1]} {database.get('NAME') or ''}".strip()

    @staticmethod
    def start(name: str, arguments: list[str], log_dir: Path | None = None) -> Child:
        log = log_dir / f"{name.replace(' ', '-')}.log" if log_dir else None
        output = open(log, "ab") if log else None  # noqa: SIM115 - the child keeps it
        process = subprocess.Popen(
            argv_dying_with_parent([sys.executable, *arguments], signal.SIGTERM),
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a group of its own: Ctrl-C is ours to pass on, in order
        )
        if output:
            output.close()
        return Child(name, process, log)

    def wait_until_listening(self, host: str, port: int, children: list[Child]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            self.check_alive(children)
            try:
                with socket.create_connection((host if host not in ("0.0.0.0", "::") else "127.0.0.1", port), 1):
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"The web server did not listen on {host}:{port} within {READY_TIMEOUT_SECONDS} s.")

    def supervise(self, children: list[Child], one_off: list[Child]) -> None:
        while True:
            self.check_alive(children)
            for child in [c for c in one_off if c.process.poll() is not None]:
                one_off.remove(child)
                outcome = "done" if child.process.returncode == 0 else f"failed (exit {child.process.returncode})"
                self.step(f"{child.name}: {outcome}; its log: {child.log}")
            time.sleep(0.5)

    def check_alive(self, children: list[Child]) -> None:
        """Replace a worker that died; fail if the web server or beat did."""
        for index, child in enumerate(children):
            code = child.process.poll()
            if code is None:
                continue
            if child.name == "worker":
                children[index] = self.restart_worker(child)
                continue
            where = f"; its log: {child.log}" if child.log else ""
            raise CommandError(f"The {child.name} stopped ({_how_it_ended(code)}){where}. Everything else is stopped.")

    def restart_worker(self, dead: Child) -> Child:
        """A new worker in place of `dead`, unless workers have died too often lately."""
        allowed, window = settings.SERVE_WORKER_RESTARTS, settings.SERVE_WORKER_RESTART_WINDOW_SECONDS
        how = _how_it_ended(dead.process.returncode)
        # Its pool processes (and their ffmpeg) may outlive it; they would hold tasks nobody reports.
        dead.stop(signal.SIGKILL)
        now = time.monotonic()
        while self.worker_restarts and self.worker_restarts[0] <= now - window:
            self.worker_restarts.popleft()
        if len(self.worker_restarts) >= allowed:
            deaths = len(self.worker_restarts) + 1
            raise CommandError(
                f"The worker keeps dying ({deaths} time{'s' if deaths > 1 else ''} within {window:g} s, "
                f"the last {how}); its log: {dead.log}. Everything else is stopped."
            )
        self.worker_restarts.append(now)
        self.stderr.write(
            f"==> The worker stopped ({how}); its log: {dead.log}. Starting a new one "
            f"({len(self.worker_restarts)} of at most {allowed} within {window:g} s); "
            "the web server and beat keep running.",
            style_func=self.style.WARNING,
        )
        return self.start("worker", self.worker_arguments, dead.log.parent)

    @staticmethod
    def stop_all(children: list[Child]) -> None:
        worker_wait = settings.SERVE_WORKER_STOP_SECONDS
        for child in children:
            # The worker's main process stops its own pool (a warm shutdown: the current task may end).
            child.stop(group=child.name != "worker")
        for child in children:
            if not child.wait(worker_wait if child.name == "worker" else STOP_SECONDS):
                child.stop(signal.SIGKILL)
                child.wait(STOP_SECONDS)
