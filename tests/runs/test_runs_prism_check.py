"""``[simulation] prism_check`` / ``prism_strict``: defaults, one-line errors naming the key,
and the item's simulation runs (and records) the check as configured. These run with
``accuracy = "none"`` (the check only; strict fails the item at once, as before the
accuracy levels); tests/runs/test_runs_accuracy.py covers the checked-and-retried runs."""

import pytest

from synthstem.physics.prism_check import DEFAULT_PROBES
from synthstem.runs.build import simulate_cell
from synthstem.runs.config import config_from_dict
from synthstem.structures.orient import orient
from synthstem.structures.prototypes import prototype

STRUCTURES = [{"prototype": "fcc", "elements": "Au"}]


def _physics(**simulation):
    return config_from_dict({"simulation": simulation, "structures": STRUCTURES}).to_dict()


def test_on_by_default_for_dataset_runs():
    sim = _physics()["simulation"]
    assert sim["prism_check"] == DEFAULT_PROBES > 0 and sim["prism_strict"] is False


@pytest.mark.parametrize("key, value", [("prism_check", -1), ("prism_check", 1.5),
                                        ("prism_check", "4"), ("prism_check", 65),
                                        ("prism_strict", "yes")])
def test_bad_values_name_the_key(key, value):
    with pytest.raises(ValueError) as err:
        _physics(**{key: value})
    assert f"simulation.{key}" in str(err.value) and repr(value) in str(err.value)


@pytest.mark.parametrize("probes", [0, 2])
def test_item_simulation_runs_the_configured_check(probes):
    physics = _physics(method="prism", interpolation=2, pixels=16, size=4.08, phonons=0,
                       preset="fast", prism_check=probes, accuracy="none")
    cell = orient(prototype("fcc", elements="Au"), (0, 0, 1), size=4.08)
    res = simulate_cell(cell, physics, seed=1)
    if probes:
        assert res.params["prism_check"]["probes"] == probes
    else:
        assert "prism_check" not in res.params


def test_strict_fails_the_item_simulation(monkeypatch):
    import synthstem.physics.prism_check as pc

    monkeypatch.setattr(pc, "TOLERANCE", -1.0)  # every measured error exceeds it
    physics = _physics(method="prism", interpolation=2, pixels=16, size=4.08, phonons=0,
                       preset="fast", prism_strict=True, accuracy="none")
    cell = orient(prototype("fcc", elements="Au"), (0, 0, 1), size=4.08)
    with pytest.raises(pc.PrismAccuracyError, match="interpolation=2"):
        simulate_cell(cell, physics, seed=1)


RUN = """
[run]
seed = 3
[simulation]
method = "prism"
interpolation = 2
accuracy = "none"
preset = "fast"
phonons = 0
pixels = 16
size = 8.0
{extra}
[output]
conditions = ["raw", "clean"]
png = false
[[structures]]
prototype = "fcc"
elements = "Au"
uvw = [[0, 0, 1]]
"""


@pytest.mark.parametrize("strict", [False, True])
def test_every_stored_item_carries_the_check_and_strict_fails_it(tmp_path, monkeypatch, strict):
    import json

    import synthstem.physics.prism_check as pc
    from synthstem.io.hdf5 import read_item
    from synthstem.runs.config import load_config
    from synthstem.runs.run import run_dataset

    if strict:
        monkeypatch.setattr(pc, "TOLERANCE", -1.0)  # every measured error exceeds it
    path = tmp_path / "c.toml"
    path.write_text(RUN.format(extra="prism_strict = true" if strict else ""))
    out = tmp_path / "data"
    report = run_dataset(load_config(path), out, workers=1, progress=False)
    items = sorted((out / "items").glob("*.h5"))
    if strict:
        assert not report.ok and not items
        failures = json.loads((out / "failures.json").read_text())
        assert "PrismAccuracyError" in failures[0]["error"]
        assert "interpolation=2" in failures[0]["error"]
    else:
        assert report.ok and len(items) == 1
        check = read_item(items[0]).params["simulation"]["prism_check"]
        assert check["probes"] == 4 and check["error"] >= 0 and len(check["multislice"]) == 4
        flagged = check["error"] > check["tolerance"]
        assert report.prism_flagged == ([{"item": str(items[0].relative_to(out)),
                                          "error": check["error"]}] if flagged else [])


def test_the_run_command_reports_items_above_the_tolerance(tmp_path, monkeypatch, capsys):
    import synthstem.physics.prism_check as pc
    from synthstem.cli import main

    monkeypatch.setattr(pc, "TOLERANCE", -1.0)  # every measured error exceeds it
    path = tmp_path / "c.toml"
    path.write_text(RUN.format(extra=""))
    args = ["run", str(path), "--out", str(tmp_path / "data"), "--workers", "1", "--no-progress",
            "--no-preview"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "warning: PRISM accuracy check above the tolerance in 1 item(s)" in err
    # a resumed run (the item already there) still reports it
    assert main(args) == 0
    assert "above the tolerance in 1 item(s)" in capsys.readouterr().err
