"""Finite (z-resolved) projection of the potential: conservation and slow references."""

import numpy as np
import pytest
from ase import Atoms
from scipy.integrate import quad

from synthstem.physics import parametrization as param
from synthstem.physics.potential import (
    cutoff_radius,
    potential_slices,
    radial_table,
    slab_fraction_table,
)

CELL = 8.0
GPTS = (160, 160)  # 0.05 A


def _atom(symbol, z, xy=(3.1, 2.2)):
    return Atoms(symbol, positions=[[xy[0], xy[1], z]], cell=[CELL, CELL, CELL], pbc=True)


@pytest.mark.parametrize("parametrization", ["lobato", "kirkland"])
@pytest.mark.parametrize("z", [-0.7, 0.0, 0.5, 2.999, 4.52, 8.0, 9.1])
def test_slices_sum_to_infinite_projection(z, parametrization):
    atoms = Atoms("SrO", positions=[[3.1, 2.2, z], [1.05, 7.93, 0.5 * z + 0.2]],
                  cell=[CELL, CELL, CELL], pbc=True)
    fin = potential_slices(atoms, GPTS, 1.0, parametrization, dtype=np.float64,
                           projection="finite")
    inf = potential_slices(atoms, GPTS, 1.0, parametrization, dtype=np.float64)
    assert fin.n_slices == 8
    # the atom's potential is spread over several slices...
    assert np.count_nonzero(fin.array.sum(axis=(1, 2)) > 1e-3 * fin.array.sum()) >= 3
    # ...and adds up to the fully projected one
    np.testing.assert_allclose(fin.array.sum(axis=0), inf.array.sum(axis=0),
                               rtol=0, atol=1e-10 * inf.array.max())


def _slab_quad(symbol, r, z1, z2, parametrization):
    f = lambda z: param.potential_3d(symbol, np.hypot(r, z), parametrization)  # noqa: E731
    return quad(f, z1, z2, limit=400, epsabs=0, epsrel=1e-10)[0]


@pytest.mark.parametrize("parametrization", ["lobato", "kirkland"])
@pytest.mark.parametrize("symbol, z0, slab, pixel_offset", [
    ("Sr", 2.3, 2, (8, 0)),     # r = 0.40 A, atom inside the slab [1.5, 2.5]
    ("Sr", 2.3, 3, (8, 6)),     # r = 0.50 A, slab [2.5, 3.5] above the atom
    ("O", 3.5, 3, (5, 12)),     # r = 0.65 A, atom on the slab boundary
    ("Ce", 5.55, 2, (20, 0)),   # r = 1.00 A, slab [1.5, 2.5] 3.05 A below the atom
    ("Si", 1.0, 1, (0, 7)),     # r = 0.35 A, atom in the middle of [0.5, 1.5]
])
def test_slab_matches_numerical_z_integral(symbol, z0, slab, pixel_offset, parametrization):
    dx = CELL / GPTS[1]
    x0, y0 = 40 * dx, 30 * dx  # on a grid point: pixel distances are exact
    atoms = _atom(symbol, z0, (x0, y0))
    fin = potential_slices(atoms, GPTS, 1.0, parametrization, dtype=np.float64,
                           projection="finite")
    di, dj = pixel_offset
    r = np.hypot(di, dj) * dx
    got = fin.array[slab, 30 + dj, 40 + di]
    want = _slab_quad(symbol, r, slab - 0.5 - z0, slab + 0.5 - z0, parametrization)
    # the profile is tapered to vanish at the cutoff: allow for the taper's share
    values, dr, rc = radial_table(symbol, round(dx, 12), parametrization)
    taper = abs(param.projected_potential(symbol, r, parametrization) - np.interp(
        r, np.arange(values.size) * dr, values))
    vz = param.projected_potential(symbol, r, parametrization)
    assert abs(got - want) <= 2e-3 * abs(want) + taper / vz * abs(want)


def test_slab_fraction_table_is_a_monotone_fraction():
    phi = slab_fraction_table("Ce", 0.05)
    assert phi.shape[0] > 100 and phi.shape[1] > 100
    assert np.all(np.diff(phi, axis=1) >= -1e-12)
    np.testing.assert_array_equal(phi[:, 0], 0.0)
    np.testing.assert_array_equal(phi[:, -1], 1.0)


def test_infinite_projection_unchanged_by_finite_option():
    atoms = _atom("Ti", 1.3)
    inf = potential_slices(atoms, GPTS, 2.0, projection="infinite")
    assert np.count_nonzero(inf.array.sum(axis=(1, 2))) == 1
    assert cutoff_radius("Ti") > 1


def test_unknown_projection_is_rejected():
    with pytest.raises(ValueError, match="projection"):
        potential_slices(_atom("Ti", 1.3), GPTS, 2.0, projection="partial")


def _naive_image(ddx, ddy, z0, values, dr, rc, phi, dz, n_sl, finite_radius):
    from synthstem.physics.potential import SLAB_NR, SLAB_NS

    out = np.zeros((n_sl,) + ddx.shape)
    r = np.hypot(ddx, ddy)
    t = np.interp(r, np.arange(values.size) * dr, values) * (r < rc)
    s_max = np.sqrt(np.maximum(rc**2 - r**2, 4e-4 * rc**2))
    u = np.minimum(SLAB_NR * np.sqrt(np.minimum(r, rc) / rc), SLAB_NR - 1e-9)
    ir = u.astype(int)
    fr = u - ir

    def psi(z):
        a = np.abs(z)
        tt = np.minimum(SLAB_NS * np.sqrt(np.minimum(a, s_max) / s_max), SLAB_NS - 1e-9)
        j = tt.astype(int)
        g = tt - j
        v = ((1 - fr) * ((1 - g) * phi[ir, j] + g * phi[ir, j + 1])
             + fr * ((1 - g) * phi[ir + 1, j] + g * phi[ir + 1, j + 1]))
        v = np.where(a >= s_max, 1.0, v)
        return 0.5 * np.sign(z) * v

    w = np.clip((finite_radius - r) / (0.25 * finite_radius), 0.0, 1.0)
    k0 = int(np.clip(np.floor(z0 / dz + 0.5), 0, n_sl - 1))
    for k in range(n_sl):
        lo = -0.5 if k == 0 else psi((k - 0.5) * dz - z0)
        hi = 0.5 if k == n_sl - 1 else psi((k + 0.5) * dz - z0)
        out[k] += t * w * (hi - lo) + (t * (1 - w) if k == k0 else 0.0)
    return out


def _naive_finite(atoms, gpts, dz_max, finite_radius, parametrization="lobato"):
    """Slow twin of the finite placement: every pixel, every slice, no pruning; bilinear
    lookups written out with numpy on the same tables."""
    from synthstem.physics.potential import n_slices_for

    lx, ly, lz = np.diag(atoms.cell[:])
    ny, nx = gpts
    dx, dy = lx / nx, ly / ny
    n_sl = n_slices_for(lz, dz_max)
    dz = lz / n_sl
    out = np.zeros((n_sl, ny, nx))
    jj, ii = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    for sym, (x, y, z0) in zip(atoms.get_chemical_symbols(), atoms.positions):
        values, dr, rc = radial_table(sym, round(min(dx, dy), 12), parametrization)
        phi = slab_fraction_table(sym, round(min(dx, dy), 12), parametrization)
        for sx in (-lx, 0.0, lx):
            for sy in (-ly, 0.0, ly):
                out += _naive_image(ii * dx - x - sx, jj * dy - y - sy, z0, values, dr, rc,
                                    phi, dz, n_sl, finite_radius)
    return out


@pytest.mark.parametrize("workers, finite_radius", [(1, 2.0), (3, 0.6)])
def test_finite_placement_matches_slow_twin(workers, finite_radius):
    rng = np.random.default_rng(5)
    atoms = Atoms("SrO3Sr", positions=rng.uniform(0, 1, (5, 3)) * [7.0, 6.0, 7.5],
                  cell=[7.0, 6.0, 7.5], pbc=True)
    gpts = (40, 48)
    got = potential_slices(atoms, gpts, 0.9, dtype=np.float64, workers=workers,
                           projection="finite", finite_radius=finite_radius).array
    want = _naive_finite(atoms, gpts, 0.9, finite_radius)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9 * np.abs(want).max())


@pytest.mark.parametrize("s", [0.03, 0.1, 0.3, 1.0])
def test_slab_core_matches_fourier_space_reference(s):
    """The band-limited core of a slab against the closed-form lateral spectrum of the
    half slab (``half_slab_transform``) cut at the same band limit and inverted by FFT."""
    from synthstem.physics.potential import BAND_LIMIT

    n, dx = 160, CELL / 160
    # two slices of 4 A: slice 1 holds the slab [2, inf), i.e. z > s above an atom at 2 - s
    atoms = Atoms("Sr", positions=[[80 * dx, 80 * dx, 2.0 - s]], cell=[CELL] * 3, pbc=True)
    got = potential_slices(atoms, (n, n), 4.0, dtype=np.float64, projection="finite",
                           finite_radius=4.0).array[1]
    k = np.fft.fftfreq(n, dx)
    kx, ky = np.meshgrid(k, k)
    kk = np.hypot(kx, ky)
    spec = (param.POTENTIAL_PREFACTOR * param.scattering_factor("Sr", kk) / 2
            - param.half_slab_transform("Sr", kk, s)) * (kk <= BAND_LIMIT / (2 * dx))
    ref = np.real(np.fft.ifft2(spec * np.exp(-2j * np.pi * (kx + ky) * 80 * dx))) / dx**2
    core = got[80, 80:90]  # r = 0 ... 0.45 A
    np.testing.assert_allclose(core, ref[80, 80:90], rtol=0.01 if s < 0.1 else 2e-3)


def test_simulate_records_projection_and_presets():
    from ase.build import bulk

    from synthstem.physics.simulate import DEFAULT_SAMPLING, FAST, simulate

    si = bulk("Si", "diamond", a=5.431, cubic=True)
    fast = simulate(si, pixels=16, method="prism", interpolation=1, **FAST)
    assert fast.params["projection"] == "infinite" and fast.params["n_slices"] == 3
    top = fast.params["max_sampling"]
    assert 0.9 * top < fast.params["sampling"][0] <= top
    conv = simulate(si, pixels=16, method="prism", interpolation=1)
    assert conv.params["projection"] == "finite" and conv.params["finite_radius"] == 2.0
    assert conv.params["n_slices"] == 22 and conv.params["sampling"][0] <= DEFAULT_SAMPLING
    with pytest.raises(ValueError, match="sampling"):
        simulate(si, sampling="coarse")
    with pytest.raises(ValueError, match="projection"):
        simulate(si, projection="partial")
