"""Worker threads of the physics code, and how they stop on Ctrl-C.

``available_cpus()`` (CPU affinity, not ``os.cpu_count()``), one shared thread pool
``pool()``, and ``run_threads`` / ``parallel_map`` on it. Ctrl-C stops them promptly:
inside :func:`interruptible` (``simulate`` runs in it) the SIGINT handler only sets a flag
and KeyboardInterrupt is raised in the main thread at its next :func:`check_interrupt`;
the caller's exception cancels the queued tasks and the running ones stop at their next
``check_interrupt()`` (between slices, S-matrix beam chunks, probe tiles, potential
blocks), so that no thread computes on after the interrupt. Re-exported by
``physics.backend`` (the seam every physics module asks).
"""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager

__all__ = ["available_cpus", "default_threads", "resolve_workers", "pool", "Interrupted",
           "interruptible", "check_interrupt", "run_threads", "parallel_map"]


def available_cpus():
    """CPUs this process may run on (its affinity mask, not the machine's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_threads():
    """Threads of one simulation when none are asked for: ``OMP_NUM_THREADS`` if set (a
    run's worker processes get their share of the CPUs that way), else
    ``available_cpus()``."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    if value.strip().isdigit() and int(value) >= 1:
        return min(int(value), available_cpus())
    return available_cpus()


def resolve_workers(workers):
    """Threads to use: ``workers`` if given, else 1 (the scipy.fft default)."""
    return 1 if workers is None else max(1, int(workers))


_POOL = None
_POOL_LOCK = threading.Lock()


def pool():
    """The shared thread pool (``available_cpus()`` threads) of the physics code."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=available_cpus(),
                                       thread_name_prefix="synthstem")
    return _POOL


class Interrupted(KeyboardInterrupt):
    """Raised in a pool thread by :func:`check_interrupt` when its caller was interrupted."""


_LOCAL = threading.local()  # .token: the cancel token of the pool task this thread runs
_SIGINT = [False]  # set by the SIGINT handler of interruptible() (a plain flag: no lock)
#: [s] how often a caller waiting for its pool tasks looks at the Ctrl-C flag
POLL_SECONDS = 0.05


class _Token:
    """Cancellation of one :func:`run_threads` call (and of the calls nested in it)."""

    def __init__(self, parent):
        self.event, self.parent = threading.Event(), parent

    def is_set(self):
        return self.event.is_set() or (self.parent is not None and self.parent.is_set())


def _on_sigint(signum, frame):
    _SIGINT[0] = True


@contextmanager
def interruptible():
    """Ctrl-C while the physics runs: the SIGINT handler only sets a flag, and
    KeyboardInterrupt is raised in the main thread at its next :func:`check_interrupt`
    (between units of work), never inside a lock, a thread pool's bookkeeping or a C call.

    Installed only in the main thread and only over Python's default SIGINT handler (a
    run's own Ctrl-C policy, ``runs.execute.Interrupt``, is left alone). A Ctrl-C after
    the last check raises KeyboardInterrupt on exit.
    """
    install = (threading.current_thread() is threading.main_thread()
               and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    if not install:
        yield
        return
    _SIGINT[0] = False
    old = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
        hit, _SIGINT[0] = _SIGINT[0], False
    if hit:
        raise KeyboardInterrupt


def check_interrupt():
    """Stop here after Ctrl-C: KeyboardInterrupt in the main thread (inside
    :func:`interruptible`), :class:`Interrupted` in a pool thread (Ctrl-C, or its caller
    stopped it); a no-op otherwise. Called by the physics loops between units of work
    (slices, S-matrix beam chunks, probe tiles, potential blocks, phonon configurations)."""
    if _SIGINT[0]:
        if threading.current_thread() is threading.main_thread():
            _SIGINT[0] = False
            raise KeyboardInterrupt
        raise Interrupted
    token = getattr(_LOCAL, "token", None)
    if token is not None and token.is_set():
        raise Interrupted


def run_threads(fns):
    """``[fn() for fn in fns]`` on ``pool()`` threads, results in order.

    The caller waits in short polls, looking at the Ctrl-C flag (:func:`interruptible`).
    On any exception of the caller (KeyboardInterrupt) or of a task, the queued tasks are
    cancelled, the running ones are told to stop (they raise :class:`Interrupted` at their
    next :func:`check_interrupt`) and waited for, then the exception is re-raised: no
    thread is left computing.
    """
    token = _Token(getattr(_LOCAL, "token", None))

    def guarded(fn):
        def task():
            before = getattr(_LOCAL, "token", None)
            _LOCAL.token = token
            try:
                check_interrupt()
                return fn()
            finally:
                _LOCAL.token = before
        return task

    futures = []
    try:
        futures = [pool().submit(guarded(fn)) for fn in fns]
        while True:
            done, pending = wait_futures(futures, timeout=POLL_SECONDS, return_when=FIRST_EXCEPTION)
            check_interrupt()
            failed = [f for f in futures if f.done() and not f.cancelled() and f.exception() is not None]
            if failed:  # a task failed: its exception, the others stopped below
                raise failed[0].exception()
            if not pending:
                return [f.result() for f in futures]
    except BaseException:
        token.event.set()
        for f in futures:
            f.cancel()
        while True:  # a second Ctrl-C must not leave the threads running either
            try:
                wait_futures(futures)
                break
            except KeyboardInterrupt:
                continue
        raise


def parallel_map(fn, items, workers):
    """``[fn(i) for i in items]`` on up to ``workers`` threads of ``pool()`` (in order);
    stops promptly on Ctrl-C (see :func:`run_threads`)."""
    items = list(items)
    if resolve_workers(workers) <= 1 or len(items) <= 1:
        out = []
        for i in items:
            check_interrupt()
            out.append(fn(i))
        return out
    return run_threads([(lambda i=i: fn(i)) for i in items])
