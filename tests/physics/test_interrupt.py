"""Ctrl-C stops the physics threads: queued tasks are cancelled, running ones stop at
their next ``check_interrupt()``, and nothing computes on after the caller's exception."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import synthstem
from synthstem.physics import backend


def test_run_threads_stops_every_task_when_one_fails():
    steps, stopped, started = [], [], threading.Event()

    def slow(k):
        def fn():
            started.set()
            try:
                for i in range(10_000):
                    backend.check_interrupt()
                    steps.append((k, i))
                    time.sleep(0.001)
            except backend.Interrupted:
                stopped.append(k)
                raise
            return k
        return fn

    def failing():
        started.wait()
        raise ValueError("a task failed")

    with pytest.raises(ValueError, match="a task failed"):
        backend.run_threads([slow(0), failing] + [slow(k) for k in range(1, 20)])
    n = len(steps)
    time.sleep(0.05)
    assert len(steps) == n  # nothing runs on after run_threads returned
    assert n < 10_000 and 0 in stopped  # the running task stopped early
    assert set(stopped) <= set(range(20))  # queued tasks were cancelled or stopped at once
    # the pool is usable again and the main thread's check is a no-op
    backend.check_interrupt()
    assert backend.parallel_map(lambda i: i * i, range(6), 2) == [0, 1, 4, 9, 16, 25]


def test_check_interrupt_outside_a_pool_task_is_a_no_op():
    backend.check_interrupt()
    assert backend.run_threads([lambda: 1, lambda: 2]) == [1, 2]


def test_simulate_raises_keyboard_interrupt_and_leaves_no_thread_busy():
    """The Python API (a notebook's interrupt is a SIGINT to the main thread)."""
    cell = synthstem.orient(synthstem.prototype("perovskite", elements="SrTiO3"), (0, 0, 1), size=16.0)
    calls = []
    real = backend.check_interrupt

    def counting():
        calls.append(1)
        real()

    timer = threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT))
    # Python's own Ctrl-C handler, as in a terminal or a notebook (a test run started in
    # the background by a shell ignores SIGINT)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        backend.check_interrupt = counting
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            synthstem.simulate(cell, pixels=64, phonons=500, seed=0, workers=2)
    finally:
        timer.cancel()
        backend.check_interrupt = real
        signal.signal(signal.SIGINT, before)
    n = len(calls)
    time.sleep(0.2)
    assert len(calls) == n  # no pool thread still walks its slices
    assert backend.pool()._work_queue.empty()  # and no task is left queued
    assert np.isfinite(synthstem.simulate(cell, pixels=32, method="incoherent", seed=0).image).all()
