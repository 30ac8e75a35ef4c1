"""Whole runs: reproducibility, process pool, Dask, kill-and-resume, failures, retrieval."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from synthstem.runs.config import load_config
from synthstem.io.hdf5 import item_arrays, read_item
from synthstem.io.keycsv import read_key_csv
from synthstem.io.validate import validate_dataset
from synthstem.runs.plan import plan
from synthstem.runs.run import run_dataset

SRC = Path(__file__).resolve().parents[2] / "src"

TINY = """
[run]
seed = 11
[simulation]
method = "incoherent"
phonons = 0   # static lattice: the raw image depends on the structure only
pixels = 48
size = 10.0
[output]
conditions = ["raw", "clean", "blbk1", "dfct2", "comb2"]
[[structures]]
prototype = "perovskite/SrTiO3"
uvw = [[0, 0, 1], [1, 1, 0]]
[[structures]]
prototype = "fcc"
elements = "Au"
uvw = [[0, 0, 1], [1, 1, 0]]
[[structures]]
prototype = "diamond/Si"
uvw = [[1, 1, 0]]
"""


def _config(tmp, text=TINY, name="c.toml"):
    path = Path(tmp) / name
    path.write_text(text)
    return path


def _files(folder):
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "preview.png"}


def assert_same_dataset(a, b):
    fa, fb = _files(a), _files(b)
    assert sorted(fa) == sorted(fb)
    for rel in fa:
        if rel.endswith(".h5"):
            ia, ib = item_arrays(read_item(Path(a) / rel)), item_arrays(read_item(Path(b) / rel))
            assert sorted(ia) == sorted(ib)
            for key in ia:
                assert ia[key].dtype == ib[key].dtype
                np.testing.assert_array_equal(ia[key], ib[key], err_msg=f"{rel}:{key}")
        assert fa[rel] == fb[rel], f"{rel} differs"


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local")
    report = run_dataset(load_config(_config(tmp)), tmp / "data", workers=1, progress=False)
    return tmp, report


def test_local_run_is_complete_and_valid(local_run):
    tmp, report = local_run
    out = tmp / "data"
    assert report.ok and report.done == 5 and report.skipped == 0
    problems, stats = validate_dataset(out)
    assert problems == [] and stats["items"] == 5 and stats["files"] == 5 * 6
    rows = read_key_csv(out / "key.csv")
    assert [r["item"] for r in rows] == ["000001.000001", "000001.010100", "000002.000001",
                                         "000002.010100", "000003.010100"]
    row = rows[2]
    assert (row["prototype"], row["formula"], row["spacegroup_number"]) == ("fcc", "Au", "225")
    assert row["png"] == [f"items/000002.000001-{k}.png" for k in ("raw", "stem00-clean", "stem00-blbk1", "stem00-dfct2", "stem02-comb2")]
    item = read_item(out / "items" / "000001.010100.h5")
    assert item.attrs["uvw_direction"] == "(1.0, 1.0, 0.0)" and item.attrs["chemical_formula"] == "'Sr Ti O3'"
    assert item.attrs["angstrom_xy"] == "10" and item.attrs["icsd_collcode"] == "1"
    assert set(item.images) == {"stem00-clean", "stem00-blbk1", "stem00-dfct2", "stem02-comb2"}
    assert set(item.peak_maps) == {"clean", "dfct1", "dfct2"}
    assert item.peak_maps["clean"].sum() > 0
    assert set(item.extra_coords) == {"dlo_coords", "dmd_coords"}
    assert len(item.extra_coords["dlo_coords"]) == len(item.full_coords) - 1  # one vacancy
    assert len(item.extra_coords["dmd_coords"]) == len(item.full_coords) - 3  # three vacancies
    assert [d["condition"] for d in item.defects] == ["stem02-comb2", "stem00-dfct2"]  # level 1 (comb2), 2
    assert item.defects[0]["kind"] == "vacancy" and item.defects[1]["level"] == 2
    assert item.seed == {"run_seed": 11, "item_index": 1}
    assert item.params["simulation"]["method"] == "incoherent"
    assert len(item.numbers) == len(item.full_coords)
    for key in ("simulate", "noise", "write"):
        assert report.timings[key] > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["run_seed"] == 11 and len(manifest["items"]) == 5
    assert manifest["config"]["simulation"]["pixels"] == 48


def test_process_pool_gives_identical_files(local_run, tmp_path):
    tmp, _ = local_run
    report = run_dataset(load_config(_config(tmp_path)), tmp_path / "data", workers=2, progress=False)
    assert report.ok
    assert_same_dataset(tmp / "data", tmp_path / "data")


def test_other_seed_other_images(local_run, tmp_path):
    tmp, _ = local_run
    run_dataset(load_config(_config(tmp_path)), tmp_path / "data", workers=1, seed=12, progress=False)
    a = read_item(tmp / "data" / "items" / "000002.000001.h5")
    b = read_item(tmp_path / "data" / "items" / "000002.000001.h5")
    np.testing.assert_array_equal(a.raw, b.raw)  # static lattice: same simulation
    assert not np.array_equal(a.images["stem00-clean"], b.images["stem00-clean"])


def test_dask_local_cluster_equals_local(local_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    tmp, _ = local_run
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        report = run_dataset(load_config(_config(tmp_path)), tmp_path / "data",
                             scheduler=cluster.scheduler_address, progress=False)
    assert report.ok and report.done == 5
    assert_same_dataset(tmp / "data", tmp_path / "data")


def test_kill_and_resume_equals_uninterrupted(local_run, tmp_path):
    tmp, _ = local_run
    cfg = _config(tmp_path)
    out = tmp_path / "data"
    cmd = [sys.executable, "-m", "synthstem", "run", str(cfg), "--out", str(out), "--workers", "1",
           "--no-progress", "--no-preview"]
    env = dict(os.environ, PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if len(list((out / "items").glob("*.h5"))) >= 1:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(list((out / "items").glob("*.h5")))
    assert 1 <= done < 5
    assert not json.loads((out / "manifest.json").read_text())["complete"]
    (out / "items" / ".000003.010100.h5.leftover.tmp").write_bytes(b"half an item")

    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert f"{done} already there" in res.stdout
    assert not list(out.rglob("*.tmp"))
    assert_same_dataset(tmp / "data", out)


def failing_build(task):
    """Builder of test_a_failing_item_does_not_stop_the_others: item 1 fails."""
    from synthstem.runs.build import build_item

    if task.index == 1:
        raise RuntimeError("injected failure")
    return build_item(task)


def test_a_failing_item_does_not_stop_the_others(tmp_path):
    text = TINY.split("[[structures]]")[0] + """
[[structures]]
prototype = "fcc"
elements = "Au"
uvw = [[0, 0, 1], [1, 1, 0]]
"""
    report = run_dataset(load_config(_config(tmp_path, text)), tmp_path / "data", workers=1,
                         progress=False, builder="test_runs_run:failing_build")
    assert not report.ok and report.done == 1 and len(report.failed) == 1
    failures = json.loads((tmp_path / "data" / "failures.json").read_text())
    assert failures[0]["index"] == 1 and "injected failure" in failures[0]["error"]
    assert (tmp_path / "data" / "items" / "000001.000001.h5").is_file()
    assert not json.loads((tmp_path / "data" / "manifest.json").read_text())["complete"]
    problems, _ = validate_dataset(tmp_path / "data")
    assert any("not complete" in p for p in problems)


def test_bad_inputs_are_refused_before_anything_is_written(tmp_path):
    (tmp_path / "bad.cif").write_text("data_broken\n_cell_length_a nonsense\n")
    text = TINY.split("[[structures]]")[0] + """
[[structures]]
cif = "bad.cif"
[[structures]]
cif = "missing.cif"
[[structures]]
prototype = "fcc"
elements = {A = "Xx"}
[[structures]]
prototype = "fcc"
elements = "Cu"
"""
    out = tmp_path / "data"
    with pytest.raises(ValueError) as err:
        run_dataset(load_config(_config(tmp_path, text)), out, workers=1, progress=False)
    lines = str(err.value).splitlines()
    assert any("structures[0]" in x and "bad.cif" in x for x in lines)
    assert any("structures[1]" in x and "missing.cif" in x and "not found" in x for x in lines)
    assert any("structures[2]" in x for x in lines)
    assert not any("structures[3]" in x for x in lines)
    assert not out.exists()
    for workers in (0, -1):
        with pytest.raises(ValueError, match="workers must be an integer >= 1"):
            run_dataset(load_config(_config(tmp_path)), out, workers=workers, progress=False)
        assert not out.exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        run_dataset(load_config(_config(tmp_path)), tmp_path / "file", workers=1, progress=False)


def test_a_run_failing_before_any_file_removes_the_folders_it_made(tmp_path, monkeypatch):
    import synthstem.runs.run as runs_run

    def refuse(*args):
        raise ValueError("refused after the folder was made")

    monkeypatch.setattr(runs_run, "_run_locked", refuse)
    config = load_config(_config(tmp_path))
    with pytest.raises(ValueError, match="refused"):
        run_dataset(config, tmp_path / "new" / "data", workers=1, progress=False)
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "kept"  # a folder that was there before is left as it was
    kept.mkdir()
    with pytest.raises(ValueError, match="refused"):
        run_dataset(config, kept, workers=1, progress=False)
    assert kept.is_dir()


def test_resume_refuses_another_config(local_run, tmp_path):
    tmp, _ = local_run
    out = tmp_path / "data"
    run_dataset(load_config(_config(tmp_path, TINY.replace("seed = 11", "seed = 11\nname = 'x'")).__str__()),
                out, workers=1, progress=False)
    with pytest.raises(ValueError, match="another config"):
        run_dataset(load_config(_config(tmp_path)), out, workers=1, progress=False)


RETRIEVAL = """
[run]
kind = "retrieval"
seed = 5
[simulation]
method = "incoherent"
pixels = 48
size = 16.0
[retrieval]
targets = 2
choices = 3
target_conditions = ["raw", "clean", "blbk2"]
[[structures]]
prototype = "fcc"
elements = "all"
uvw = [[0, 0, 1]]
"""


def test_retrieval_targets_and_twins(tmp_path):
    config = load_config(_config(tmp_path, RETRIEVAL))
    tasks = plan(config, tmp_path / "data")
    assert [t.role for t in tasks] == ["target", "target", "choice", "choice", "choice"]
    report = run_dataset(config, tmp_path / "data", workers=1, progress=False)
    assert report.ok
    out = tmp_path / "data"
    pairs = (out / "retrieval.csv").read_text().splitlines()
    assert pairs[0] == "target,twin" and len(pairs) == 3
    for line in pairs[1:]:
        target, twin = line.split(",")
        a, b = read_item(out / target), read_item(out / twin)
        assert a.name == b.name and a.attrs == b.attrs  # same structure and orientation
        assert set(b.images) == {"stem00-clean", "stem00-blbk1", "stem00-blbk2"}
        assert set(a.images) == {"stem00-clean", "stem00-blbk2"}
        assert not np.array_equal(a.raw, b.raw)  # shifted field of view: a distinct image
        assert abs(len(a.full_coords) - len(b.full_coords)) <= 0.35 * len(a.full_coords)  # similar
        assert abs(a.raw.mean() - b.raw.mean()) < 0.35 * a.raw.mean()
        assert b.params["structure"]["subcell_shift"] is not None
    rows = read_key_csv(out / "key.csv")
    assert sum(r["role"] == "choice" for r in rows) == 3
    assert all(r["twin"] for r in rows if r["role"] == "target")


def test_cif_structures_and_all_zone_axes(tmp_path):
    from ase.io import write
    from ase.spacegroup import crystal

    atoms = crystal(["Sr", "Ti", "O"], basis=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0)],
                    spacegroup=221, cellpar=[3.905] * 3 + [90] * 3)
    cif = tmp_path / "cifs" / "sto.cif"
    cif.parent.mkdir()
    write(cif, atoms)
    cif.write_text("data_sto\n_database_code_ICSD 80873\n" + cif.read_text().split("\n", 1)[1])
    text = TINY.split("[[structures]]")[0].replace('"blbk1", "dfct2", "comb2"', '"blbk1"') + """
[[structures]]
cif = "cifs/sto.cif"
uvw = "all"
max_index = 1
"""
    config = load_config(_config(tmp_path, text))
    tasks = plan(config, tmp_path / "data")
    assert [t.name for t in tasks] == ["080873.010000", "080873.010100", "080873.010101"]
    report = run_dataset(config, tmp_path / "data", workers=1, progress=False)
    assert report.ok
    rows = read_key_csv(tmp_path / "data" / "key.csv")
    assert {r["structure_id"] for r in rows} == {"80873"}
    assert all(r["source"].endswith("sto.cif") and r["spacegroup_number"] == "221" for r in rows)
    item = read_item(tmp_path / "data" / "items" / "080873.010101.h5")
    assert item.attrs["icsd_collcode"] == "80873" and item.attrs["uvw_direction"] == "(1.0, 1.0, 1.0)"


def test_limit_makes_the_full_runs_first_items(local_run, tmp_path):
    """--limit N: the first N items of the plan, byte for byte those of the full run."""
    from synthstem.cli import main

    tmp, full = local_run
    out = tmp_path / "limited"
    assert main(["run", str(_config(tmp_path)), "--out", str(out), "--limit", "2", "--workers", "1",
                 "--no-progress", "--no-preview"]) == 0
    first = [t.h5 for t in plan(load_config(_config(tmp_path)), out)[:2]]
    made = sorted(str(p.relative_to(out)) for p in out.rglob("*.h5"))
    assert made == sorted(first)
    mine, theirs = _files(out), _files(full.out)
    names = [Path(f).stem for f in first]
    item_files = [k for k in mine if any(n in k for n in names)]
    assert len(item_files) > 2  # the HDF5 files and their PNGs
    for k in item_files:
        assert mine[k] == theirs[k], k
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["limit"] == {"items": 2, "planned": full.n_items} and manifest["n_items"] == 2
    # a later run without --limit completes the dataset: the same files as the full run
    report = run_dataset(load_config(_config(tmp_path)), out, workers=1, progress=False)
    assert report.skipped == 2 and report.done == full.n_items - 2
    for k, v in _files(full.out).items():
        if k.startswith("items/"):
            assert _files(out)[k] == v, k


def test_limit_is_checked(tmp_path, capsys):
    from synthstem.cli import main

    assert main(["run", str(_config(tmp_path)), "--out", str(tmp_path / "x"), "--limit", "0"]) == 2
    assert "--limit must be an integer >= 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["config", "check", str(_config(tmp_path)), "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "--limit 2: the first 2 of 5 planned items" in out and "2 items, 10 images" in out
