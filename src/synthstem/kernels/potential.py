"""Numba kernels for projected potentials: radial profiles placed on a periodic grid."""

import math

from numba import njit

from ._numba import JIT


@njit(**JIT)
def place_radial_profiles(out, xs, ys, species, tables, drs, cutoffs, r_min, dx, dy):
    """Add tabulated radial profiles around atoms to ``out`` with periodic wrap.

    Parameters
    ----------
    out : (ny, nx) float32/float64, modified in place; pixel (j, i) is at (i dx, j dy).
    xs, ys : (n,) float64 atom positions [Angstrom].
    species : (n,) int64 row of ``tables`` for each atom.
    tables : (n_species, n_tab) float64 profile values at r = k * drs[s].
    drs, cutoffs : (n_species,) table spacing and cutoff radius [Angstrom].
    r_min : float, radii below it are evaluated at ``r_min`` (removes the r = 0 divergence).
    dx, dy : float grid sampling [Angstrom].
    """
    ny, nx = out.shape
    n_tab = tables.shape[1]
    for a in range(xs.shape[0]):
        s = species[a]
        rc = cutoffs[s]
        dr = drs[s]
        x = xs[a]
        y = ys[a]
        i0 = int(math.floor((x - rc) / dx))
        i1 = int(math.ceil((x + rc) / dx))
        j0 = int(math.floor((y - rc) / dy))
        j1 = int(math.ceil((y + rc) / dy))
        rc2 = rc * rc
        for j in range(j0, j1 + 1):
            yy = j * dy - y
            yy2 = yy * yy
            if yy2 >= rc2:
                continue
            jj = j % ny
            for i in range(i0, i1 + 1):
                xx = i * dx - x
                r2 = xx * xx + yy2
                if r2 >= rc2:
                    continue
                r = math.sqrt(r2)
                if r < r_min:
                    r = r_min
                t = r / dr
                k = int(t)
                if k >= n_tab - 1:
                    continue
                f = t - k
                out[jj, i % nx] += (1.0 - f) * tables[s, k] + f * tables[s, k + 1]
    return out
