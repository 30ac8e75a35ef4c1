"""Estimate a run's time by calibration: build the plan's first item in memory, timed.

How: the first task is built with one frozen-phonon configuration (not counted: it loads
or compiles the numba kernels), then timed with one and with two configurations; the
item's time is extrapolated linearly to the configured number ``p`` of phonons,
``t(p) = t(1) + (p - 1) (t(2) - t(1))`` (a simulation's cost is a fixed part plus a part
per configuration; with ``p`` <= 1 the item is timed as configured). Every item is
assumed to cost as much as the first (the field of view, depth, sampling and conditions
are the same for all items; structures differ in atom count), and the items are shared by
``min(workers, items)`` workers. Writing files and exports are not included. Nothing is
written.
"""

from __future__ import annotations

import time
from dataclasses import replace


def _with_phonons(task, phonons):
    sim = dict(task.physics["simulation"], phonons=phonons)
    return replace(task, physics=dict(task.physics, simulation=sim))


def _timed(task):
    from .build import build_item

    t0 = time.perf_counter()
    _, stages = build_item(task)
    return time.perf_counter() - t0, stages


def calibrate(task):
    """Seconds of one item like ``task``: ``(total, {stage: seconds of the last build})``."""
    phonons = int(task.physics["simulation"].get("phonons", 0))
    if phonons <= 1:
        _timed(task)  # warm-up
        return _timed(task)
    _timed(_with_phonons(task, 1))  # warm-up
    t1, _ = _timed(_with_phonons(task, 1))
    t2, stages = _timed(_with_phonons(task, 2))
    return t1 + (phonons - 1) * max(t2 - t1, 0.0), stages


def estimate_seconds(tasks, workers):
    """Estimated wall time [s] of building ``tasks`` on ``workers`` workers, and the
    calibration: ``(seconds, per_item_seconds, stages of the last calibration build)``."""
    if not tasks:
        return 0.0, 0.0, {}
    per_item, stages = calibrate(tasks[0])
    rounds = -(-len(tasks) // max(1, min(workers, len(tasks))))  # ceil: items per worker
    return per_item * rounds, per_item, stages
