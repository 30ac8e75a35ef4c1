"""``synthstem config check``: the plan printed without running, with the run's own checks."""

import os
import time
from pathlib import Path

import pytest

from synthstem.cli import main
from synthstem.runs.config import load_config
from synthstem.runs.plan import plan

CONFIG = """
[run]
seed = 2
[simulation]
method = "incoherent"
phonons = 2
pixels = 32
size = 8.0
[output]
conditions = ["raw", "clean", "dfct1"]
[[structures]]
prototype = "perovskite/SrTiO3"
uvw = [[0, 0, 1], [1, 1, 0]]
[[structures]]
prototype = "fcc"
elements = "Au"
"""


def _write(tmp_path, text, name="c.toml"):
    path = Path(tmp_path) / name
    path.write_text(text)
    return str(path)


def test_check_prints_the_plan(tmp_path, capsys):
    assert main(["config", "check", _write(tmp_path, CONFIG), "--plan"]) == 0
    out = capsys.readouterr().out
    assert "3 items, 9 images (incoherent, 32 px, 8.0 A, 2 phonons)" in out
    assert "000001 perovskite/SrTiO3: [0 0 1], [1 1 0]" in out
    assert "000002 fcc Au: [0 0 1]" in out
    assert "conditions (general): raw, clean, dfct1" in out
    assert "items/000001.010100.h5" in out
    assert not (tmp_path / "items").exists()


@pytest.mark.parametrize("structure, message", [
    ('prototype = "fcc"\nuvw = [[3, 0, 0]]', r"structures\[0\]\.uvw: uvw indices must be in \[-2, 2\]"),
    ('cif = "nowhere.cif"', r"structures\[0\] \(.*nowhere.cif\): CIF file not found"),
    ('cif = "bad.cif"', r"structures\[0\] \(.*bad.cif\): cannot read structure file"),
    ('prototype = "fcc"\nelements = {A = "Qq"}', r"structures\[0\] \(fcc"),
    ('prototype = "nosuchthing"', r"structures\[0\]"),
])
def test_check_refuses_what_a_run_refuses(tmp_path, capsys, structure, message):
    import re

    (tmp_path / "bad.cif").write_text("data_x\n_cell_length_a what\n")
    text = CONFIG.split("[[structures]]")[0] + "[[structures]]\n" + structure + "\n"
    cfg = _write(tmp_path, text)
    assert main(["config", "check", cfg]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "Traceback" not in err
    with pytest.raises(ValueError, match=message):  # the run says the same, before any file
        from synthstem.runs.run import run_dataset

        run_dataset(cfg, tmp_path / "data", workers=1, progress=False)
    assert not (tmp_path / "data").exists()


def test_check_refuses_zero_workers_and_empty_configs(tmp_path, capsys):
    assert main(["config", "check", _write(tmp_path, CONFIG), "--workers", "0"]) == 2
    assert "workers must be an integer >= 1" in capsys.readouterr().err
    assert main(["config", "check", _write(tmp_path, "", "empty.toml")]) == 2
    assert "minimal config" in capsys.readouterr().err


def test_estimate_times_representative_items_and_scales_them_by_cost(tmp_path, capsys):
    from synthstem.runs import estimate
    from synthstem.runs.numerics import item_cost

    tasks = plan(load_config(_write(tmp_path, CONFIG)), tmp_path / "data")
    costs = [item_cost(t) for t in tasks]
    picks, model = estimate.representative(tasks, samples=2)
    assert model == costs
    assert [costs[i] for i in picks] == [min(costs), max(costs)]  # cheapest and costliest
    calls = []

    def timer(task):  # 2 s per cost unit for the first timed item, 4 s for the second
        calls.append(task.name)
        return (2.0 if len(calls) == 1 else 4.0) * item_cost(task), {"simulate": 1.0}

    r = estimate.estimate(tasks, workers=1, samples=2, timer=timer)
    assert calls == [tasks[i].name for i in picks]
    assert r["low"] == pytest.approx(2.0 * sum(costs))
    assert r["high"] == pytest.approx(4.0 * sum(costs)) and r["low"] <= r["mid"] <= r["high"]
    # a run's start-up is added once, whatever the rate
    calls.clear()
    rs = estimate.estimate(tasks, workers=1, samples=2, timer=timer, startup=5.0)
    assert rs["fixed"] == 5.0 and rs["low"] == pytest.approx(5.0 + 2.0 * sum(costs))
    # this process's age: at least its CPU time on one thread's worth, and finite
    age = estimate.process_seconds()
    assert 0 < age < 1e6 and age >= 0.5 * time.process_time() / max(1, os.cpu_count())
    unit = lambda t: (item_cost(t), {})  # noqa: E731 (1 s per cost unit)
    # timed single-threaded, 2 workers on 2 CPUs (1 thread each): twice as fast
    r2 = estimate.estimate(tasks, workers=2, samples=2, timer=unit, cpus=2, timing_threads=1)
    assert r2["mid"] == pytest.approx(max(sum(costs) / 2, max(costs)))
    # timed on both CPUs: 2 workers of 1 thread are no faster than 1 worker of 2 threads,
    # and one item on one thread takes twice its timed seconds
    r3 = estimate.estimate(tasks, workers=2, samples=2, timer=unit, cpus=2, timing_threads=2)
    r1 = estimate.estimate(tasks, workers=1, samples=2, timer=unit, cpus=2, timing_threads=2)
    assert r3["mid"] == pytest.approx(max(sum(costs), 2 * max(costs)))
    assert r1["mid"] == pytest.approx(sum(costs))
    # 4 workers of 2 threads on 8 CPUs, timed on 1 thread: 8x
    r8 = estimate.estimate(tasks, workers=4, samples=2, timer=unit, cpus=8, timing_threads=1)
    assert r8["mid"] == pytest.approx(max(sum(costs) / min(8, 2 * min(4, len(tasks))), max(costs) / 2))
    seconds, stages = estimate._timed(tasks[0])  # the real build and write, in a temporary folder
    assert seconds > 0 and stages["simulate"] > 0 and stages["write"] > 0
    assert not (tmp_path / "data").exists()
    assert main(["config", "check", _write(tmp_path, CONFIG), "--estimate", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "estimated time:" in out and "range" in out and "timed " in out and "start-up" in out


def test_cost_model_follows_thickness_phonons_and_f():
    from synthstem.runs.numerics import item_cost
    from synthstem.runs.task import Task

    def task(**sim):
        base = {"method": "prism", "interpolation": 4, "size": 16.0, "slice_thickness": 2.0,
                "sampling": "detector", "phonons": 2, "focal_points": 3, "thickness": 20.0}
        return Task(index=0, name="x", subset="items", role="general", structure={},
                    structure_id=1, uvw=(0, 0, 1), conditions={"raw": {}},
                    physics={"microscope": {}, "simulation": dict(base, **sim)}, peaks={},
                    defect_kinds=[], seed=0, out="/tmp", png=False)

    base = item_cost(task())
    assert item_cost(task(thickness=40.0)) > base
    assert item_cost(task(phonons=4)) == pytest.approx(2 * base)
    assert item_cost(task(interpolation=2)) > 3 * base
    # multislice grows with the depth, PRISM f=1 mostly with its beams: a crossover
    assert item_cost(task(method="multislice", thickness=4.0)) < item_cost(
        task(interpolation=1, thickness=4.0))
    assert item_cost(task(method="multislice", thickness=200.0)) > item_cost(
        task(interpolation=1, thickness=200.0))


def test_tasks_are_plain_data(tmp_path):
    """A task survives JSON: a plan can be stored, printed and sent to any worker."""
    import json

    from synthstem.runs.task import Task

    tasks = plan(load_config(_write(tmp_path, CONFIG)), tmp_path / "data")
    for t in tasks:
        back = Task.from_dict(json.loads(json.dumps(t.to_dict())))
        assert back == t
    t = tasks[0]
    assert t.physics["simulation"]["phonons"] == 2 and t.physics["microscope"]["energy"] == 200e3
    assert list(t.conditions) == ["raw", "clean", "dfct1"] and t.conditions["dfct1"]["defect_level"] == 1
    assert t.dataset_names() == {"raw": "raw", "clean": "stem00-clean", "dfct1": "stem00-dfct1"}
    assert [x.index for x in tasks] == [0, 1, 2] and t.seed == 2
