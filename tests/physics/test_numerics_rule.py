"""numerics_rule: the default slice thickness and sampling as a measured function of the
specimen (benchmarks/THICKNESS.md); simulate records the choice and its predicted error."""

import json
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms

from synthstem.physics import numerics_rule
from synthstem.physics.numerics_rule import default_numerics, predicted_error
from synthstem.physics.optics import Microscope
from synthstem.physics.simulate import FAST, simulate

TABLE = Path(numerics_rule.__file__).parent / "data" / "numerics_rule.json"


def raw_table():
    return json.loads(TABLE.read_text())


def finer_or_equal(a, b):
    """Setting ``a`` is at least as fine as ``b`` in slice thickness and sampling."""
    return (a["slice_thickness"] <= b["slice_thickness"] + 1e-12
            and a["sampling"] <= b["sampling"] + 1e-12)


def test_table_is_a_chain_of_ever_finer_candidates_with_non_decreasing_errors():
    t = raw_table()
    cands = t["candidates"]
    assert len(cands) >= 2
    for a, b in zip(cands[1:], cands[:-1]):
        assert finer_or_equal(a, b) and a != b
    for c in cands:
        errs = c["errors"]
        assert len(errs) == len(t["z_classes"])
        for i, row in enumerate(errs):
            assert len(row) == len(t["thicknesses"])
            known = [e for e in row if e is not None]
            assert known == sorted(known)  # cumulative over thinner specimens
            if i:  # cumulative over lighter cells
                for e, below in zip(row, errs[i - 1]):
                    if e is not None and below is not None:
                        assert e >= below


@pytest.mark.parametrize("tolerance", [0.01, 0.02, 0.05])
def test_rule_is_monotone_thicker_and_heavier_never_coarser(tolerance):
    thicknesses = [5, 20, 27, 40, 60, 100, 150, 250, 400, 500, 800]
    zs = [3, 14, 22, 30, 38, 50, 58, 70, 79, 92]
    grid = {(t, z): default_numerics(t, z, tolerance=tolerance) for t in thicknesses for z in zs}
    for (t, z), r in grid.items():
        for (t2, z2), r2 in grid.items():
            if t2 >= t and z2 >= z:
                assert finer_or_equal(r2, r), ((t, z), (t2, z2))


def test_rule_matches_the_table():
    t = raw_table()
    tol = 0.02
    for i, z in enumerate(t["z_classes"]):
        for j, thick in enumerate(t["thicknesses"]):
            def first(a, b):
                return next((k for k, c in enumerate(t["candidates"])
                             if c["errors"][a][b] is not None and c["errors"][a][b] <= tol),
                            len(t["candidates"]) - 1)
            expected = max(first(a, b) for a in range(i + 1) for b in range(j + 1))
            r = default_numerics(thick, z, 200e3, tol)
            assert r["candidate"] == expected
            assert r["slice_thickness"] == t["candidates"][expected]["slice_thickness"]
            assert r["sampling"] == t["candidates"][expected]["sampling"]
            assert r["predicted_error"] == t["candidates"][expected]["errors"][i][j]
            assert r["extrapolated"] == []


def test_rule_flags_and_refines_outside_the_measured_range():
    t = raw_table()
    inside = default_numerics(t["thicknesses"][-1], t["z_classes"][-1])
    beyond = default_numerics(2 * t["thicknesses"][-1], t["z_classes"][-1] + 5)
    assert len(beyond["extrapolated"]) == 2
    assert finer_or_equal(beyond, inside)
    hot = default_numerics(100, 38, energy=300e3)
    assert hot["slice_thickness"] < default_numerics(100, 38)["slice_thickness"]
    assert any("eV" in e for e in hot["extrapolated"])
    assert default_numerics(100, 38, energy=80e3)["slice_thickness"] == \
        default_numerics(100, 38)["slice_thickness"]


@pytest.mark.parametrize("kwargs,match", [
    ({"thickness": 0, "max_z": 8}, "thickness"), ({"thickness": "x", "max_z": 8}, "thickness"),
    ({"thickness": 10, "max_z": 0}, "max_z"), ({"thickness": 10, "max_z": 8.5}, "max_z"),
    ({"thickness": 10, "max_z": 8, "tolerance": -1}, "tolerance"),
    ({"thickness": 10, "max_z": 8, "energy": float("nan")}, "energy")])
def test_rule_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        default_numerics(**kwargs)


def sto(n):
    base = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                             (0.5, 0, 0.5), (0, 0.5, 0.5)],
                 cell=[3.905] * 3, pbc=True)
    return base.repeat((1, 1, n))


def test_simulate_records_the_rule_and_explicit_settings():
    atoms = sto(7)
    kw = dict(pixels=8, method="multislice", scan_pixels=2, workers=1, prism_check=0)
    r = simulate(atoms, **kw)
    rule = default_numerics(atoms.cell[2, 2], 38)
    num = r.params["numerics"]
    assert num["slice_thickness"] == num["sampling"] == "rule"
    assert num["max_z"] == 38 and num["thickness"] == pytest.approx(27.335)
    assert num["predicted_error"] == rule["predicted_error"]
    assert r.params["slice_thickness"] == rule["slice_thickness"]
    assert r.params["sampling"][0] <= min(rule["sampling"], Microscope().max_sampling())
    fast = simulate(atoms, **kw, **FAST).params["numerics"]
    assert fast["slice_thickness"] == fast["sampling"] == "explicit"
    assert fast["predicted_error"] is None  # infinite projection: not in the table
    c0 = raw_table()["candidates"][0]
    explicit = simulate(atoms, slice_thickness=c0["slice_thickness"], sampling=c0["sampling"],
                        **kw).params["numerics"]
    assert explicit["predicted_error"] == predicted_error(
        c0["slice_thickness"], c0["sampling"], atoms.cell[2, 2], 38)
    assert explicit["predicted_error"] is not None


def si110(periods):
    from ase.build import bulk, cut

    si = bulk("Si", "diamond", a=5.431, cubic=True)
    c = cut(si, a=(0.5, -0.5, 0), b=(0, 0, 1), c=(0.5, 0.5, 0))
    out = Atoms(c.get_chemical_symbols(), scaled_positions=c.get_scaled_positions(),
                cell=np.diag(c.cell.lengths()), pbc=True)
    out.wrap(eps=1e-6)
    return out.repeat((1, 1, periods))


def test_rule_setting_is_within_its_tolerance_of_a_finer_run():
    # 27 A Si [110], one cell wide (3.84 x 5.43 A), 4 x 4 probes by exact multislice: the
    # rule's setting against halved slices and 0.7x its sampling (an independent, finer run)
    atoms = si110(7)
    kw = dict(pixels=8, method="multislice", scan_pixels=4, workers=1, prism_check=0)
    r = simulate(atoms, **kw)
    assert r.params["numerics"]["predicted_error"] <= 0.02
    dz, s = r.params["slice_thickness"], r.params["sampling"][0]
    fine = simulate(atoms, slice_thickness=dz / 2, sampling=0.7 * s, **kw)
    rel = r.image.mean() / fine.image.mean() - 1
    assert abs(rel) <= r.params["numerics"]["tolerance"]
    a, b = r.image - r.image.mean(), fine.image - fine.image.mean()
    assert np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)) > 0.999
