"""The PRISM f rule (physics/prism_f.py) and simulate(accuracy=...) (physics/accuracy.py)."""

import warnings
from dataclasses import replace

import numpy as np
import pytest

from synthstem.physics import prism_f
from synthstem.physics.optics import Microscope
from synthstem.physics.prism_check import PrismAccuracyError, PrismAccuracyWarning
from synthstem.physics.simulate import FAST, simulate
from synthstem.structures.orient import orient
from synthstem.structures.prototypes import prototype


def _au(thickness):
    """Au [001], 2 x 2 unit cells (8.16 A), periodic: f=4 gives 2 A windows."""
    return orient(prototype("fcc", elements="Au"), (0, 0, 1), size=8.156, thickness=thickness,
                  boundary="periodic")


def test_the_table_grows_with_thickness_and_is_read_as_measured():
    data = prism_f.spread_table()
    w = data["table"]["79"]["200000:20"][data["eps"].index(0.02)]
    # the value at a tabulated depth is returned as stored
    assert prism_f.table_spread(79, 200e3, 20.0, 10 * data["step"], 0.02) == pytest.approx(w[10])
    assert prism_f.table_spread(79, 200e3, 20.0, 60.0, 0.02) > prism_f.table_spread(
        79, 200e3, 20.0, 4.0, 0.02)
    # beyond the measured depth nothing is predicted: no f > 1 can be chosen
    assert prism_f.table_spread(79, 200e3, 20.0, data["depth"] + 1, 0.02) == np.inf
    # heavier elements than the heaviest tabulated use the heaviest; lighter the next above
    assert prism_f.table_spread(92, 200e3, 20.0, 40.0, 0.02) == prism_f.table_spread(
        79, 200e3, 20.0, 40.0, 0.02)
    assert prism_f.table_spread(8, 200e3, 20.0, 40.0, 0.02) == prism_f.table_spread(
        13, 200e3, 20.0, 40.0, 0.02)


def test_the_rule_picks_smaller_f_for_thicker_specimens():
    scope = Microscope()
    fs = [prism_f.choose((26.0, 26.0), t, 79, scope, "dataset")["interpolation"]
          for t in (5.0, 20.0, 40.0, 80.0, 150.0)]
    assert fs == sorted(fs, reverse=True) and fs[0] > fs[-1]
    # "converged" allows less leak: never a larger f than "dataset"
    for t in (5.0, 20.0, 40.0, 80.0):
        assert (prism_f.choose((26.0, 26.0), t, 79, scope, "converged")["interpolation"]
                <= prism_f.choose((26.0, 26.0), t, 79, scope, "dataset")["interpolation"])


def test_the_rule_window_holds_the_predicted_spread():
    scope = Microscope(defocus=40.0, Cs=1e4, tilt_x=5.0)
    for t in (10.0, 30.0, 60.0):
        c = prism_f.choose((20.0, 24.0), t, 47, scope, "dataset")
        assert c["window"] == pytest.approx(10.0 / c["interpolation"], abs=1e-3)
        cover = prism_f.LEVELS["dataset"]["cover"]
        if c["interpolation"] > 1:
            assert c["window"] >= cover * c["spread"]
        if c["interpolation"] < prism_f.MAX_F:
            assert 10.0 / (c["interpolation"] + 1) < cover * c["spread"]  # the next f would not fit


def test_aberrations_and_tilt_widen_the_predicted_spread():
    ideal = Microscope()
    for change in ({"defocus": 60.0}, {"tilt_x": 8.0}, {"astigmatism": 40.0}):
        assert prism_f.spread(replace(ideal, **change), 40.0, 29, 0.02) > prism_f.spread(
            ideal, 40.0, 29, 0.02)


def test_vacuum_half_width_of_a_defocused_probe_is_geometric():
    # far from focus the probe is a disc of radius alpha * defocus: the square holding
    # 90 % of it has a half-width between 0.7 and 1 radius (a uniform disc: 0.74)
    scope = Microscope(convergence=20.0, defocus=300.0)
    w = prism_f.vacuum_half_widths(scope, [0.1], extent=40.0, sampling=0.08)[0]
    assert 0.65 * 6.0 < w < 1.05 * 6.0


def test_levels_are_checked():
    with pytest.raises(ValueError, match="accuracy must be one of"):
        prism_f.check_level("best")
    with pytest.raises(ValueError, match="accuracy must be one of"):
        simulate(_au(8.0), pixels=16, accuracy="best", **FAST)


def test_a_failing_image_is_recomputed_once_at_a_safer_setting_and_recorded():
    cell = _au(40.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrismAccuracyWarning)  # the retry passes: no warning
        res = simulate(cell, pixels=16, interpolation=4, phonons=0, accuracy="dataset", **FAST)
    acc = res.params["accuracy"]
    first, last = acc["attempts"]
    assert first["interpolation"] == 4 and first["error"] > 0.1  # known to fail at f=4
    assert last["interpolation"] == 2 and last["error"] <= 0.1
    assert acc["retries"] == 1 and acc["passed"] is True and acc["interpolation"] == 2
    assert res.params["interpolation"] == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = simulate(cell, pixels=16, interpolation=2, phonons=0, **FAST)
    np.testing.assert_array_equal(res.image, plain.image)  # the image is the f=2 one


def test_after_f1_the_safer_setting_is_multislice_and_a_final_failure_warns_or_raises(
        monkeypatch):
    monkeypatch.setitem(prism_f.LEVELS, "dataset", {"tolerance": -1.0, "eps": 0.1, "cover": 0.8})
    cell = _au(8.0)
    res = simulate(cell, pixels=16, interpolation=1, phonons=0, accuracy="dataset", **FAST)
    acc = res.params["accuracy"]
    assert [a["method"] for a in acc["attempts"]] == ["prism", "multislice"]
    assert acc["passed"] is True and res.params["method"] == "multislice"
    with pytest.warns(PrismAccuracyWarning, match="after 1 retry"):
        res = simulate(cell, pixels=16, interpolation=4, phonons=0, accuracy="dataset", **FAST)
    assert res.params["accuracy"]["passed"] is False
    assert [a["interpolation"] for a in res.params["accuracy"]["attempts"]] == [4, 2]
    with pytest.raises(PrismAccuracyError, match="after 1 retry"):
        simulate(cell, pixels=16, interpolation=4, phonons=0, accuracy="dataset",
                 prism_strict=True, **FAST)


def test_auto_interpolation_uses_the_rule_on_the_cell():
    cell = _au(12.0)
    res = simulate(cell, pixels=16, phonons=0, accuracy="dataset", **FAST)
    pred = res.params["accuracy"]["predicted"]
    assert pred["interpolation"] == prism_f.choose((8.1564, 8.1564), 12.0, 79, Microscope(),
                                                   "dataset")["interpolation"]
    assert res.params["accuracy"]["attempts"][0]["interpolation"] == pred["interpolation"]


def test_without_accuracy_nothing_changes():
    cell = _au(40.0)
    with pytest.warns(PrismAccuracyWarning, match="interpolation=4"):
        res = simulate(cell, pixels=16, phonons=0, **FAST)  # interpolation None: 4, as before
    assert res.params["interpolation"] == 4 and "accuracy" not in res.params
    with pytest.raises(PrismAccuracyError, match="interpolation=4"):
        simulate(cell, pixels=16, phonons=0, prism_strict=True, **FAST)


def test_accuracy_needs_the_check():
    with pytest.raises(ValueError, match="prism_check >= 1"):
        simulate(_au(8.0), pixels=16, phonons=0, accuracy="dataset", prism_check=0, **FAST)


def test_a_bad_cell_gets_the_one_line_error_of_simulate():
    with pytest.raises(ValueError, match="cell must be an OrientedCell or ase.Atoms"):
        simulate("not a cell", pixels=16, accuracy="dataset")
