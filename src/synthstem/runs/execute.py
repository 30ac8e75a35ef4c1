"""Where items run: in this process, a local process pool, or a Dask cluster.

This module only maps one function (build + write of one task) over the tasks. Items are
independent and deterministic (their random streams come from the run seed and the item
index), so the result depends on neither the executor nor the completion order. The
function must be top-level (spawn-safe), catch its own errors and return a small
picklable result.

Local workers cannot outlive the run: each asks the Linux kernel to kill it when its
parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``) and, as a fallback on any system,
watches its parent PID and exits at once when it changes. Workers ignore Ctrl-C: the main
process decides (:class:`Interrupt`): the first Ctrl-C finishes the items in flight, a
second one kills the workers and stops at once.

This module imports only the standard library: workers set their thread counts (numba,
OpenMP, BLAS) before numpy is imported.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "MKL_NUM_THREADS")
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_WATCH_INTERVAL = 0.2  # [s] parent-PID watchdog period


def default_workers():
    """Worker processes of a local run: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_workers(workers):
    """``workers`` as a positive int (None: all CPUs); ValueError naming it otherwise."""
    if workers is None:
        return default_workers()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    return workers


class Interrupt:
    """Ctrl-C policy of a run (a context manager installing a SIGINT handler).

    The first SIGINT sets :attr:`stop` and says that the ``in_flight`` items are being
    finished; a second one raises KeyboardInterrupt. Outside the main thread nothing is
    installed (Python delivers signals to the main thread only).
    """

    def __init__(self, stream=None):
        self.stop = False
        self.in_flight = 0
        self._stream = stream
        self._old = None

    def _handle(self, signum, frame):
        if self.stop:
            raise KeyboardInterrupt
        self.stop = True
        print(f"\nsynthstem: interrupted: finishing the {self.in_flight} item(s) in flight, then "
              "stopping (a resume with the same command completes the dataset); "
              "press Ctrl-C again to stop at once", file=self._stream or sys.stderr, flush=True)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            self._old = None


def _watch_parent(parent_pid):
    while True:
        time.sleep(_WATCH_INTERVAL)
        if os.getppid() != parent_pid:
            os._exit(1)  # the run is gone: exit without writing anything more


def die_with_parent(parent_pid):
    """Make this process exit when ``parent_pid`` dies (prctl on Linux + a watchdog)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watchdog alone
            pass
    if os.getppid() != parent_pid:  # died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="synthstem-parent-watchdog",
                     daemon=True).start()


def _init_worker(threads, parent_pid):
    """Pool initializer: same thread settings in every worker, Ctrl-C left to the parent,
    exit with the parent."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)


def _serial(fn, tasks, interrupt):
    for task in tasks:
        if interrupt.stop:
            return
        interrupt.in_flight = 1
        yield task, fn(task)


def _pool(fn, tasks, workers, interrupt):
    ctx = multiprocessing.get_context("spawn")
    threads = max(1, default_workers() // workers)
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                               initargs=(threads, os.getpid()))
    todo = iter(tasks)
    running = {}

    def submit_next():
        for task in todo:
            running[pool.submit(fn, task)] = task
            return

    try:
        for _ in range(workers):  # at most one task per worker: Ctrl-C stops after these
            submit_next()
        while running:
            interrupt.in_flight = len(running)
            done, _ = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in done:
                task = running.pop(fut)
                yield task, fut.result()
                if not interrupt.stop:
                    submit_next()
        pool.shutdown(wait=True)
    except BaseException:  # second Ctrl-C, an error, or the caller stopped: kill the workers
        for proc in set(multiprocessing.active_children()) - before:
            proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise


def _dask(fn, tasks, address, interrupt):
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError:  # pragma: no cover - optional dependency
        raise ValueError("--scheduler needs dask[distributed]: pip install 'synthstem[dask]'") from None
    client = Client(address, set_as_default=False)
    try:
        window = max(1, sum(client.nthreads().values()))
        todo = iter(tasks)
        index = {}

        def submit_next():
            for task in todo:
                fut = client.submit(fn, task, pure=False)
                index[fut.key] = task
                return fut
            return None

        first = [f for f in (submit_next() for _ in range(window)) if f is not None]
        queue = dask_completed(first, loop=client.loop)
        for fut in queue:
            interrupt.in_flight = queue.count()
            yield index.pop(fut.key), fut.result()
            fut.release()
            if not interrupt.stop:
                nxt = submit_next()
                if nxt is not None:
                    queue.add(nxt)
    finally:
        client.close()


def run_tasks(fn, tasks, workers=None, scheduler=None, interrupt=None):
    """Yield ``(task, fn(task))`` as tasks finish.

    Parameters
    ----------
    fn : callable
        Top-level (picklable) function of one task.
    tasks : list
        Picklable task objects.
    workers : int or None
        Local worker processes (``None``: the CPUs of this process; 1 runs here).
    scheduler : str, Client or None
        Address of a Dask scheduler (``tcp://host:port``) or a ``distributed.Client``
        / ``LocalCluster``; overrides ``workers``.
    interrupt : Interrupt or None
        Once its ``stop`` is set no new task starts; the ones in flight are yielded.
    """
    tasks = list(tasks)
    interrupt = interrupt or Interrupt()
    workers = check_workers(workers)
    if not tasks:
        return iter(())
    if scheduler is not None:
        return _dask(fn, tasks, scheduler, interrupt)
    if workers == 1 or len(tasks) == 1:
        return _serial(fn, tasks, interrupt)
    return _pool(fn, tasks, min(workers, len(tasks)), interrupt)
