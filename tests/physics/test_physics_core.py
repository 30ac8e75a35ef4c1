"""Physics core: constants, scattering factors, potentials, optics, kernels vs NumPy twins."""

import numpy as np
import pytest
import scipy.fft
from ase import Atoms
from scipy.integrate import quad
from scipy.special import j0

from synthstem.kernels.waves import intensity_sum, multiply_batch
from synthstem.physics import parametrization as param
from synthstem.physics.detector import AnnularDetector, annular_mask
from synthstem.physics.multislice import fresnel_propagator, transmit_and_propagate
from synthstem.physics.optics import (
    Microscope,
    choose_gpts,
    fft_friendly,
    interaction_constant,
    wavelength,
)
from synthstem.physics.potential import potential_slices, radial_table


# -- textbook values ------------------------------------------------------------------
def test_wavelength_200kv():
    assert round(wavelength(200e3), 5) == 0.02508
    assert wavelength(300e3) == pytest.approx(0.019687, abs=2e-6)
    assert Microscope(energy=200e3).wavelength == wavelength(200e3)


def test_interaction_constant_200kv():
    # Kirkland (2010) table: sigma(200 kV) = 7.29e-4 rad / (V Angstrom)
    assert interaction_constant(200e3) == pytest.approx(7.288e-4, rel=1e-3)


def test_potential_prefactor():
    # h^2 / (2 pi m0 e) = 2 pi a0 e = 47.878 V Angstrom^2
    assert param.POTENTIAL_PREFACTOR == pytest.approx(47.878, abs=1e-3)


@pytest.mark.parametrize("element", ["H", "C", "O", "Ti", "Sr", "Au", "U"])
def test_scattering_factor_at_zero_matches_table_sums(element):
    p = param.parameters(element, "lobato")
    assert param.scattering_factor(element, 0.0, "lobato") == pytest.approx(2 * p["a"].sum())
    p = param.parameters(element, "kirkland")
    expected = np.sum(p["a"] / p["b"]) + np.sum(p["c"])
    assert param.scattering_factor(element, 0.0, "kirkland") == pytest.approx(expected)


def test_parametrizations_agree_roughly():
    q = np.linspace(0, 4, 9)
    for el in ["O", "Sr", "Au"]:
        lo = param.scattering_factor(el, q, "lobato")
        ki = param.scattering_factor(el, q, "kirkland")
        np.testing.assert_allclose(lo, ki, rtol=0.05, atol=0.005)


@pytest.mark.parametrize("parametrization", ["lobato", "kirkland"])
@pytest.mark.parametrize("element", ["O", "Sr"])
def test_projected_potential_is_hankel_transform_of_f(parametrization, element):
    """Closed form (Bessel K0/K1/Gaussians) vs direct numerical Hankel transform."""
    # the inverse direction converges absolutely: v_z decays exponentially
    for q in (0.2, 1.0, 3.0):
        def integrand(r):
            return param.projected_potential(element, r, parametrization) * j0(2 * np.pi * q * r) * 2 * np.pi * r

        numeric = sum(quad(integrand, a, b, limit=400)[0]
                      for a, b in [(1e-12, 0.05), (0.05, 1.0), (1.0, 20.0)])
        expected = param.POTENTIAL_PREFACTOR * param.scattering_factor(element, q, parametrization)
        assert numeric == pytest.approx(expected, rel=1e-4)


def test_missing_element_is_a_clear_error():
    with pytest.raises(ValueError, match="Rf"):
        param.parameters("Rf")
    with pytest.raises(ValueError, match="parametrization"):
        param.parameters("O", "doyle-turner")


# -- potential ------------------------------------------------------------------------
@pytest.mark.parametrize("offset", [(0.0, 0.0), (0.5, 0.37), (0.3, 0.8)])
def test_single_atom_potential_spectrum_is_f_e(offset):
    """The placed profile's Fourier transform equals C f_e(k) exp(-2 pi i k.r) inside the
    band, for atoms on and off the grid points."""
    length, n = 7.8, 144
    dx = length / n
    x0, y0 = 2.0 + offset[0] * dx, 3.0 + offset[1] * dx
    atoms = Atoms("Sr", positions=[(x0, y0, 1.0)], cell=[length, length, 2.0], pbc=True)
    v = potential_slices(atoms, (n, n), 2.0).array[0].astype(np.float64)
    spectrum = np.fft.fft2(v) * dx**2
    k = np.fft.fftfreq(n, dx)
    kx, ky = np.meshgrid(k, k)
    kk = np.hypot(kx, ky)
    band = (kk > 0.3) & (kk < 6.0)  # up to the detector's outer angle (150 mrad)
    expected = (param.POTENTIAL_PREFACTOR * param.scattering_factor("Sr", kk[band])
                * np.exp(-2j * np.pi * (kx[band] * x0 + ky[band] * y0)))
    error = np.abs(spectrum[band] - expected) / np.abs(expected)
    assert np.max(error) < 0.03
    assert np.median(error) < 0.005


def test_potential_periodic_wrap_and_slicing():
    length = 6.0
    atoms = Atoms("OO", positions=[(0.1, 0.1, 0.5), (3.0, 3.0, 3.5)],
                  cell=[length, length, 4.0], pbc=True)
    pot = potential_slices(atoms, (60, 60), 2.0)
    assert pot.n_slices == 2 and pot.thickness == pytest.approx(2.0)
    a = pot.array
    # atom at the corner wraps: its profile is symmetric about (0.1, 0.1) across the edge
    assert a[0, 1, 0] == pytest.approx(a[0, 1, 2], rel=1e-3)
    assert a[0, 59, 1] == pytest.approx(a[0, 3, 1], rel=1e-3)
    # second atom sits in the second slice only
    assert a[1, 30, 30] > 100 and a[0, 30, 30] < 1
    # slices never thicker than requested
    assert potential_slices(atoms, (60, 60), 1.5).thickness <= 1.5


def test_radial_table_tapers_to_zero():
    values, dr, rc = radial_table("O", 0.05)
    k = int(rc / dr)
    assert abs(values[k - 1]) < 1e-3
    assert np.all(values[k + 1:] == 0)
    assert values[0] > values[10] > 0


# -- kernels vs slow NumPy twins ---------------------------------------------------------
def test_wave_kernels_equal_numpy():
    rng = np.random.default_rng(2)
    waves = (rng.normal(size=(3, 8, 10)) + 1j * rng.normal(size=(3, 8, 10))).astype(np.complex64)
    factor = (rng.normal(size=(8, 10)) + 1j * rng.normal(size=(8, 10))).astype(np.complex64)
    expected = waves * factor
    np.testing.assert_allclose(multiply_batch(waves.copy(), factor), expected, rtol=1e-6)
    idx = np.array([0, 5, 17, 79], dtype=np.int64)
    flat = waves.reshape(3, -1)
    np.testing.assert_allclose(intensity_sum(flat, idx, 0.5),
                               0.5 * np.sum(np.abs(flat[:, idx]) ** 2, axis=1), rtol=1e-6)


# -- optics ---------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"defocus": 50.0, "Cs": 1e4},
                                    {"astigmatism": 20.0, "C23": 300.0, "C5": 1e6}])
def test_probe_intensity_sums_to_one(kwargs):
    m = Microscope(**kwargs)
    psi = m.probe((96, 80), (0.05, 0.06), position=(1.3, 2.1))
    assert np.sum(np.abs(psi) ** 2) == pytest.approx(1.0, abs=1e-9)
    # probe centred at the requested position
    j, i = np.unravel_index(np.argmax(np.abs(psi)), psi.shape)
    if not kwargs:
        assert (i * 0.06, j * 0.05) == pytest.approx((1.3, 2.1), abs=0.06)


def test_plane_wave_through_vacuum_is_unchanged():
    gpts, sampling = (64, 48), (0.05, 0.05)
    y, x = np.mgrid[0:64, 0:48] * 0.05
    kx, ky = 2 / (48 * 0.05), -3 / (64 * 0.05)
    wave = np.exp(2j * np.pi * (kx * x + ky * y)).astype(np.complex64)
    trans = np.ones((5, *gpts), dtype=np.complex64)
    prop = fresnel_propagator(gpts, sampling, wavelength(200e3), 2.0)
    out = transmit_and_propagate(wave[None].copy(), trans, prop, final_real=True)[0]
    # same intensity everywhere, only the global Fresnel phase changes
    np.testing.assert_allclose(np.abs(out), 1.0, atol=1e-5)
    phase = np.exp(-1j * np.pi * wavelength(200e3) * 10.0 * (kx**2 + ky**2))
    np.testing.assert_allclose(out, wave * phase, atol=2e-5)


def test_detector_mask_and_sampling_rule():
    m = Microscope()
    s = m.max_sampling()
    n = choose_gpts(25.0, s, multiple=8)
    assert 25.0 / n <= s and n % 8 == 0 and fft_friendly(n) == n
    mask = annular_mask((n, n), (25.0 / n, 25.0 / n), m.wavelength, m.detector)
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(n, 25.0 / n), np.fft.fftfreq(n, 25.0 / n)))
    theta = k[mask] * m.wavelength * 1e3
    assert theta.min() >= 100 and theta.max() < 150
    # the whole annulus fits in the antialiased band: the ring area matches the continuum
    area = np.pi * ((0.150 / m.wavelength) ** 2 - (0.100 / m.wavelength) ** 2)
    assert mask.sum() * (1 / 25.0) ** 2 == pytest.approx(area, rel=0.02)


def test_annular_detector_fraction():
    det = AnnularDetector((16, 16), (0.1, 0.1), 0.025, (0.0, 1e6))
    waves = np.zeros((1, 16, 16), dtype=np.complex64)
    waves[0, 0, 0] = 16  # FFT of a normalised plane wave
    assert det.integrate(scipy.fft.fft2(scipy.fft.ifft2(waves)))[0] == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("kwargs,name", [
    ({"energy": 0}, "energy"), ({"energy": -5}, "energy"),
    ({"convergence": 0}, "convergence"),
    ({"detector": (150, 100)}, "outer"), ({"detector": (100, 100)}, "outer"),
    ({"detector": (-1, 100)}, "inner"), ({"source_size": -0.1}, "source_size"),
    ({"Cs": "big"}, "Cs"), ({"detector": 5}, "detector"),
])
def test_microscope_validation(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Microscope(**kwargs)


@pytest.mark.parametrize("gpts, depth, downsample", [((96, 96), 6.0, True),
                                                      ((90, 100), 2.0, True),
                                                      ((84, 96), 8.0, False)])
def test_pruned_scattering_matrix_equals_direct(gpts, depth, downsample):
    """Shifted first-slice spectrum, band-pruned FFTs and cropped last FFT change nothing."""
    from naive import scattering_matrix_direct

    from synthstem.physics.prism import scattering_matrix

    atoms = Atoms("SrTiO", positions=[(0.3, 0.2, 0.5), (2.1, 1.7, 2.5), (1.0, 3.0, 4.5)],
                  cell=[5.0, 5.4, depth], pbc=True)
    pot = potential_slices(atoms, gpts, 2.0)
    scope = Microscope(detector=(40, 60))
    for f, workers, bs in ((2, 1, None), (1, 2, 3)):
        new = scattering_matrix(pot, scope, f, workers=workers, batch_size=bs,
                                downsample=downsample)
        old = scattering_matrix_direct(pot, scope, f, workers=1, downsample=downsample)
        assert new[0].shape == old[0].shape
        assert np.abs(new[0] - old[0]).max() < 2e-5 * np.abs(old[0]).max()
        for a, b in zip(new[1:], old[1:]):
            np.testing.assert_array_equal(a, b)


def test_gather_and_crop_kernels_equal_numpy():
    from synthstem.kernels.waves import crop_windows, gather_block, propagate_rows

    rng = np.random.default_rng(3)
    s = (rng.normal(size=(3, 10, 12)) + 1j * rng.normal(size=(3, 10, 12))).astype(np.complex64)
    for y0, x0, h, w in ((-3, 8, 7, 9), (2, 1, 4, 5), (9, -13, 12, 14)):
        out = gather_block(s, y0, x0, np.empty((3, h, w), np.complex64))
        rows, cols = np.arange(y0, y0 + h) % 10, np.arange(x0, x0 + w) % 12
        np.testing.assert_array_equal(out, s[:, rows][:, :, cols])
    oy, ox = np.array([0, 3, 5]), np.array([2, 0, 6])
    win = crop_windows(s, oy, ox, np.empty((3, 5, 6), np.complex64))
    for p in range(3):
        np.testing.assert_array_equal(win[p], s[p, oy[p]:oy[p] + 5, ox[p]:ox[p] + 6])
    prop = s[0]
    w = propagate_rows(s.copy(), prop, 4, 7)
    expect = s * prop
    expect[:, 4:7] = 0
    np.testing.assert_allclose(w, expect, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("f, n_scan", [(4, (23, 19)), (2, (9, 30)), (1, (5, 6))])
def test_prism_scan_equals_per_probe_assembly(f, n_scan):
    """Tiles, gathered blocks, one GEMM per scan row and window crops (windows wrapping
    the cell's edges, steps of non-integer pixels) against every probe on its own."""
    from naive import prism_scan_direct

    from synthstem.physics.detector import antialias_cutoff
    from synthstem.physics.prism import prism_scan, scattering_matrix
    from synthstem.physics.prism_tiles import tile_shape

    atoms = Atoms("SrTiO", positions=[(0.3, 0.2, 0.5), (2.1, 1.7, 2.5), (1.0, 3.0, 3.5)],
                  cell=[6.4, 5.6, 4.0], pbc=True)
    pot = potential_slices(atoms, (112, 128), 2.0)
    scope = Microscope(detector=(40, 80), defocus=20.0)
    smat = scattering_matrix(pot, scope, f)
    ly, lx = pot.extent
    scan_y = np.arange(n_scan[0]) * (ly / n_scan[0])
    scan_x = np.arange(n_scan[1]) * (lx / n_scan[1]) + 0.13
    image, info = prism_scan(pot, scope, scan_x, scan_y, f, workers=2, smatrix=smat)
    ref = prism_scan_direct(smat, pot.extent, scope, scan_x, scan_y, f,
                            antialias_cutoff(pot.sampling))
    assert np.abs(image - ref).max() < 1e-5 * np.abs(ref).max()
    if f > 1:  # several scan rows and columns per tile: the row GEMMs are exercised
        ny, nx = info["smatrix_gpts"]
        steps = (ly / n_scan[0] / (ly / ny), lx / n_scan[1] / (lx / nx))
        ty, tx = tile_shape((ny // f, nx // f), steps, n_scan, info["n_beams"], (0, 0))
        assert ty > 1 and tx > 1
