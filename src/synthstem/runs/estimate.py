"""Estimate a run's time by calibration: build the plan's first item in memory, timed.

How: the first task is built twice with one frozen-phonon configuration (the first build
loads or compiles the numba kernels and is discarded); its simulation time is multiplied
by the configured number of phonons (a simulation's cost is linear in them) and added to
the other stages (structure, labels, noise). Every item is assumed to cost as much as the
first (the field of view, depth, sampling and conditions are the same for all items;
structures differ in atom count, which moves the potential's share), and the items are
shared by ``min(workers, items)`` workers. Writing files and exports are not included.
Nothing is written.
"""

from __future__ import annotations

import time
from dataclasses import replace


def calibrate(task):
    """Seconds of one item like ``task``: ``(total, {stage: seconds})`` (see the module)."""
    from .build import build_item

    sim = task.physics["simulation"]
    phonons = int(sim.get("phonons", 0))
    one = replace(task, physics=dict(task.physics, simulation=dict(sim, phonons=min(phonons, 1))))
    build_item(one)  # warm-up: numba cache loading / compilation
    t0 = time.perf_counter()
    _, timings = build_item(one)
    measured = time.perf_counter() - t0
    stages = dict(timings)
    stages["simulate"] = timings["simulate"] * max(phonons, 1)
    return measured - timings["simulate"] + stages["simulate"], stages


def estimate_seconds(tasks, workers):
    """Estimated wall time [s] of building ``tasks`` on ``workers`` workers, and the
    calibration item's stage times: ``(seconds, per_item_seconds, stages)``."""
    if not tasks:
        return 0.0, 0.0, {}
    per_item, stages = calibrate(tasks[0])
    rounds = -(-len(tasks) // max(1, min(workers, len(tasks))))  # ceil: items per worker
    return per_item * rounds, per_item, stages
