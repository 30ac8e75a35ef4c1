"""Mapping the per-item export over processes, and swapping a finished folder into place."""

import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import partial


@contextmanager
def ordered_map(fn, job, tasks, workers=1, progress=False, desc="exports"):
    """Yield an iterator of ``fn(job, task)`` in task order (whatever ``workers``), so the
    merged output does not depend on the number of processes.

    ``fn`` must be a top-level function and ``job`` picklable when ``workers`` > 1.
    """
    workers = int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    pool = None
    if workers == 1:
        results = (fn(job, t) for t in tasks)
    else:
        pool = ProcessPoolExecutor(max_workers=workers)
        results = pool.map(partial(fn, job), tasks)
    if progress:
        from tqdm import tqdm
        results = tqdm(results, total=len(tasks), desc=desc, unit="item")
    try:
        yield results
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def swap_in(partial_folder, final):
    """Replace the folder ``final`` by ``partial_folder`` (rename; the old one is removed after)."""
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(partial_folder, final)
    if old.exists():
        shutil.rmtree(old)
