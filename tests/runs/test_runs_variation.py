"""Per-item draws in a run: resolved at plan time, recorded, reproducible; labels stay exact
under thickness, boundary, several defects anywhere and amorphous layers."""

import numpy as np
import pytest

from synthstem.physics.optics import Microscope
from synthstem.runs.build import build_item
from synthstem.runs.config import config_from_dict
from synthstem.runs.plan import plan

BASE = {
    "run": {"seed": 5},
    "microscope": {"defocus": {"uniform": [-30.0, 30.0]}, "Cs": [0.0, 1e4],
                   "focal_spread": {"uniform": [0.0, 30.0]},
                   "tilt_x": {"normal": [0.0, 3.0], "clip": [-6.0, 6.0]},
                   "coma": {"uniform": [0.0, 200.0]},
                   "detector": [{"uniform": [60.0, 90.0]}, 180.0]},
    "simulation": {"method": "incoherent", "pixels": 64, "size": 18.0, "phonons": 0,
                   "thickness": {"uniform": [10.0, 30.0]}, "boundary": ["cut", "auto"]},
    "defects": {"kinds": ["vacancy", "substitution", "interstitial"],
                "count": {"randint": [2, 3]}, "position": "anywhere", "margin": 1.0,
                "min_separation": 2.0},
    "amorphous": {"thickness": 4.0, "composition": ["C", "SiO2"], "side": "entrance"},
    "output": {"conditions": ["raw", "clean", "dfct1"], "png": False},
    "structures": [{"prototype": "perovskite/SrTiO3", "uvw": [[0, 0, 1], [0, 1, 1]]},
                   {"prototype": "rocksalt/MgO", "uvw": [[0, 0, 1]]}],
}


def test_plan_draws_every_item_in_range_and_reproducibly(tmp_path):
    tasks = plan(config_from_dict(BASE), tmp_path)
    again = plan(config_from_dict(BASE), tmp_path)
    assert [t.physics for t in tasks] == [t.physics for t in again]
    drawn = [t.physics["drawn"] for t in tasks]
    assert set(drawn[0]) == {"microscope.defocus", "microscope.Cs", "microscope.focal_spread",
                             "microscope.tilt_x", "microscope.coma", "microscope.detector_inner",
                             "simulation.thickness", "simulation.boundary", "defects.count",
                             "amorphous.composition"}
    assert len({d["microscope.defocus"] for d in drawn}) == len(tasks)
    for t in tasks:
        m, s = t.physics["microscope"], t.physics["simulation"]
        Microscope(**m)  # valid
        assert -30 <= m["defocus"] <= 30 and -6 <= m["tilt_x"] <= 6 and m["detector"][1] == 180
        assert 10 <= s["thickness"] <= 30 and s["boundary"] in ("cut", "auto")
        assert t.physics["defects"]["count"] in (2, 3)
    # another seed, other draws; a key made fixed leaves the other keys' draws unchanged
    other = dict(BASE, run={"seed": 6})
    assert plan(config_from_dict(other), tmp_path)[0].physics["drawn"] != drawn[0]
    fixed = dict(BASE, microscope=dict(BASE["microscope"], Cs=0.0))
    d2 = plan(config_from_dict(fixed), tmp_path)[0].physics["drawn"]
    assert "microscope.Cs" not in d2
    assert all(d2[k] == v for k, v in drawn[0].items() if k != "microscope.Cs")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tasks = plan(config_from_dict(BASE), tmp_path_factory.mktemp("var"))
    return tasks, [build_item(t)[0] for t in tasks]


def test_items_record_their_draws_and_rebuild_identically(built):
    tasks, items = built
    for task, item in zip(tasks, items):
        assert item.params["settings"]["drawn"] == task.physics["drawn"]
        rec = item.params["simulation"]["microscope"]
        for key, value in task.physics["drawn"].items():
            section, name = key.split(".", 1)
            if section == "microscope" and not name.startswith("detector"):
                assert rec[name] == value
        assert item.params["simulation"]["microscope"]["detector"][0] == \
            task.physics["drawn"]["microscope.detector_inner"]
        st = item.params["structure"]
        if task.physics["simulation"]["boundary"] == "cut":
            assert st["boundary"] == "cut" and st["boundary_note"] is None
        else:  # 'auto': periodic for [001] (4 x 3.905 A), a recorded fallback for [011]
            periodic = tuple(task.uvw) == (0, 0, 1)
            assert st["boundary"] == ("periodic" if periodic else "cut")
            assert (st["boundary_note"] is None) == periodic
            if periodic:
                assert st["strain"] <= 0.01
        assert st["amorphous"]["thickness"] == 4.0
        # the crystal's thickness is the drawn one; the layer adds its own
        assert st["thickness"] == pytest.approx(task.physics["simulation"]["thickness"], abs=1e-6)
    again, _ = build_item(tasks[1])
    np.testing.assert_array_equal(again.raw, items[1].raw)
    np.testing.assert_array_equal(again.images["stem00-dfct1"], items[1].images["stem00-dfct1"])


def test_defects_anywhere_have_their_own_boxes_containing_their_sites(built):
    _, items = built
    centres = []
    for item in items:
        records = [d for d in item.defects if d["condition"].endswith("dfct1")]
        assert len(records) in (2, 3)
        pixels = item.raw.shape[0]
        margin_px = 1.0 / item.params["structure"]["size"] * pixels
        for r in records:
            x0, y0, w, h = r["bbox_px"]
            sites = np.asarray(r["sites"], dtype=float)
            px = sites[:, :2] / item.params["structure"]["size"] * pixels
            assert np.all(px[:, 0] >= x0 - 1e-6) and np.all(px[:, 0] <= x0 + w + 1e-6)
            assert np.all(px[:, 1] >= y0 - 1e-6) and np.all(px[:, 1] <= y0 + h + 1e-6)
            assert np.all(px >= margin_px - 1e-6) and np.all(px <= pixels - margin_px + 1e-6)
            centres.append(tuple(np.round(r["center_px"], 1)))
    assert len(set(centres)) == len(centres)  # not all at the centre


def test_config_show_round_trips_the_distributions(tmp_path):
    from synthstem.runs.config import load_config
    from synthstem.runs.toml import to_toml
    from synthstem.variation import draw_item

    config = config_from_dict(BASE)
    (tmp_path / "shown.toml").write_text(to_toml(config))
    again = load_config(tmp_path / "shown.toml")
    for index in range(5):
        assert draw_item(again.specs(), 5, index) == draw_item(config.specs(), 5, index)
