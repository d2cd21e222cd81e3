"""Children started through core.processes die with their parent, with no preexec_fn anywhere.

Each behaviour is checked through setpriv (what Debian has) and through the Python wrapper used
where setpriv is missing.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from core import processes
from core.processes import argv_dying_with_parent

BASE_DIR = Path(settings.BASE_DIR)

# Started as a process of its own: imports core.processes, starts `sleep 60` from a thread that
# stays alive (the parent-death signal is tied to the thread that forks), prints the pid.
PARENT_SCRIPT = """
import subprocess, sys, threading
sys.path.insert(0, sys.argv[1])
from core import processes
if sys.argv[2] == "python":
    processes.SETPRIV = None

def start():
    child = subprocess.Popen(processes.argv_dying_with_parent(["sleep", "60"]))
    print(child.pid, flush=True)
    child.wait()

threading.Thread(target=start).start()
threading.Event().wait()
"""


@pytest.fixture(params=["setpriv", "python"])
def mechanism(request, monkeypatch):
    if request.param == "setpriv" and processes.SETPRIV is None:
        pytest.skip("setpriv is not installed")
    if request.param == "python":
        monkeypatch.setattr(processes, "SETPRIV", None)
    return request.param


def _state(pid: int) -> tuple[str, int, str] | None:
    """(state, parent pid, command name) of a live process; None once it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    state, parent = stat[stat.rindex(")") + 2 :].split()[:2]
    return None if state in ("Z", "X") else (state, int(parent), name)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_child_dies_when_its_parent_is_killed_with_sigkill(mechanism):
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT_SCRIPT, str(BASE_DIR), mechanism], stdout=subprocess.PIPE, text=True
    )
    child_pid = None
    try:
        line = parent.stdout.readline()
        assert line.strip().isdigit(), f"the parent printed {line!r}"
        child_pid = int(line)
        # The pid subprocess reports is the program's own, started by the parent.
        deadline = time.monotonic() + 10
        while (state := _state(child_pid)) and state[2] != "sleep" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert state is not None and state[1:] == (parent.pid, "sleep"), state

        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)

        deadline = time.monotonic() + 10
        while _state(child_pid) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(child_pid) is None, "sleep outlived the process that started it"
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()
        if child_pid is not None and _state(child_pid) is not None:
            os.kill(child_pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_child_whose_parent_died_before_the_signal_was_set_does_not_run(mechanism, tmp_path):
    """The child checks that its parent is still the process that asked; an orphan stops at once."""
    marker = tmp_path / "ran"
    wrapped = argv_dying_with_parent(["touch", str(marker)])

    # Run by another process, as after the asking one died and the child was handed to another.
    adopted = subprocess.run(
        [sys.executable, "-c", "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)", *wrapped]
    )
    assert adopted.returncode != 0 and not marker.exists()

    started = subprocess.run(wrapped)  # by the process that asked: the program runs
    assert started.returncode == 0 and marker.exists()


def test_the_program_gets_its_arguments_unchanged_and_a_missing_one_is_reported(mechanism):
    arguments = ["", "a b", "$HOME", "'\"", "-c", "*", "--", "; exit 3"]
    echo = [sys.executable, "-c", "import json, sys; print(json.dumps(sys.argv[1:]))", *arguments]

    completed = subprocess.run(argv_dying_with_parent(echo), capture_output=True, text=True, check=True)

    assert json.loads(completed.stdout) == arguments
    with pytest.raises(FileNotFoundError):
        argv_dying_with_parent(["a-program-that-is-not-installed", "-v"])
    # Looked up in the PATH of the environment the child gets, as subprocess does.
    with pytest.raises(FileNotFoundError):
        argv_dying_with_parent(["sleep", "0"], env={"PATH": str(BASE_DIR)})


def _project_python_files():
    for directory, subdirectories, files in os.walk(BASE_DIR):
        # .venv, .git and the like are not the project's code.
        subdirectories[:] = [name for name in subdirectories if not name.startswith(".") and name != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                yield Path(directory, name)


def test_no_code_in_the_project_passes_a_preexec_fn():
    """A preexec_fn can deadlock the child of a process with threads, and makes subprocess fork slowly."""
    # As a keyword or a dict key, also inside code kept in strings (scripts run with python -c).
    passed = re.compile(r"\bpreexec_fn\b[\"']?\s*[=:]")
    offenders = [
        f"{path.relative_to(BASE_DIR)}:{number}: {line.strip()}"
        for path in _project_python_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if passed.search(line)
    ]
    assert offenders == []
