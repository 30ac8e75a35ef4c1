"""Estimate a run's time: time representative items of the plan, scale by a cost model.

How: every planned item gets a modelled cost (:func:`synthstem.runs.numerics.item_cost`:
its thickness, field of view, sampling, phonons, focal points, defect simulations and the
method and PRISM f the accuracy rule planned for it, all as drawn). The items at the cost
quantiles 0, 1/2 and 1 (``samples`` of them, evenly spaced in cost rank) are built in
memory exactly as planned (with their PRISM check and any retry), timed, after one untimed
warm-up build of the cheapest item with one frozen-phonon configuration (it loads or
compiles the numba kernels). Each timed item is built and written (its HDF5 file and PNGs,
into a temporary folder that is then removed) and gives seconds per cost unit; the plan's total
cost times the smallest, median and largest of these is the range printed, divided by the
CPUs the run keeps busy over the threads the timed builds had: a run's ``workers`` processes
get ``cpus // workers`` threads each (runs/execute.py), so on 2 CPUs 2 workers are no faster
than 1 whose simulation already uses both (measured: quickstart 33.2 s with 2 workers, 30.4 s
with 1; the old division by the worker count predicted 15 s). The wall time is at least the
longest single item at one worker's threads. A run's fixed cost is added: the process's
start (``startup``: the seconds the ``config check`` process spent importing, reading the
config and planning, which a run does too: ``process_seconds``) and the kernels' loading (the warm-up
build, the cheapest item at one phonon configuration, timed twice: the first build's extra
seconds). Measured against runs:
benchmarks/ESTIMATES.md. Exports and the report are not included; nothing is left on disk.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import replace

from ..physics.threads import available_cpus, default_threads
from .numerics import item_cost


def process_seconds():
    """Wall seconds since this process started (Linux: ``/proc``), else its CPU seconds."""
    try:
        with open("/proc/self/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as fh:
            uptime = float(fh.read().split()[0])
        return max(uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError, AttributeError):
        return time.process_time()


def _with_phonons(task, phonons):
    sim = dict(task.physics["simulation"], phonons=phonons)
    return replace(task, physics=dict(task.physics, simulation=sim))


def _timed(task):
    """Build and write ``task`` as a run would, into a temporary folder (removed after)."""
    from .build import build_item
    from .write import write_item_files

    with tempfile.TemporaryDirectory(prefix="synthstem-estimate-") as tmp:
        t0 = time.perf_counter()
        item, stages = build_item(task)
        t1 = time.perf_counter()
        write_item_files(replace(task, out=tmp), item)
        stages = dict(stages, write=time.perf_counter() - t1)
        return time.perf_counter() - t0, stages


def representative(tasks, samples=3):
    """Indices (into ``tasks``) of the items at evenly spaced cost ranks, cheapest first,
    and every item's modelled cost."""
    costs = [item_cost(t) for t in tasks]
    order = sorted(range(len(tasks)), key=lambda i: (costs[i], i))
    n = len(order)
    picks = []
    for k in range(min(samples, n)):
        i = order[round(k * (n - 1) / max(1, min(samples, n) - 1))]
        if i not in picks:
            picks.append(i)
    return picks, costs


def estimate(tasks, workers, samples=3, timer=None, cpus=None, timing_threads=None, startup=0.0):
    """Estimated wall time of building ``tasks`` on ``workers`` workers.

    ``cpus`` (default: this process's, ``available_cpus()``) and ``timing_threads`` (the
    threads the timed builds use, default ``default_threads()``) set the parallel speed-up
    (module docstring; perfect thread scaling assumed). ``startup`` [s]: a run's process
    start, added to the estimate with the kernels' loading time.

    Returns a dict: ``low``, ``mid``, ``high`` [s] (wall), ``total_cost``, ``timed``
    (per timed item: ``name``, ``index``, ``cost``, ``seconds``, ``stages``), ``workers``,
    ``fixed`` [s] (startup + kernel loading).
    ``timer(task) -> (seconds, stages)`` replaces the real build (tests).
    """
    if not tasks:
        return {"low": 0.0, "mid": 0.0, "high": 0.0, "total_cost": 0.0, "timed": [],
                "workers": workers, "fixed": 0.0}
    timer = timer or _timed
    picks, costs = representative(tasks, samples)
    loading = 0.0
    if timer is _timed:
        first = _with_phonons(tasks[picks[0]], min(1, tasks[picks[0]].physics["simulation"]
                                                     .get("phonons", 0)))
        cold, _ = _timed(first)  # warm-up: loads or compiles the kernels ...
        warm, _ = _timed(first)  # ... the same build again: the difference is their loading
        loading = max(cold - warm, 0.0)
    timed = []
    for i in picks:
        seconds, stages = timer(tasks[i])
        timed.append({"name": tasks[i].name, "index": tasks[i].index, "cost": costs[i],
                      "seconds": seconds, "stages": stages})
    rates = sorted(t["seconds"] / t["cost"] for t in timed)
    fixed = float(startup) + loading
    total = sum(costs)
    cpus = available_cpus() if cpus is None else cpus
    timing_threads = default_threads() if timing_threads is None else timing_threads
    parallel = max(1, min(workers, len(tasks)))
    per_worker = max(1, cpus // max(1, workers))  # threads of one worker process
    speedup = min(cpus, parallel * per_worker) / timing_threads
    longest = max(costs)

    def wall(rate):
        return fixed + max(total * rate / speedup, longest * rate * timing_threads / per_worker)

    return {"low": wall(rates[0]), "mid": wall(statistics.median(rates)),
            "high": wall(rates[-1]), "total_cost": total, "timed": timed, "workers": parallel,
            "fixed": fixed}


def estimate_lines(result):
    """Lines ``config check --estimate`` prints."""
    r = result
    lines = [f"estimated time: {r['mid']:.0f} s (range {r['low']:.0f}-{r['high']:.0f} s) with "
             f"{r['workers']} worker(s), {r['fixed']:.1f} s of it start-up; item files included, "
             "exports and report not"]
    for t in r["timed"]:
        lines.append(f"  timed {t['name']} (item {t['index']}): {t['seconds']:.1f} s, modelled "
                     f"cost {t['cost']:.3g}")
    return lines
