"""Every numba kernel against its slow twin in tests/naive.py (random inputs, edge cases)."""

import naive
import numpy as np
import pytest

from synthstem.kernels import noise as knoise
from synthstem.kernels import waves as kwaves
from synthstem.kernels.potential import place_profiles

RNG = np.random.default_rng(7)
#: one complex64 product: the kernels may fuse multiply-adds where NumPy does not
F32 = dict(rtol=1e-6, atol=1e-6)


def _c64(*shape):
    return (RNG.normal(size=shape) + 1j * RNG.normal(size=shape)).astype(np.complex64)


def test_multiply_batch():
    w, f = _c64(3, 8, 10), _c64(8, 10)
    np.testing.assert_allclose(kwaves.multiply_batch(w.copy(), f), naive.multiply_batch(w, f),
                               **F32)


def test_intensity_sum():
    w = _c64(3, 80)
    idx = np.array([0, 5, 17, 79], dtype=np.int64)
    np.testing.assert_allclose(kwaves.intensity_sum(w, idx, 0.5),
                               naive.intensity_sum(w, idx, 0.5), rtol=1e-6)  # float32 squares


@pytest.mark.parametrize("r0, r1", [(3, 6), (8, 8), (0, 8)])
def test_propagate_rows(r0, r1):
    w, p = _c64(2, 8, 6), _c64(8, 6)
    fast = kwaves.propagate_rows(w.copy(), p, r0, r1)
    np.testing.assert_allclose(fast, naive.propagate_rows(w, p, r0, r1), **F32)
    assert not fast[:, r0:r1].any()


@pytest.mark.parametrize("r0, r1", [(4, 7), (10, 10)])
def test_shifted_product(r0, r1):
    spec, prop = _c64(10, 9), _c64(10, 9)
    sy = np.array([0, 3, -2, 11], dtype=np.int64)  # negative and beyond the grid: periodic
    sx = np.array([0, -4, 8, 20], dtype=np.int64)
    fast = kwaves.shifted_product(np.empty((4, 10, 9), np.complex64), spec, prop, sy, sx, r0, r1)
    np.testing.assert_allclose(fast, naive.shifted_product((4, 10, 9), spec, prop, sy, sx,
                                                           r0, r1), **F32)
    assert not fast[:, r0:r1].any()


@pytest.mark.parametrize("y0, x0, h, w", [(-3, 8, 7, 9), (2, 1, 4, 5), (9, -13, 12, 14)])
def test_gather_block(y0, x0, h, w):
    s = _c64(3, 10, 12)
    fast = kwaves.gather_block(s, y0, x0, np.empty((3, h, w), np.complex64))
    np.testing.assert_array_equal(fast, naive.gather_block(s, y0, x0, h, w))


def test_crop_spectrum():
    waves, factor = _c64(2, 10, 12), _c64(4, 5)
    iy, ix = np.array([0, 1, 9, 8]), np.array([0, 2, 11, 10, 5])
    fast = kwaves.crop_spectrum(waves, iy, ix, factor, np.empty((2, 4, 5), np.complex64))
    np.testing.assert_allclose(fast, naive.crop_spectrum(waves, iy, ix, factor), **F32)


def test_crop_windows():
    waves = _c64(3, 12, 14)
    oy, ox = np.array([0, 3, 5]), np.array([2, 0, 6])
    fast = kwaves.crop_windows(waves, oy, ox, np.empty((3, 7, 8), np.complex64))
    np.testing.assert_array_equal(fast, naive.crop_windows(waves, oy, ox, 7, 8))


@pytest.mark.parametrize("k_lo, n_sl", [(0, 1), (2, 5)])
def test_place_profiles_infinite(k_lo, n_sl):
    """``r_finite = 0``: every atom's whole profile in its slice (atoms of other slices and
    slices outside ``out`` untouched)."""
    ny, nx, dx, dy = 40, 50, 0.1, 0.12
    tables = np.stack([np.exp(-np.linspace(0, 5, 200)), 1 / (1 + np.linspace(0, 9, 200))])
    drs = np.array([1.2 / 198, 0.9 / 198])
    cutoffs = np.array([1.2, 0.9])
    xs, ys = RNG.uniform(0, nx * dx, 9), RNG.uniform(0, ny * dy, 9)
    species = RNG.integers(0, 2, 9)
    planes = np.array([k_lo] * 7 + [k_lo + 1, n_sl - 1])
    fast = place_profiles(np.zeros((1, ny, nx)), k_lo, n_sl, xs, ys, np.zeros(9), planes,
                          species, tables, drs, cutoffs, np.zeros((2, 2, 2)), 1.0, dx, dy,
                          0.0)
    mine = planes == k_lo
    slow = naive.place_radial_profiles((ny, nx), xs[mine], ys[mine], species[mine], tables,
                                       drs, cutoffs, dx, dy)
    np.testing.assert_allclose(fast[0], slow, rtol=1e-10, atol=1e-12)


def test_splat_rows():
    image = RNG.uniform(size=(6, 9))
    shifts = np.array([0.0, 0.4, -1.7, 3.25, -20.0, 20.0])  # clamped at both edges
    fast = knoise.splat_rows(image, shifts)
    np.testing.assert_allclose(fast, naive.splat_rows(image, shifts), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(fast.sum(axis=1), image.sum(axis=1))  # splatting keeps sums


@pytest.mark.parametrize("dz", [0.25, 1.0])
def test_place_finite_profiles(dz):
    """The finite projection kernel against the formula on every slab of every slice
    (real Sr and O tables at 0.05 A, atoms near the cell's edges and its top and bottom)."""
    from synthstem.physics.potential import radial_table, slab_fraction_table

    ny, nx, dx, dy = 160, 168, 0.05, 0.05
    n_sl = int(round(8.0 / dz))
    tabs = [radial_table(e, 0.05) for e in ("Sr", "O")]
    tables = np.stack([t[0] for t in tabs])
    drs, cutoffs = np.array([t[1] for t in tabs]), np.array([t[2] for t in tabs])
    phis = np.stack([slab_fraction_table(e, 0.05) for e in ("Sr", "O")])
    xs = np.array([0.03, 4.2, 8.35, 1.7])
    ys = np.array([7.9, 3.3, 0.1, 4.05])
    zs = np.array([0.1, 3.93, 7.8, -0.4])
    species = np.array([0, 1, 0, 1])
    planes = np.clip(np.floor(zs / dz + 0.5), 0, n_sl - 1).astype(np.int64)
    args = (xs, ys, zs, planes, species, tables, drs, cutoffs, phis, dz, dx, dy, 2.0)
    fast = place_profiles(np.zeros((n_sl, ny, nx)), 0, n_sl, *args)
    slow = naive.place_finite_profiles((n_sl, ny, nx), xs, ys, zs, species, tables, drs,
                                       cutoffs, phis, dz, dx, dy, 2.0)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12 * np.abs(slow).max())
    # a block of slices written alone equals the same slices of the whole
    part = place_profiles(np.zeros((n_sl - 5, ny, nx)), 3, n_sl, *args)
    np.testing.assert_array_equal(part, fast[3:n_sl - 2])
