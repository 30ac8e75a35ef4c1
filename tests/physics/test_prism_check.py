"""PRISM accuracy check (physics/prism_check.py, simulate(prism_check=...)): its values are
multislice and PRISM at the same positions, same configuration and optics; it measures a
small error where PRISM is good and a large one on a thick incommensurate window."""

from dataclasses import replace

import numpy as np
import pytest
from ase import Atoms

from synthstem.physics.multislice import multislice_scan
from synthstem.physics.optics import Microscope
from synthstem.physics.potential import potential_slices
from synthstem.physics.prism import prism_scan
from synthstem.physics.prism_check import (TOLERANCE, PrismAccuracyError, PrismAccuracyWarning,
                                           check_positions)
from synthstem.physics.simulate import simulate
from synthstem.random import as_rng
from synthstem.structures.thermal import thermal_displacements

A = 3.905  # SrTiO3 lattice constant [Angstrom]


def srtio3(lateral, cells):
    base = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                             (0.5, 0, 0.5), (0, 0.5, 0.5)],
                 cell=[A, A, A], pbc=True)
    return base.repeat((lateral, lateral, cells))


def run(atoms, f, scan, **kw):
    """PRISM on the scan grid itself (no Fourier interpolation): image = scan image."""
    kw = {"slice_thickness": A / 2, "projection": "infinite", "sampling": "detector",
          "workers": 2, **kw}
    return simulate(atoms, method="prism", interpolation=f, pixels=scan, scan_pixels=scan, **kw)


def test_positions_brightest_first_dimmest_last_distinct():
    image = np.array([[3.0, 9.0, 1.0], [5.0, 0.5, 7.0]])
    assert check_positions(image, 4) == [(0, 1), (1, 2), (1, 0), (1, 1)]  # ranks 0, 1, 2, 5
    assert check_positions(image, 2) == [(0, 1), (1, 1)]
    assert check_positions(image, 1) == [(0, 1)]
    noise = np.random.default_rng(0).random((24, 24))
    rank = np.argsort(np.argsort(-noise.ravel())).reshape(noise.shape)
    assert [rank[p] for p in check_positions(noise, 4)] == [0, 7, 68, 575]  # 576^(k/3) - 1
    many = check_positions(image, 50)  # at most one per pixel
    assert len(many) == image.size and len(set(many)) == image.size
    flat = check_positions(np.zeros((2, 2)), 3)
    assert len(flat) == len(set(flat)) <= 3


def test_values_are_multislice_and_prism_of_the_first_configuration():
    atoms = srtio3(3, 2)
    scope = Microscope(focal_spread=30.0)
    res = run(atoms, 3, 12, microscope=scope, phonons=2, seed=7, phonon_rms=0.1,
              focal_points=3, prism_check=4)
    rec = res.params["prism_check"]
    assert rec["probes"] == 4 and len(rec["positions"]) == 4
    # the focal point of largest weight, the first frozen-phonon configuration
    assert rec["defocus"] == res.params["focal_defoci"][int(np.argmax(res.params["focal_weights"]))]
    pos = atoms.positions + thermal_displacements(atoms, as_rng(7), 0.1)
    pot = potential_slices(atoms, tuple(res.params["gpts"]), A / 2, positions=pos,
                           projection="infinite")
    focus = replace(scope, defocus=rec["defocus"])
    ms = multislice_scan(pot, focus, np.array(rec["positions"]))
    np.testing.assert_allclose(rec["multislice"], ms, rtol=1e-6, atol=0)
    lx = ly = 3 * A
    scan = np.arange(12) * (lx / 12)
    img, _ = prism_scan(pot, focus, scan, np.arange(12) * (ly / 12), 3)
    np.testing.assert_allclose(rec["prism"], [img[j, i] for j, i in rec["pixels"]], rtol=1e-6)
    np.testing.assert_allclose(rec["positions"], [[scan[i], scan[j]] for j, i in rec["pixels"]])
    assert rec["pixels"][0] == list(np.unravel_index(np.argmax(img), img.shape))
    assert rec["pixels"][-1] == list(np.unravel_index(np.argmin(img), img.shape))
    diff = np.abs(np.array(rec["prism"]) - ms).max()
    scale = max(img.max(), ms.max()) - min(img.min(), ms.min())
    assert rec["error"] == pytest.approx(diff / scale)
    assert rec["error_mean"] == pytest.approx(diff / img.mean())


def test_vacuum_is_not_an_error(recwarn):
    # HAADF of vacuum is zero up to rounding: no contrast to divide by
    res = run(Atoms(cell=[8.0, 8.0, 4.0], pbc=True), 2, 8, prism_check=4)
    assert res.params["prism_check"]["error"] < 1e-3
    assert not [w for w in recwarn if issubclass(w.category, PrismAccuracyWarning)]


def test_f1_is_exact():
    rec = run(srtio3(3, 1), 1, 12, prism_check=4).params["prism_check"]
    assert rec["error"] < 1e-4, rec


def test_small_error_on_a_thin_commensurate_window(recwarn):
    # 7.8 A windows (two unit cells), 3.9 A thick: PRISM's own error is a few % of the
    # contrast (probe tails of the L/f probe array)
    rec = run(srtio3(4, 1), 2, 16, prism_check=4).params["prism_check"]
    assert rec["error"] < 0.05 < TOLERANCE, rec
    assert not [w for w in recwarn if issubclass(w.category, PrismAccuracyWarning)]


def test_large_error_on_a_thick_incommensurate_window_warns():
    # 5.9 A windows = 1.5 unit cells at 51 A: the probe array's replicas sit on the other
    # column type (docs/physics.md)
    atoms = srtio3(3, 13)
    kw = dict(slice_thickness=A, prism_check=4)
    with pytest.warns(PrismAccuracyWarning, match=r"interpolation=2 \(5\.86 x 5\.86 A probe "
                                                  r"windows\) at 50\.8 A thickness") as rec:
        res = run(atoms, 2, 12, **kw)
    assert len(rec) == 1 and "\n" not in str(rec[0].message)
    check = res.params["prism_check"]
    assert check["error"] > 0.5 and check["tolerance"] == TOLERANCE
    assert f"{check['error']:.3g}" in str(rec[0].message)
    # f=1 at the same positions is the truth: the check's multislice values are it
    exact = run(atoms, 1, 12, **kw).image
    np.testing.assert_allclose(check["multislice"], [exact[j, i] for j, i in check["pixels"]],
                               rtol=1e-4)


def test_strict_raises_instead_of_warning(monkeypatch):
    import synthstem.physics.prism_check as pc

    atoms = srtio3(2, 1)
    assert run(atoms, 2, 8, prism_strict=True).params["prism_check"]["error"] < TOLERANCE
    monkeypatch.setattr(pc, "TOLERANCE", 0.0)  # any measured error exceeds it
    with pytest.raises(PrismAccuracyError, match=r"interpolation=2 \(3\.90 x 3\.90 A"):
        run(atoms, 2, 8, prism_strict=True)


def test_disabled_check_costs_nothing_and_images_do_not_change():
    atoms = srtio3(2, 1)
    on = run(atoms, 2, 8, phonons=1, seed=3, prism_check=3)
    off = run(atoms, 2, 8, phonons=1, seed=3, prism_check=0)
    assert on.params["prism_check"]["probes"] == 3 and "prism_check" in on.timings
    assert "prism_check" not in off.params and "prism_check" not in off.timings
    np.testing.assert_array_equal(on.image, off.image)
    ms = simulate(atoms, method="multislice", pixels=8, scan_pixels=8, sampling="detector",
                  slice_thickness=A, prism_check=4)
    assert "prism_check" not in ms.params


@pytest.mark.parametrize("kw, name", [({"prism_check": -1}, "prism_check"),
                                      ({"prism_check": 2.5}, "prism_check"),
                                      ({"prism_check": True}, "prism_check"),
                                      ({"prism_strict": "yes"}, "prism_strict")])
def test_bad_values_name_the_parameter(kw, name):
    with pytest.raises(ValueError, match=name):
        simulate(srtio3(1, 1), pixels=8, **kw)
