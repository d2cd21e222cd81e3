"""Child processes that die with the process that started them (Linux's parent-death signal).

A worker killed with SIGKILL cannot stop its children itself: without this an ffmpeg it
started keeps encoding, orphaned, while the job runs again elsewhere. Test and benchmark
harnesses use the same for their throwaway servers. No Django imports.

:func:`argv_dying_with_parent` puts two steps in front of the program, each replaced by the
next through exec (so the pid the caller gets is the program's own, and ``ps`` shows the program):

* ``setpriv --pdeathsig SIG`` (util-linux, which has the option since 2.33; essential on Debian)
  sets the parent-death signal (prctl PR_SET_PDEATHSIG), which exec keeps unless the program is
  set-user-ID;
* ``/bin/sh`` then checks that its parent is still the process that asked: one that died between
  the fork and setpriv's prctl would never send the signal, and the program would run on, orphaned.
  (The shell also sets PWD to the directory the child really runs in.)

Why not a ``preexec_fn`` doing the prctl: Python runs it in the forked child of a process that may
have other threads (a worker's heartbeat, download and egress-proxy threads), where a lock one of
them held at the fork stays locked for ever; and it makes subprocess fork instead of vfork, a cost
that grows with the parent's memory. Starting and waiting for ``/bin/true`` (Python 3.11, 2 cores):
with a preexec_fn 3.0 ms from a small parent, 16 ms from one holding 300 MB; through setpriv and
the shell 3.3 ms from either; bare 0.9 ms; through a Python wrapper 20 ms.

The signal is tied to the *thread* that started the child, not the process: it is sent when that
thread ends. ``subprocess.run`` waits on the calling thread, so that holds for it; start a long-lived
child from a thread that outlives it.

Without setpriv, a small Python program does the same job (the 20 ms above); where there is no
prctl (not Linux), the program runs unwrapped.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sys
from collections.abc import Mapping, Sequence

# None: the Python wrapper below; a module constant so a test can take that path.
SETPRIV = shutil.which("setpriv")

# argv: signal number, expected parent pid, program path, its arguments.
_PYTHON_WRAPPER = """\
import ctypes, os, sys
ctypes.CDLL(None, use_errno=True).prctl(1, int(sys.argv[1]), 0, 0, 0)  # PR_SET_PDEATHSIG
if os.getppid() != int(sys.argv[2]):
    sys.exit(128 + int(sys.argv[1]))
os.execv(sys.argv[3], sys.argv[3:])
"""


def argv_dying_with_parent(
    argv: Sequence[str], sig: int = signal.SIGKILL, *, env: Mapping[str, str] | None = None
) -> list[str]:
    """`argv` wrapped so that the program receives `sig` when the calling thread ends (its process dying).

    A program named without a slash is looked up here, in `env`'s PATH as subprocess would, so a
    missing one raises FileNotFoundError from this call as it would from Popen. A path with a
    slash is left to exec: a missing one ends the child with status 127.
    """
    program, *arguments = argv
    if os.sep not in program:
        found = shutil.which(program, path=os.pathsep.join(os.get_exec_path(env)))
        if found is None:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
        program = found
    if not sys.platform.startswith("linux"):
        return [program, *arguments]
    parent = os.getpid()
    if SETPRIV is None:
        return [sys.executable, "-I", "-S", "-c", _PYTHON_WRAPPER, str(int(sig)), str(parent), program, *arguments]
    check = f'[ "$PPID" = {parent} ] || exit {128 + int(sig)}; exec "$@"'
    return [SETPRIV, "--pdeathsig", signal.Signals(sig).name, "--", "/bin/sh", "-c", check, "sh", program, *arguments]
