"""Child processes that die with the process that started them (Linux's parent-death signal).

A worker killed with SIGKILL cannot stop its children itself: without this an ffmpeg it
started keeps encoding, orphaned, while the job runs again elsewhere. Test and benchmark
harnesses use the same for their throwaway servers. No Django imports.
"""

from __future__ import annotations

import ctypes
import os
import signal

_PR_SET_PDEATHSIG = 1
try:
    # Resolved once here: loading a library in the forked child, between fork and exec, is not safe.
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def die_with_parent(sig: int = signal.SIGKILL):
    """preexec_fn making the child receive `sig` when this process dies.

    subprocess switches user/group before calling preexec_fn, which matters: setuid() clears the
    parent-death signal, so it must be set afterwards. The signal is tied to the *thread* that
    forks, so start children from a thread that outlives them.
    """
    parent = os.getpid()

    def preexec() -> None:
        if _prctl is not None:
            _prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        # The parent may already have died before prctl took effect.
        if os.getppid() != parent:
            os.kill(os.getpid(), sig)

    return preexec
