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


@njit(**JIT)
def _slab_fraction(phi, i, fr, r, rc, z):
    """Signed half fraction ``sign(z) phi(r, |z|) / 2`` by bilinear lookup in ``phi``.

    Row ``i`` (weight ``1 - fr``) and ``i + 1`` of the radial grid ``R_i = rc (i/NR)^2``;
    the depth grid of a row is ``s_j = S(R) (j/NS)^2`` with ``S(R) = sqrt(rc^2 - R^2)``
    (floored), and ``phi = 1`` beyond it.
    """
    nr = phi.shape[0] - 1
    ns = phi.shape[1] - 1
    a = abs(z)
    s_max = math.sqrt(max(rc * rc - r * r, 4e-4 * rc * rc))
    if a >= s_max:
        v = 1.0
    else:
        t = ns * math.sqrt(a / s_max)
        j = int(t)
        if j >= ns:
            j = ns - 1
        g = t - j
        v = ((1.0 - fr) * ((1.0 - g) * phi[i, j] + g * phi[i, j + 1])
             + fr * ((1.0 - g) * phi[i + 1, j] + g * phi[i + 1, j + 1]))
    if z < 0:
        return -0.5 * v
    return 0.5 * v


@njit(**JIT)
def place_slab_profiles(out, xs, ys, zlo, zhi, species, tables, drs, cutoffs, phis, dx, dy):
    """Add the part of each atom's potential between depths ``zlo`` and ``zhi`` (relative
    to the atom [Angstrom], +-inf allowed) to the slice ``out``, with periodic wrap.

    The contribution at lateral distance ``r`` is ``T(r) [psi(r, zhi) - psi(r, zlo)]``:
    ``T`` the tabulated projected potential (as ``place_radial_profiles``) and
    ``psi = sign(z) phi(r, |z|) / 2`` with ``phi(r, s)`` the fraction of the half
    projection within ``|z| <= s`` (``phis[species]``, see ``_slab_fraction``). Summed over
    slices that tile the whole z axis, the contributions add up to ``T(r)``.

    Parameters
    ----------
    out : (ny, nx) float64, modified in place; pixel (j, i) is at (i dx, j dy).
    xs, ys, zlo, zhi : (n,) float64 [Angstrom].
    species : (n,) int64 row of ``tables``, ``phis``.
    tables : (n_species, n_tab) float64; drs, cutoffs : (n_species,) [Angstrom].
    phis : (n_species, NR + 1, NS + 1) float64 slab fractions.
    dx, dy : grid sampling [Angstrom].
    """
    ny, nx = out.shape
    n_tab = tables.shape[1]
    nr = phis.shape[1] - 1
    for a in range(xs.shape[0]):
        s = species[a]
        rc = cutoffs[s]
        dr = drs[s]
        x = xs[a]
        y = ys[a]
        lo = zlo[a]
        hi = zhi[a]
        whole = lo <= -rc and hi >= rc
        # nearest depth of the slab from the atom: pixels beyond the sphere get nothing
        near = 0.0
        if lo > 0:
            near = lo
        elif hi < 0:
            near = -hi
        if near >= rc:
            continue
        reach2 = rc * rc - near * near
        i0 = int(math.floor((x - rc) / dx))
        i1 = int(math.ceil((x + rc) / dx))
        j0 = int(math.floor((y - rc) / dy))
        j1 = int(math.ceil((y + rc) / dy))
        phi = phis[s]
        for j in range(j0, j1 + 1):
            yy = j * dy - y
            yy2 = yy * yy
            if yy2 >= reach2:
                continue
            jj = j % ny
            for i in range(i0, i1 + 1):
                xx = i * dx - x
                r2 = xx * xx + yy2
                if r2 >= reach2:
                    continue
                r = math.sqrt(r2)
                t = r / dr
                k = int(t)
                if k >= n_tab - 1:
                    continue
                f = t - k
                v = (1.0 - f) * tables[s, k] + f * tables[s, k + 1]
                if not whole:
                    u = nr * math.sqrt(r / rc)
                    ir = int(u)
                    if ir >= nr:
                        ir = nr - 1
                    fr = u - ir
                    v *= (_slab_fraction(phi, ir, fr, r, rc, hi)
                          - _slab_fraction(phi, ir, fr, r, rc, lo))
                out[jj, i % nx] += v
    return out
