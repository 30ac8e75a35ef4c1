"""An exclusive lock on a dataset folder: two runs never write the same dataset.

``DIR/.synthstem.lock`` holds the PID of the run that writes ``DIR``. The lock is an
``fcntl.flock`` on that file (released by the kernel when the process dies, however it
dies; where a filesystem has no flock, the PID decides); the PID names the holder in the
refusal message. A lock file left by a dead run (its PID no longer running) is stale: the
next run takes it over and says so. A finished run leaves the file empty.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sys
from pathlib import Path

LOCK_NAME = ".synthstem.lock"


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _read_pid(path):
    try:
        text = Path(path).read_text().strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None


class FolderLock:
    """Context manager: hold the exclusive lock of dataset folder ``out``.

    Raises ValueError ('another run (PID n) is writing DIR') if a live run holds it.
    """

    def __init__(self, out):
        self.path = Path(out) / LOCK_NAME
        self._fd = None

    def acquire(self):
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            pid = _read_pid(self.path)
            if err.errno == errno.ENOLCK:  # no flock on this filesystem: the PID decides
                if not (pid and pid != os.getpid() and _pid_alive(pid)):
                    return self._take(fd)
            os.close(fd)
            if err.errno not in (errno.EWOULDBLOCK, errno.EACCES, errno.EAGAIN, errno.ENOLCK):
                raise
            who = f"another run (PID {pid})" if pid else "another run"
            raise ValueError(f"{who} is writing {self.path.parent}; wait for it to finish "
                             "or stop it, then run again") from None
        return self._take(fd)

    def _take(self, fd):
        old = _read_pid(self.path)
        if old and old != os.getpid() and not _pid_alive(old):
            print(f"synthstem: taking over the stale lock of run PID {old} (no longer running) "
                  f"on {self.path.parent}", file=sys.stderr)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self):
        """Empty the lock file (kept: unlinking it would race with a waiting run) and unlock."""
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
