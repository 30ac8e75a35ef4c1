"""``[simulation] accuracy`` / ``interpolation = "auto"``: planned f per item, the item's
retry recorded in its params, the manifest's summary, run's last line, the report's section."""

import json

import pytest

from synthstem.io.hdf5 import read_item
from synthstem.physics import prism_f
from synthstem.runs.config import config_from_dict, load_config
from synthstem.runs.plan import plan
from synthstem.runs.run import run_dataset

STRUCTURES = [{"prototype": "fcc", "elements": "Au", "uvw": [[0, 0, 1]]}]


def _config(**simulation):
    return config_from_dict({"simulation": simulation, "structures": STRUCTURES})


def test_defaults_are_dataset_accuracy_and_auto_f():
    sim = _config().simulation
    assert sim.accuracy == "dataset" and sim.interpolation == "auto"


@pytest.mark.parametrize("simulation, words", [
    ({"accuracy": "none"}, "interpolation = 'auto' needs an accuracy"),
    ({"accuracy": "best"}, "simulation.accuracy"),
    ({"interpolation": 0}, "simulation.interpolation"),
    ({"interpolation": "fine"}, "simulation.interpolation"),
    ({"prism_check": 0}, "needs the PRISM check"),
])
def test_bad_settings_give_one_clear_error(simulation, words):
    with pytest.raises(ValueError, match=words):
        _config(**simulation)


def test_the_plan_gives_thicker_items_smaller_f(tmp_path):
    from synthstem.physics.numerics_rule import default_numerics
    from synthstem.physics.optics import Microscope

    config = config_from_dict({"run": {"seed": 1}, "simulation": {
        "size": 16.0, "thickness": [8.0, 120.0], "pixels": 16},
        "structures": [{"prototype": "fcc", "elements": "Au",
                        "uvw": [[0, 0, 1], [0, 1, 1], [1, 1, 1], [1, 1, 2], [0, 1, 2]]}]})
    by_t = {}
    for t in plan(config, tmp_path):
        sim = t.physics["simulation"]
        planned = sim["planned"]
        scope = Microscope(**t.physics["microscope"])
        # the converged preset leaves slices and sampling to the thickness rule: the plan
        # fills them as simulate will (physics/numerics_rule.py) and records them
        rule = default_numerics(sim["thickness"], 79, scope.energy)
        sampling = min(scope.max_sampling(), rule["sampling"])
        expect = prism_f.choose((16.0, 16.0), sim["thickness"], 79, scope, "dataset",
                                slice_thickness=rule["slice_thickness"], sampling=sampling)
        assert planned == dict(expect, slice_thickness=rule["slice_thickness"], sampling=sampling)
        by_t.setdefault(sim["thickness"], set()).add(planned["interpolation"])
    assert sorted(by_t) == [8.0, 120.0]
    assert max(by_t[120.0]) < min(by_t[8.0])


RUN = """
[run]
seed = 3
[simulation]
method = "prism"
interpolation = 4
accuracy = "dataset"
preset = "fast"
phonons = 0
pixels = 16
size = 8.156
thickness = 40.0
boundary = "periodic"
[output]
conditions = ["raw", "clean"]
png = false
[[structures]]
prototype = "fcc"
elements = "Au"
uvw = [[0, 0, 1]]
"""


def test_a_failing_item_is_retried_and_said_everywhere(tmp_path, capsys):
    from synthstem.cli import main
    from synthstem.report import write_report

    path = tmp_path / "c.toml"
    path.write_text(RUN)  # Au [001], 2 A windows through 40 A: f=4 fails its check (0.26)
    out = tmp_path / "data"
    args = ["run", str(path), "--out", str(out), "--workers", "1", "--no-progress", "--no-preview"]
    assert main(args) == 0
    stdout = capsys.readouterr().out.strip().splitlines()
    assert stdout[-1].startswith("accuracy (dataset): 1/1 checked items within tolerance, "
                                 "0 flagged, 1 retried")
    item = read_item(next((out / "items").glob("*.h5")))
    acc = item.params["accuracy"]
    assert acc["retries"] == 1 and acc["passed"] is True and acc["interpolation"] == 2
    sim_acc = item.params["simulation"]["accuracy"]
    assert [a["interpolation"] for a in sim_acc["attempts"]] == [4, 2]
    assert sim_acc["attempts"][0]["error"] > 0.1 >= sim_acc["attempts"][1]["error"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["accuracy"]["retried"] == 1 and manifest["accuracy"]["flagged"] == 0
    assert manifest["accuracy"]["settings"] == {"prism f=2": 1}
    page = write_report(out).read_text()
    assert "<h2>Accuracy" in page and "1 retried" in page


def test_flagged_items_come_first_in_the_report(tmp_path, monkeypatch):
    from synthstem.report import write_report

    # every check fails: the f=4 items retry at f=2 and stay flagged
    monkeypatch.setitem(prism_f.LEVELS, "dataset", {"tolerance": -1.0, "eps": 0.1, "cover": 0.8})
    path = tmp_path / "c.toml"
    path.write_text(RUN.replace("thickness = 40.0", "thickness = [8.0, 40.0]")
                    + '[[structures]]\nprototype = "fcc"\nelements = "Ag"\nuvw = [[0, 0, 1]]\n')
    out = tmp_path / "data"
    with pytest.warns(UserWarning):
        report = run_dataset(load_config(path), out, workers=1, progress=False)
    assert len(report.prism_flagged) == len(report.accuracy) >= 1
    page = write_report(out).read_text()
    section = page[page.index("<h2>Accuracy"):page.index("<h2>Gallery")]
    assert section.index("FLAGGED") < section.index("</table>")
