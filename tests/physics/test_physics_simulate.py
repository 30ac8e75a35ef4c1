"""simulate(): contract, methods agree, contrast physics, errors. Small cells, few pixels."""

import json

import numpy as np
import pytest
from ase import Atoms

from synthstem.physics.optics import Microscope
from synthstem.physics.scan_grid import fourier_interpolate
from synthstem.physics.simulate import FAST, SimulationResult, simulate

# tests of contracts, method agreement and contrast trends run at the preview settings
# (FAST, 10-23x cheaper); accuracy against converged settings: test_potential_finite.py

from cells import A, ncc, srtio3  # noqa: E402  (tests/ is on pytest's pythonpath)


@pytest.fixture(scope="module")
def sto_images():
    """SrTiO3 [001], 7.81 x 7.81 x 7.81 Angstrom, 32 x 32 pixels (0.244 A/px)."""
    atoms = srtio3()
    return {
        "multislice": simulate(atoms, pixels=32, method="multislice", workers=2, **FAST),
        "prism1": simulate(atoms, pixels=32, method="prism", interpolation=1, workers=2, **FAST),
        "prism2": simulate(atoms, pixels=32, method="prism", interpolation=2, workers=2, **FAST),
        "atoms": atoms,
    }


def test_result_contract(sto_images):
    r = sto_images["prism2"]
    assert isinstance(r, SimulationResult)
    assert r.image.shape == (32, 32) and r.image.dtype == np.float64
    assert r.coords.shape == (len(sto_images["atoms"]), 2) and r.coords.dtype == np.float64
    # coords are positions / (size / pixels): the Sr at the origin, Ti at (a/2, a/2)
    assert r.coords[0] == pytest.approx([0, 0])
    assert r.coords[1] == pytest.approx([8, 8])
    json.dumps(r.params)
    for key in ("method", "pixels", "interpolation", "slice_thickness", "phonons", "seed",
                "parametrization", "microscope", "gpts", "sampling", "scan_gpts",
                "scan_interpolation", "n_slices"):
        assert key in r.params
    assert r.params["scan_interpolation"] == "fourier"
    assert r.params["sampling"][0] <= Microscope().max_sampling()
    assert set(r.timings) >= {"potential", "scan", "total"}


def test_fraction_of_beam_is_plausible(sto_images):
    img = sto_images["multislice"].image
    assert np.all(img > -1e-6) and img.max() < 0.2
    # 7.8 Angstrom of SrTiO3: a few 1e-4 of the beam on the 100-150 mrad annulus
    assert 1e-4 < img.mean() < 2e-3


def test_prism_f1_matches_multislice(sto_images):
    """Same grid, slices and scan: PRISM f=1 is multislice up to float32 rounding
    (measured 4.3e-7 of the maximum; complex64 waves through 4 slices)."""
    a, b = sto_images["multislice"].image, sto_images["prism1"].image
    assert sto_images["multislice"].params["gpts"] == sto_images["prism1"].params["gpts"]
    assert np.abs(a - b).max() < 3e-6 * a.max()


def test_prism_f1_matches_multislice_at_converged_defaults():
    """The same cross-check with the finite projection at 0.25 A slices, 0.035 A sampling
    (the thickness rule's first candidate; explicit, so that the test stays cheap): 32
    slices accumulate more rounding; measured max |diff| 3.1e-6 of the maximum."""
    atoms = srtio3()
    kw = {"slice_thickness": 0.25, "sampling": 0.035}
    a = simulate(atoms, pixels=32, method="multislice", workers=2, **kw)
    b = simulate(atoms, pixels=32, method="prism", interpolation=1, workers=2, **kw)
    assert a.params["projection"] == "finite" and a.params["gpts"] == b.params["gpts"]
    assert np.abs(a.image - b.image).max() < 1e-5 * a.image.max()


def test_prism_f2_close_to_multislice(sto_images):
    a, b = sto_images["multislice"].image, sto_images["prism2"].image
    assert ncc(a, b) > 0.99
    assert b.mean() == pytest.approx(a.mean(), rel=0.05)


@pytest.mark.parametrize("method", ["multislice", "prism1"])
def test_heavier_columns_are_brighter_srtio3(sto_images, method):
    img = sto_images[method].image
    # pixel = position / (7.81 / 32): Sr (0, 0), Ti-O (a/2, a/2), O (a/2, 0)
    sr, tio, o = img[0, 0], img[8, 8], img[0, 8]
    assert sr > tio > o > img[4, 4]


def test_maxima_sit_on_projected_columns(sto_images):
    r = sto_images["multislice"]
    img = r.image
    n = img.shape[0]
    peaks = []
    for j in range(n):
        for i in range(n):
            nb = img[np.ix_([(j - 1) % n, j, (j + 1) % n], [(i - 1) % n, i, (i + 1) % n])]
            if img[j, i] == nb.max() and img[j, i] > 0.05 * img.max():
                peaks.append((i, j))
    assert len(peaks) >= 8  # 4 Sr + 4 Ti-O columns (O columns are weaker)
    cols = np.unique(np.round(r.coords, 6), axis=0)
    for p in peaks:
        d = np.abs(cols - np.array(p))
        d = np.minimum(d, n - d)
        assert np.min(np.hypot(d[:, 0], d[:, 1])) <= 1.0
    # every Sr and Ti-O column carries a maximum
    for c in ([0, 0], [16, 0], [8, 8], [24, 24]):
        d = np.abs(np.array(peaks) - c)
        d = np.minimum(d, n - d)
        assert np.min(np.hypot(d[:, 0], d[:, 1])) <= 1.0


def test_z_series_increases_monotonically():
    elements = ["C", "Si", "Cu", "Ag", "Au"]
    atoms = Atoms(cell=[20.0, 5.0, 6.0], pbc=True)
    for k, el in enumerate(elements):
        for z in (0.5, 2.5, 4.5):
            atoms += Atoms(el, positions=[(2.0 + 4.0 * k, 2.5, z)])
    r = simulate(atoms, pixels=40, method="multislice", workers=2, **FAST)
    # columns at x = 2 + 4k Angstrom -> pixel 4 + 8k; y = 2.5 -> row 20
    values = [r.image[20, 4 + 8 * k] for k in range(len(elements))]
    assert np.all(np.diff(values) > 0), values


def test_vacuum_gives_zero_image():
    atoms = Atoms(cell=[6.0, 6.0, 4.0], pbc=True)
    for method in ("multislice", "prism", "incoherent"):
        r = simulate(atoms, pixels=16, method=method, interpolation=2, **FAST)
        assert np.abs(r.image).max() < 1e-12, method


def test_incoherent_method_is_fast_and_plausible():
    atoms = srtio3(3, 3, 3)
    r = simulate(atoms, pixels=48, method="incoherent")
    img = r.image
    assert img.shape == (48, 48)
    px = 48 / 3  # pixels per unit cell
    assert img[0, 0] > img[int(px / 2), int(px / 2)] > img[0, int(px / 2)]
    assert 1e-4 < img.mean() < 0.01
    sig = r.params["incoherent"]["cross_sections"]
    assert sig["Sr"] > sig["Ti"] > sig["O"] > 0
    json.dumps(r.params)


def test_frozen_phonons_seeded():
    atoms = srtio3(1, 1, 2)
    kw = dict(pixels=8, method="prism", interpolation=1, phonons=2, phonon_rms=0.1, **FAST)
    a = simulate(atoms, seed=7, **kw)
    b = simulate(atoms, seed=7, **kw)
    c = simulate(atoms, seed=8, **kw)
    np.testing.assert_array_equal(a.image, b.image)
    assert not np.allclose(a.image, c.image)
    assert a.params["seed"] == 7 and a.params["phonons"] == 2
    d = simulate(atoms, seed=None, pixels=8, method="incoherent", phonons=1)
    assert isinstance(d.params["seed"], int)  # a fresh seed is drawn and recorded
    e = simulate(atoms, seed=3, phonons=1, phonon_rms={"Sr": 0.1, "Ti": 0.05, "O": 0.08},
                 pixels=8, method="incoherent")
    assert e.params["phonon_rms"]["Ti"] == 0.05


def test_fourier_interpolation_is_exact_for_band_limited_images():
    n, m, length = 20, 64, 10.0
    def f(x, y):
        return (1 + np.cos(2 * np.pi * 3 * x / length) * np.sin(2 * np.pi * 2 * y / length)
                + 0.3 * np.cos(2 * np.pi * (4 * x + 5 * y) / length))
    y, x = np.mgrid[0:n, 0:n] * (length / n)
    yy, xx = np.mgrid[0:m, 0:m] * (length / m)
    np.testing.assert_allclose(fourier_interpolate(f(x, y), (m, m)), f(xx, yy), atol=1e-12)


@pytest.mark.parametrize("kwargs,name", [
    ({"pixels": 7}, "pixels"), ({"pixels": 16.5}, "pixels"),
    ({"slice_thickness": 0}, "slice_thickness"), ({"slice_thickness": -1}, "slice_thickness"),
    ({"method": "bloch"}, "method"), ({"interpolation": 0}, "interpolation"),
    ({"phonons": -1}, "phonons"), ({"parametrization": "peng"}, "parametrization"),
    ({"sampling": 0.2}, "sampling"), ({"workers": 0}, "workers"),
])
def test_bad_parameters_raise(kwargs, name):
    with pytest.raises(ValueError, match=name):
        simulate(srtio3(1, 1, 1), **kwargs)


def test_bad_cells_raise():
    with pytest.raises(ValueError, match="Rf"):
        simulate(Atoms("Rf", positions=[(1, 1, 1)], cell=[4, 4, 4]), pixels=8)
    with pytest.raises(ValueError, match="orthogonal"):
        simulate(Atoms("O", positions=[(1, 1, 1)], cell=[[4, 0, 0], [1, 4, 0], [0, 0, 4]]))
    with pytest.raises(ValueError, match="cell"):
        simulate("SrTiO3")
    with pytest.raises(ValueError, match="phonon_rms"):
        simulate(srtio3(1, 1, 1), phonons=1, phonon_rms={"Sr": 0.1}, method="incoherent")
    with pytest.raises(ValueError, match="energy"):
        simulate(srtio3(1, 1, 1), microscope=Microscope(energy=-1))


def test_oriented_cell_input():
    import importlib

    orient = importlib.import_module("synthstem.structures.orient")
    from synthstem.structures.columns import project_positions
    from synthstem.structures.prototypes import prototype

    cell = orient.orient(prototype("perovskite"), (0, 0, 1), size=2 * A)
    r = simulate(cell, pixels=16, method="prism", interpolation=2, **FAST)
    assert r.image.shape == (16, 16)
    np.testing.assert_allclose(r.coords, project_positions(cell, 16), atol=1e-9)
    assert r.params["extent"] == pytest.approx([2 * A] * 3)


def test_bench_command_runs(capsys):
    from synthstem.cli import main

    assert main(["bench", "--size", str(A), "--pixels", "16",
                 "--methods", "prism2,incoherent"]) == 0
    out = capsys.readouterr().out
    assert "prism f=2" in out and "s/image" in out
    with pytest.raises(ValueError, match="methods"):
        from synthstem.commands.bench import parse_methods
        parse_methods("prismx")


def test_rectangular_cell_source_size_and_progress():
    atoms = srtio3(2, 1, 1)  # 7.81 x 3.905 x 3.905 Angstrom
    sharp = simulate(atoms, pixels=16, method="prism", interpolation=1, progress=True, **FAST)
    assert sharp.image.shape == (16, 16)
    # coords scale per axis: Ti at (a/2, a/2) -> (16 * 0.25, 16 * 0.5)
    assert sharp.coords[1] == pytest.approx([4.0, 8.0])
    blurred = simulate(atoms, Microscope(source_size=0.4), pixels=16, method="prism",
                       interpolation=1, **FAST)
    assert blurred.image.mean() == pytest.approx(sharp.image.mean(), rel=1e-9)
    assert blurred.image.max() < 0.9 * sharp.image.max()


def test_defocus_spreads_the_probe():
    m0, m1 = Microscope(), Microscope(defocus=200.0)
    p0 = np.abs(m0.probe((128, 128), (0.05, 0.05))) ** 2
    p1 = np.abs(m1.probe((128, 128), (0.05, 0.05))) ** 2
    assert p1.max() < 0.5 * p0.max()
    # positive and negative defocus give the same intensity without other aberrations
    p2 = np.abs(Microscope(defocus=-200.0).probe((128, 128), (0.05, 0.05))) ** 2
    np.testing.assert_allclose(np.sort(p1.ravel()), np.sort(p2.ravel()), atol=1e-9)
