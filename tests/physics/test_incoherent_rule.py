"""The planner's rule (physics/incoherent_rule.py): lookup logic on a synthetic table, and
the bundled measured table's consistency."""

import pytest

from synthstem.physics import incoherent_rule as rule


def _row(case, kind, thickness, contrast_inc=10.0, contrast_ref=10.0, peaks=(1.0,),
         pos=0.01, ncc=0.99, mean=1.0):
    return {"case": case, "kind": kind, "specimen_thickness": thickness,
            "peak_support_inc": contrast_inc, "peak_support_ref": contrast_ref,
            "heavy_peak_ratio": list(peaks), "pos_err_inc": pos, "ncc": ncc,
            "mean_ratio": mean}


@pytest.fixture
def synthetic(monkeypatch):
    rows = [_row("thin film", "atoms on amorphous film", 20.0),
            _row("thick film", "atoms on amorphous film", 50.0, contrast_inc=13.0),
            _row("3 cells", "crystal on zone axis", 12.0, peaks=(0.9, 1.05)),
            _row("10 cells", "crystal on zone axis", 39.0, peaks=(0.5,), ncc=0.9),
            _row("low mean", "particle on amorphous film", 30.0, mean=0.8)]
    monkeypatch.setattr(rule, "validation_table", lambda: (rows, {}))
    return rows


def test_case_errors():
    e = rule.case_errors(_row("x", "monolayer", 3.0, contrast_inc=11.0, peaks=(0.9, 1.3),
                              pos=0.03, ncc=0.97, mean=0.95))
    assert e == pytest.approx({"contrast": 0.1, "peak": 0.1, "position": 0.03, "ncc": 0.03,
                               "mean": 0.05})
    assert rule.case_errors(_row("v", "atoms in vacuum", 9.0))["contrast"] is None


def test_lookup_takes_the_nearest_case_at_least_as_thick(synthetic):
    thin = rule.incoherent_error_estimate("atoms on amorphous film", 15.0)
    assert thin["case"] == "thin film" and thin["method"] == "incoherent"
    assert thin["within_tolerance"] is True
    mid = rule.incoherent_error_estimate("atoms on amorphous film", 30.0)
    assert mid["case"] == "thick film" and mid["errors"]["contrast"] == pytest.approx(0.3)
    assert mid["method"] == "prism" and "contrast 0.3" in mid["reason"]
    relaxed = rule.incoherent_error_estimate("atoms on amorphous film", 30.0,
                                             tolerance={"contrast": 0.35})
    assert relaxed["method"] == "incoherent"
    beyond = rule.incoherent_error_estimate("atoms on amorphous film", 80.0)
    assert beyond["method"] == "prism" and beyond["within_tolerance"] is None
    assert "thickest measured: 50.0" in beyond["reason"]
    assert rule.incoherent_error_estimate("crystal on zone axis", 10.0)["method"] == "incoherent"
    assert rule.incoherent_error_estimate("crystal on zone axis", 20.0)["method"] == "prism"
    low = rule.incoherent_error_estimate("particle on amorphous film", 10.0)
    assert low["method"] == "prism" and "mean 0.2 > 0.15" in low["reason"]
    none = rule.incoherent_error_estimate("monolayer", 3.0)
    assert none["method"] == "prism" and none["case"] is None


@pytest.mark.parametrize("args, match", [
    (("bulk", 10.0), "kind must be one of"),
    (("monolayer", -1.0), "thickness must be >= 0"),
    (("monolayer", "thin"), "thickness must be a number"),
])
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        rule.incoherent_error_estimate(*args)
    with pytest.raises(ValueError, match="tolerance keys"):
        rule.incoherent_error_estimate("monolayer", 3.0, tolerance={"speed": 1})


def test_bundled_table_is_complete_and_consistent():
    rows, info = rule.validation_table()
    assert info["reference"]["method"] == "prism" and info["reference"]["interpolation"] == 1
    assert {r["kind"] for r in rows} <= set(rule.KINDS)
    for r in rows:
        e = rule.case_errors(r)
        assert all(v is None or v >= 0 for v in e.values())
        assert r["configs"] >= 2  # frozen phonons
        est = rule.incoherent_error_estimate(r["kind"], r["specimen_thickness"])
        assert est["case"] == r["case"]
        assert est["method"] == ("incoherent" if all(e[k] is None or e[k] <= v for k, v in
                                                     rule.TOLERANCE.items()) else "prism")
