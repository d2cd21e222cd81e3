"""`make run`'s `manage.py serve`: the embedded default with a real worker and beat, one Ctrl-C stops all.

These start the command as a user does, in a throwaway DATA_DIR, with none of the service
variables: SQLite, local files and the file-system broker. They run in the embedded pass only.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from core.ports import port_problem
from tests.helpers.media import tone_bytes

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the embedded default's own processes; run in the embedded pass"
)

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _embedded_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS and not k.startswith(("CELERY_", "THROTTLE_"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="true", DATA_DIR=str(data_dir))
    env.update(SERVE_WORKER_STOP_SECONDS="20", WORKER_CONCURRENCY="1", LOG_LEVEL="INFO")
    return env


def _descendants(pid: int) -> set[int]:
    """The live processes started by `pid`, and by them, and so on (zombies excluded)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def _arguments(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _output(pid: int) -> str | None:
    """Where the process's standard output goes."""
    try:
        return os.readlink(f"/proc/{pid}/fd/1")
    except OSError:
        return None


def _wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_busy_port_is_reported_before_anything_runs(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert "already in use" in port_problem("127.0.0.1", port)
        checked = subprocess.run(
            [sys.executable, str(Path(settings.BASE_DIR) / "core" / "ports.py"), "127.0.0.1", str(port)],
            capture_output=True,
            text=True,
        )
        served = subprocess.run(
            [sys.executable, MANAGE, "serve", "--port", str(port)],
            env=_embedded_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert checked.returncode == 2 and f"Port {port} on 127.0.0.1 is already in use" in checked.stderr
    assert served.returncode != 0 and f"Port {port} on 127.0.0.1 is already in use" in served.stderr
    assert "Migrating" not in served.stdout and not (tmp_path / "db.sqlite3").exists()
    assert port_problem("127.0.0.1", "eighty") == "PORT='eighty' is not a port number (1-65535)."


def test_serve_runs_background_work_like_production_and_one_interrupt_stops_it_all(tmp_path):
    env = _embedded_env(tmp_path)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    # A beat entry due every second, so beat's work shows within seconds (the shipped ones run every minute).
    subprocess.run([sys.executable, MANAGE, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    subprocess.run(
        [sys.executable, MANAGE, "shell", "-c", _EVERY_SECOND],
        env=env,
        check=True,
        timeout=60,
    )
    command = subprocess.Popen(
        [sys.executable, MANAGE, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    children: set[int] = set()
    try:
        for line in command.stdout:
            output.append(line)
            if "==> Serving at" in line:
                break
        assert f"==> Serving at {base}/" in "".join(output), "".join(output)

        # A song's audio checked by the worker, not in the request: `processing` first, then `ready`.
        api = requests.Session()
        registered = api.post(
            f"{base}/api/auth/register/", json={"username": "newcomer", "password": "a long enough secret 42"}
        )
        assert registered.status_code == 201, registered.text
        api.headers["Authorization"] = f"Bearer {registered.json()['access']}"
        song = api.post(f"{base}/api/chants/songs/", json={"title": "First song"}).json()
        started = api.post(
            f"{base}/api/chants/songs/{song['id']}/assets/",
            json={"kind": "audio", "file_name": "tone.flac", "content_type": "audio/flac"},
        ).json()
        put = requests.put(started["upload_url"], data=tone_bytes("flac"), headers=started["headers"], timeout=30)
        assert put.status_code in (200, 201, 204), put.text
        completed = api.post(f"{base}/api/chants/songs/{song['id']}/assets/{started['id']}/complete/")
        assert completed.status_code == 202 and completed.json()["status"] == "processing"
        upload_url = f"{base}/api/chants/songs/{song['id']}/assets/{started['id']}/"
        done = _wait_for(
            lambda: (body := api.get(upload_url).json())["status"] != "processing" and body,
            timeout=90,
            what="the worker to check the upload",
        )
        assert (done["status"], done["error"]) == ("ready", ""), done
        assert (tmp_path / "broker" / "control").is_dir()  # the broker keeps everything under DATA_DIR

        worker_log = tmp_path / "logs" / "worker.log"
        _wait_for(
            lambda: re.search(r"Task core\.tasks\.stalled_jobs_requeue\[[^]]+\] succeeded", worker_log.read_text()),
            timeout=60,
            what="beat's every-second entry to reach the worker",
        )
        assert "chants.tasks.asset_upload_process" in worker_log.read_text()
        children = _descendants(command.pid)
        assert len(children) >= 5  # the worker and its pool process, beat, the server and its reloaded child
    finally:
        command.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends it
        rest = command.communicate(timeout=60)[0]
    assert command.returncode == 0, "".join(output) + rest
    assert "==> Stopping" in rest
    _wait_for(lambda: not _alive(children), timeout=10, what="every child to be gone")
    assert port_problem("127.0.0.1", port) is None


_EVERY_SECOND = """
from django_celery_beat.models import IntervalSchedule, PeriodicTask
every, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.create(name="test: every second", task="core.tasks.stalled_jobs_requeue", interval=every)
"""


# --- a worker that dies ---------------------------------------------------------------------


class _Serve:
    """`manage.py serve` in the background with a restart allowance; its output read by a thread."""

    def __init__(self, tmp_path: Path, *, restarts: int, window: int):
        self.data_dir = tmp_path / "data"
        env = _embedded_env(self.data_dir)
        # The restart allowance, small enough to exhaust or outlast in a test.
        env["SERVE_WORKER_RESTARTS"], env["SERVE_WORKER_RESTART_WINDOW_SECONDS"] = str(restarts), str(window)
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, MANAGE, "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_serving(self) -> None:
        _wait_for(
            lambda: "==> Serving at" in self.output() or self.process.poll() is not None,
            timeout=180,
            what="serve to start",
        )
        assert f"==> Serving at http://127.0.0.1:{self.port}/" in self.output(), self.output()

    def output(self) -> str:
        return "".join(self.lines)

    def _children(self) -> set[int]:
        return {pid for pid in _descendants(self.process.pid) if _parent(pid) == self.process.pid}

    def child(self, name: str) -> int | None:
        """The process serve started that writes to `name`'s log (Celery rewrites its command line)."""
        log = str(self.data_dir / "logs" / f"{name}.log")
        return next((pid for pid in self._children() if _output(pid) == log), None)

    def web_server(self) -> int | None:
        return next((pid for pid in self._children() if "runserver" in _arguments(pid)), None)

    def kill_worker(self) -> int | None:
        """SIGKILL the worker's main process; the pid of the worker serve starts in its place, None if it stops."""
        worker = _wait_for(lambda: self.child("worker"), timeout=30, what="a worker")
        os.kill(worker, signal.SIGKILL)

        def replaced_or_stopped():
            if self.process.poll() is not None:
                return "stopped"
            new = self.child("worker")
            return new if new != worker else None

        outcome = _wait_for(replaced_or_stopped, timeout=30, what="a new worker, or serve to stop")
        return None if outcome == "stopped" else outcome

    def restart_lines(self) -> list[str]:
        return [line for line in self.lines if "The worker stopped" in line]

    def stop(self) -> int:
        children = _descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        self.reader.join(timeout=10)
        _wait_for(lambda: not _alive(children), timeout=15, what="every child to be gone")
        return self.process.returncode


def test_a_worker_that_dies_is_replaced_while_the_server_and_beat_keep_running(tmp_path):
    window = 3
    serve = _Serve(tmp_path, restarts=1, window=window)
    try:
        serve.wait_serving()
        beat, web_server = serve.child("beat"), serve.web_server()
        assert beat and web_server

        assert serve.kill_worker() is not None, serve.output()

        _wait_for(serve.restart_lines, timeout=10, what="the line about the restart")
        worker_log = serve.data_dir / "logs" / "worker.log"
        assert f"The worker stopped (killed by SIGKILL); its log: {worker_log}." in serve.restart_lines()[0]
        page = requests.get(f"http://127.0.0.1:{serve.port}/admin/login/", timeout=30)
        assert page.status_code == 200
        assert (serve.child("beat"), serve.web_server()) == (beat, web_server)

        # The allowance is per window, not for the whole run: once the window has passed, one
        # more death than the allowance is replaced too.
        time.sleep(window + 1)
        assert serve.kill_worker() is not None, serve.output()
        _wait_for(lambda: len(serve.restart_lines()) == 2, timeout=10, what="the second line about a restart")
    finally:
        returncode = serve.stop()
    assert returncode == 0, serve.output()
    assert "keeps dying" not in serve.output()


def test_a_worker_that_keeps_dying_stops_everything_and_says_so(tmp_path):
    serve = _Serve(tmp_path, restarts=2, window=600)
    children: set[int] = set()
    try:
        serve.wait_serving()
        for _ in range(2):
            assert serve.kill_worker() is not None, serve.output()
        children = _descendants(serve.process.pid)  # the server, beat, the third worker and theirs
        assert serve.kill_worker() is None  # the third death within the window: serve stops
    finally:
        returncode = serve.stop()
    worker_log = serve.data_dir / "logs" / "worker.log"
    assert returncode != 0
    assert len(serve.restart_lines()) == 2, serve.output()
    assert "The worker keeps dying (3 times within 600 s, the last killed by SIGKILL)" in serve.output()
    assert f"its log: {worker_log}. Everything else is stopped." in serve.output()
    _wait_for(lambda: not _alive(children), timeout=15, what="every child to be gone")
    assert port_problem("127.0.0.1", serve.port) is None
