"""The incoherent image (physics/incoherent.py) against a direct Fourier sum, its kernel
against the slow twin, depth of field, flux, and its place in ``simulate``."""

import json

import naive
import numpy as np
import pytest
from ase import Atoms

from synthstem.kernels.incoherent import spread_gaussians
from synthstem.physics.cross_sections import haadf_cross_section
from synthstem.physics.incoherent import (default_slab_thickness, depth_of_field,
                                          incoherent_image, probe_intensity_spectrum)
from synthstem.physics.optics import Microscope
from synthstem.physics.simulate import simulate
from synthstem.structures.thermal import ADP_KEY

RNG = np.random.default_rng(3)


def test_spread_kernel_matches_slow_twin():
    ny, nx, n = 23, 30, 40
    x, y = RNG.uniform(-2, nx + 2, n), RNG.uniform(-2, ny + 2, n)
    w0, w1 = RNG.uniform(0, 1, n), RNG.uniform(0, 1, n)
    w1[:5] = 0.0  # the kernel's single-grid branch
    wx, wy = RNG.uniform(0.5, 2.0, n), RNG.uniform(0.5, 2.0, n)
    hx, hy = np.ceil(5.2 * wx).astype(np.int64), np.ceil(5.2 * wy).astype(np.int64)
    g0, g1 = spread_gaussians(np.zeros((ny, nx)), np.zeros((ny, nx)), x, y, w0, w1, wx, wy,
                              hx, hy)
    r0, r1 = naive.spread_gaussians(np.zeros((ny, nx)), np.zeros((ny, nx)), x, y, w0, w1,
                                    wx, wy, hx, hy)
    np.testing.assert_allclose(g0, r0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g1, r1, rtol=1e-12, atol=1e-14)


def _direct(pos, sigma, blur, scope, shape, extent, slab):
    """Exact Fourier series of the model: each atom's phase factor, Gaussian blur and the
    probe spectrum interpolated linearly between the planes around its depth."""
    ny, nx = shape
    ly, lx = extent
    ky = np.fft.fftfreq(ny, 1 / ny) / ly
    kx = np.fft.fftfreq(nx, 1 / nx) / lx
    k2 = ky[:, None] ** 2 + kx[None, :] ** 2
    spec = np.zeros(shape, complex)
    for a in range(len(pos)):
        t = pos[a, 2] / slab
        j, f = np.floor(t), t - np.floor(t)
        p = 0
        for plane, w in ((j, 1 - f), (j + 1, f)):
            half = probe_intensity_spectrum(scope, [scope.defocus - plane * slab], [1.0],
                                            shape, extent)
            p = p + w * np.fft.fft2(np.fft.irfft2(half, s=shape))
        phase = np.exp(-2j * np.pi * (ky[:, None] * pos[a, 1] + kx[None, :] * pos[a, 0]))
        spec += sigma[a] * phase * np.exp(-2 * np.pi**2 * blur[a] ** 2 * k2) * p
    return np.fft.ifft2(spec).real * ny * nx / (lx * ly)


@pytest.mark.parametrize("scope", [Microscope(defocus=30.0),
                                   Microscope(Cs=2e4, defocus=-10.0, astigmatism=15.0,
                                              convergence=25.0, energy=300e3)])
def test_image_equals_direct_fourier_sum(scope):
    shape, extent, slab = (48, 40), (12.0, 10.0), 20.0
    n = 9
    pos = np.c_[RNG.uniform(-3, 13, n), RNG.uniform(0, 12, n), RNG.uniform(0, 70, n)]
    sigma, blur = RNG.uniform(1e-4, 5e-3, n), RNG.uniform(0.0, 0.12, n)
    image, info = incoherent_image(pos, sigma, blur, scope, shape, extent, slab_thickness=slab)
    ref = _direct(pos, sigma, blur, scope, shape, extent, slab)
    assert np.abs(image - ref).max() < 1e-5 * ref.max()
    assert info["n_planes"] >= 4 and info["slab_thickness"] == slab


def test_flux_is_the_sum_of_cross_sections():
    """The image integrates to sum sigma_a (the probe intensity has unit integral)."""
    shape, extent = (64, 64), (15.0, 15.0)
    pos = np.c_[RNG.uniform(0, 15, 30), RNG.uniform(0, 15, 30), RNG.uniform(0, 40, 30)]
    sigma = RNG.uniform(1e-4, 1e-3, 30)
    image, _ = incoherent_image(pos, sigma, np.full(30, 0.08), Microscope(), shape, extent)
    assert image.mean() * 15.0 * 15.0 == pytest.approx(sigma.sum(), rel=1e-6)  # gridding


def test_atom_at_the_focal_depth_is_sharpest():
    """optics.py: positive defocus focuses the probe that far below the entrance plane."""
    scope = Microscope(defocus=40.0, convergence=25.0)
    peaks = []
    depths = np.arange(0.0, 81.0, 10.0)
    for z in depths:
        image, _ = incoherent_image([[5.0, 5.0, z]], [1e-3], [0.0], scope, (80, 80),
                                    (10.0, 10.0), slab_thickness=5.0)
        peaks.append(image.max())
    assert depths[int(np.argmax(peaks))] == 40.0
    assert peaks[0] < 0.7 * max(peaks) and peaks[-1] < 0.7 * max(peaks)


def test_default_slab_is_converged():
    """Default planes (depth of field / 8) vs 4x finer on a 100 A random carbon film."""
    scope = Microscope()
    assert depth_of_field(scope) == pytest.approx(1.77 * scope.wavelength / 0.02**2)
    n = 1500
    pos = np.c_[RNG.uniform(0, 15, n), RNG.uniform(0, 15, n), RNG.uniform(0, 100, n)]
    pos[:3, 2] = [0.0, 50.0, 100.0]
    sigma = np.full(n, haadf_cross_section("C"))
    sigma[:3] = haadf_cross_section("Pt")
    args = (pos, sigma, np.full(n, 0.08), scope, (64, 64), (15.0, 15.0))
    coarse, _ = incoherent_image(*args)
    fine, _ = incoherent_image(*args, slab_thickness=default_slab_thickness(scope) / 4)
    assert np.abs(coarse - fine).max() < 0.01 * fine.max()


def test_simulate_records_the_model_and_single_atoms_scale_with_sigma():
    atoms = Atoms("PtSi", positions=[(3.0, 4.0, 1.0), (9.0, 4.0, 1.0)],
                  cell=[12.0, 8.0, 2.0], pbc=True)
    r = simulate(atoms, pixels=96, method="incoherent")
    inc = r.params["incoherent"]
    assert inc["cross_sections"]["Pt"] == haadf_cross_section("Pt")
    assert inc["damping"] == "atom" and inc["thermal_blur"] == "analytic Gaussian"
    assert inc["slab_thickness"] == pytest.approx(default_slab_thickness(Microscope()))
    assert "lobato" in inc["cross_section_source"] and inc["source_size"] == 0.0
    json.dumps(r.params)
    pt, si = r.image[48, 24], r.image[48, 72]  # (x, y) = (3, 4), (9, 4) Angstrom
    assert pt / si == pytest.approx(inc["cross_sections"]["Pt"] / inc["cross_sections"]["Si"],
                                    rel=5e-3)  # the probe tails of the neighbour
    # source size widens the peak and keeps the flux
    b = simulate(atoms, Microscope(source_size=0.4), pixels=96, method="incoherent")
    assert b.image.max() < 0.8 * r.image.max()
    assert b.image.mean() == pytest.approx(r.image.mean(), rel=1e-9)


def test_simulate_thermal_options():
    atoms = Atoms("Sr2", positions=[(2.0, 2.0, 1.0), (6.0, 2.0, 1.0)], cell=[8.0, 4.0, 2.0],
                  pbc=True)
    sharp = simulate(atoms, pixels=64, method="incoherent", phonon_rms=0.0)
    warm = simulate(atoms, pixels=64, method="incoherent", phonon_rms=0.15)
    assert warm.image.max() < 0.95 * sharp.image.max()
    atoms.arrays[ADP_KEY] = np.zeros((2, 3, 3))
    atoms.arrays[ADP_KEY][0] = np.eye(3) * 0.15**2
    adp = simulate(atoms, pixels=64, method="incoherent", phonon_rms=0.0)
    assert adp.image[32, 16] == pytest.approx(warm.image[32, 16], rel=1e-4)  # atom 0: ADP
    assert adp.image[32, 48] == pytest.approx(sharp.image[32, 48], rel=1e-4)  # atom 1: 0
    tds = simulate(atoms, pixels=64, method="incoherent", phonon_rms=0.1,
                   incoherent_damping="tds")
    assert tds.params["incoherent"]["damping"] == "tds"
    assert 0 < tds.image.mean() < warm.image.mean()
    cfg = simulate(atoms, pixels=64, method="incoherent", phonons=2, seed=1)
    assert cfg.params["incoherent"]["thermal_blur"] == "configurations"
    with pytest.raises(ValueError, match="incoherent_damping"):
        simulate(atoms, pixels=16, method="incoherent", incoherent_damping="debye")
    with pytest.raises(ValueError, match="slab_thickness"):
        simulate(atoms, pixels=16, method="incoherent", incoherent_slab=-1.0)


def test_tilt_displaces_the_probe_with_depth():
    """A column tilted along the beam images like an untilted one."""
    z = np.arange(0.0, 40.0, 4.0)
    straight = np.c_[np.full(10, 5.0), np.full(10, 5.0), z]
    scope = Microscope(tilt_x=20.0, tilt_y=-10.0)
    tilted = straight + np.c_[z * np.tan(0.02), -z * np.tan(0.01), 0 * z]
    args = (np.full(10, 1e-3), np.full(10, 0.05))
    a, _ = incoherent_image(tilted, *args, scope, (64, 64), (10.0, 10.0))
    b, _ = incoherent_image(straight, *args, Microscope(), (64, 64), (10.0, 10.0))
    np.testing.assert_allclose(a, b, atol=1e-6 * b.max())
    c, _ = incoherent_image(straight, *args, scope, (64, 64), (10.0, 10.0))
    assert np.abs(c - b).max() > 0.1 * b.max()


def test_focal_spread_is_the_weighted_sum_over_defocus():
    from dataclasses import replace

    atoms = Atoms("Au", positions=[(3.0, 3.0, 10.0)], cell=[6.0, 6.0, 20.0], pbc=True)
    scope = Microscope(defocus=20.0, focal_spread=30.0, Cs=1e4)
    r = simulate(atoms, scope, pixels=48, method="incoherent", focal_points=5)
    defoci, weights = scope.focal_series(5)
    parts = [simulate(atoms, replace(scope, defocus=float(d), focal_spread=0.0), pixels=48,
                      method="incoherent").image for d in defoci]
    np.testing.assert_allclose(r.image, np.tensordot(weights, parts, 1), rtol=1e-10, atol=1e-15)
