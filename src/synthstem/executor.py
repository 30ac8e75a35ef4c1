"""Where items run: in this process, a local process pool, or a Dask cluster.

Items are independent and deterministic (their random streams come from the run seed and
the item index), so the result does not depend on which executor runs them or in which
order they finish. Every function submitted here must be a top-level function (spawn-safe)
that catches its own errors and returns a small picklable result.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed


def default_workers():
    """Worker processes of a local run: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _serial(fn, tasks):
    for task in tasks:
        yield task, fn(task)


THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "MKL_NUM_THREADS")


def _init_worker(threads):
    """Give each worker process its share of the CPUs (numba / BLAS threads), unless set."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))


def _pool(fn, tasks, workers):
    ctx = multiprocessing.get_context("spawn")
    threads = max(1, default_workers() // workers)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(threads,)) as pool:
        futures = {pool.submit(fn, t): t for t in tasks}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def _dask(fn, tasks, address):
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError:  # pragma: no cover - optional dependency
        raise ValueError("--scheduler needs dask[distributed]: pip install 'synthstem[dask]'") from None
    client = Client(address, set_as_default=False)
    try:
        futures = client.map(fn, tasks, pure=False)
        index = {f.key: t for f, t in zip(futures, tasks)}
        for fut in dask_completed(futures, loop=client.loop):
            yield index[fut.key], fut.result()
            fut.release()
    finally:
        client.close()


def run_tasks(fn, tasks, workers=None, scheduler=None):
    """Yield ``(task, fn(task))`` as tasks finish.

    Parameters
    ----------
    fn : callable
        Top-level (picklable) function of one task.
    tasks : list
        Picklable task objects.
    workers : int or None
        Local worker processes (``None``: all CPUs; 1 runs in this process).
    scheduler : str, Client or None
        Address of a Dask scheduler (``tcp://host:port``) or a ``distributed.Client``
        / ``LocalCluster``; overrides ``workers``.
    """
    tasks = list(tasks)
    if not tasks:
        return iter(())
    if scheduler is not None:
        return _dask(fn, tasks, scheduler)
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if workers == 1 or len(tasks) == 1:
        return _serial(fn, tasks)
    return _pool(fn, tasks, min(workers, len(tasks)))
