"""A run's life: killed (SIGKILL, SIGTERM), interrupted (Ctrl-C once, twice), raced by a
second run, resumed. Workers never outlive the run and write nothing after it dies.

Processes are inspected through /proc (Linux), so psutil is not needed.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthstem.runs.config import load_config
from synthstem.runs.lock import LOCK_NAME, FolderLock
from synthstem.runs.run import run_dataset

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

SRC = Path(__file__).resolve().parents[2] / "src"

# 10 small incoherent items: long enough to be killed in the middle, quick to finish
N_ITEMS = 10
CONFIG = """
[run]
seed = 3
[simulation]
method = "incoherent"
phonons = 1
pixels = 48
size = 10.0
[output]
conditions = ["raw", "clean", "blbk1"]
[[structures]]
prototype = "perovskite/SrTiO3"
uvw = [[0, 0, 1], [1, 1, 0], [1, 1, 1], [1, 2, 0], [2, 1, 0]]
[[structures]]
prototype = "fcc"
elements = "Au"
uvw = [[0, 0, 1], [1, 1, 0], [1, 1, 1], [1, 2, 0], [2, 1, 0]]
"""


def _ppid_and_state(pid):
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0]


def children(pid):
    """PIDs whose parent is ``pid`` (read from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            info = _ppid_and_state(int(entry.name))
            if info and info[0] == pid:
                out.append(int(entry.name))
    return out


def alive(pid):
    info = _ppid_and_state(pid)
    return info is not None and info[1] not in ("Z", "X")  # zombies have exited


def _env():
    return dict(os.environ, PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _start(cfg, out, workers=2):
    cmd = [sys.executable, "-m", "synthstem", "run", str(cfg), "--out", str(out), "--workers",
           str(workers), "--no-progress", "--no-preview"]
    return cmd, subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)


def _items(out):
    return {p.name: p.stat().st_mtime_ns for p in (Path(out) / "items").glob("*.h5")}


def _wait_for(predicate, proc, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        assert proc.poll() is None, f"the run ended first: {proc.communicate()}"
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(CONFIG)
    return path


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_run_leaves_no_worker_and_writes_nothing_after(cfg, tmp_path, sig):
    out = tmp_path / "data"
    cmd, proc = _start(cfg, out)
    _wait_for(lambda: len(children(proc.pid)) >= 2 and len(_items(out)) >= 1, proc)
    kids = children(proc.pid)  # the workers and the resource tracker
    proc.send_signal(sig)
    proc.communicate()
    before = _items(out)
    deadline = time.time() + 10
    while any(alive(k) for k in kids) and time.time() < deadline:
        time.sleep(0.05)
    assert not [k for k in kids if alive(k)], "a worker outlived the run"
    time.sleep(1.0)
    assert _items(out) == before, "an item was written after the kill"
    assert len(before) < N_ITEMS
    if sig != signal.SIGKILL:
        return
    # the resume completes the dataset exactly like an uninterrupted run
    res = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert f"{len(before)} already there" in res.stdout
    ref = tmp_path / "ref"
    report = run_dataset(load_config(cfg), ref, workers=2, progress=False)
    assert report.ok
    for name in _items(ref):
        assert (out / "items" / name).read_bytes() == (ref / "items" / name).read_bytes(), name


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_finishes_items_in_flight_then_resume(cfg, tmp_path, workers):
    out = tmp_path / "data"
    cmd, proc = _start(cfg, out, workers)
    _wait_for(lambda: len(_items(out)) >= 1, proc)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert f"finishing the {workers} item(s) in flight" in stderr and "run the same command" in stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert not manifest["complete"] and set(manifest["items"]) == {f"items/{n}" for n in _items(out)}
    assert len(_items(out)) < N_ITEMS
    res = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert json.loads((out / "manifest.json").read_text())["complete"]


def test_second_ctrl_c_stops_at_once(cfg, tmp_path):
    out = tmp_path / "data"
    _, proc = _start(cfg, out)
    _wait_for(lambda: len(children(proc.pid)) >= 2 and len(_items(out)) >= 1, proc)
    kids = children(proc.pid)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    deadline = time.time() + 10
    while any(alive(k) for k in kids) and time.time() < deadline:
        time.sleep(0.05)
    assert not [k for k in kids if alive(k)]


def test_second_concurrent_run_is_refused(cfg, tmp_path):
    out = tmp_path / "data"
    _, proc = _start(cfg, out)
    try:
        _wait_for(lambda: (out / LOCK_NAME).is_file()
                  and (out / LOCK_NAME).read_text().strip() == str(proc.pid), proc)
        with pytest.raises(ValueError, match=rf"another run \(PID {proc.pid}\) is writing"):
            run_dataset(load_config(cfg), out, workers=1, progress=False)
    finally:
        proc.kill()
        proc.communicate()


def test_stale_lock_is_taken_over(tmp_path, capsys):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (tmp_path / LOCK_NAME).write_text(dead + "\n")
    with FolderLock(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text().strip() == str(os.getpid())
    assert f"stale lock of run PID {dead}" in capsys.readouterr().err
    with FolderLock(tmp_path):  # released: a new run takes it without a word
        pass
    assert "stale" not in capsys.readouterr().err
