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
@pytest.mark.parametrize("z", [-0.7, 0.0, 0.31, 1.0, 2.999, 3.0, 4.52, 7.9, 8.0, 9.1])
def test_slices_sum_to_infinite_projection(z, parametrization):
    atoms = Atoms("SrO", positions=[[3.1, 2.2, z], [1.05, 7.93, 0.5 * z + 0.2]],
                  cell=[CELL, CELL, CELL], pbc=True)
    fin = potential_slices(atoms, GPTS, 1.0, parametrization, dtype=np.float64)
    inf = potential_slices(atoms, GPTS, 1.0, parametrization, dtype=np.float64,
                           projection="infinite")
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
    ("Sr", 2.3, 2, (8, 0)),     # r = 0.40 A, atom inside the slab [2, 3]
    ("Sr", 2.3, 3, (8, 6)),     # r = 0.50 A, slab [3, 4] above the atom
    ("O", 4.0, 3, (5, 12)),     # r = 0.65 A, atom on the slab boundary
    ("Ce", 5.55, 2, (20, 0)),   # r = 1.00 A, slab [2, 3] 2.55 A below the atom
    ("Si", 1.5, 1, (0, 7)),     # r = 0.35 A, atom in the middle of [1, 2]
])
def test_slab_matches_numerical_z_integral(symbol, z0, slab, pixel_offset, parametrization):
    dx = CELL / GPTS[1]
    x0, y0 = 40 * dx, 30 * dx  # on a grid point: pixel distances are exact
    atoms = _atom(symbol, z0, (x0, y0))
    fin = potential_slices(atoms, GPTS, 1.0, parametrization, dtype=np.float64)
    di, dj = pixel_offset
    r = np.hypot(di, dj) * dx
    got = fin.array[slab, 30 + dj, 40 + di]
    want = _slab_quad(symbol, r, slab - z0, slab + 1 - z0, parametrization)
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
