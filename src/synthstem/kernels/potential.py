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
def _half_fraction(phi, i, fr, s_max, z):
    """Signed half fraction ``sign(z) phi(r, |z|) / 2``: bilinear lookup in ``phi`` between
    radial rows ``i`` (weight ``1 - fr``) and ``i + 1``, depth grid ``s_j = s_max (j/NS)^2``
    of the pixel's radius (``phi = 1`` from ``s_max`` on)."""
    ns = phi.shape[1] - 1
    a = abs(z)
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
def _plane(z, dz, n_sl):
    k = int(math.floor(z / dz + 0.5))
    if k < 0:
        return 0
    if k > n_sl - 1:
        return n_sl - 1
    return k


@njit(**JIT)
def place_finite_profiles(out, k_lo, k_hi, xs, ys, zs, species, tables, drs, cutoffs, phis,
                          dz, dx, dy, r_finite):
    """Add each atom's potential, integrated over the z-range of every slice, to the
    slices ``k_lo <= k < k_hi`` of ``out`` (periodic lateral wrap).

    Slice ``k`` (transmitted at the plane ``z = k dz``) holds the slab
    ``[(k - 1/2) dz, (k + 1/2) dz]``; the first slab starts at -inf and the last ends at
    +inf. At lateral distance ``r`` the part of an atom at ``z0`` in a slab ``[za, zb]``
    is ``T(r) [psi(r, zb - z0) - psi(r, za - z0)]``: ``T`` the tabulated projected
    potential (as ``place_radial_profiles``), ``psi = sign(z) phi(r, |z|) / 2`` and
    ``phi(r, s)`` the fraction of the half projection within ``|z| <= s``
    (``phis[species]`` on the radial rows ``R_i = rc (i/NR)^2`` and the depths
    ``s_j = S(R) (j/NS)^2``, ``S(R) = sqrt(rc^2 - R^2)`` floored at ``0.02 rc``). Only
    slices within ``z0 +- S(r)`` are visited (``psi = +-1/2`` beyond), so the
    contributions of all slices add up to ``T(r)``. Beyond ``r_finite`` the (weak) tail
    goes whole to the atom's nearest plane, blended linearly from ``0.75 r_finite``.

    Parameters
    ----------
    out : (n_slices, ny, nx) float64, modified in place; pixel (j, i) is at (i dx, j dy).
    k_lo, k_hi : slices written by this call.
    xs, ys, zs : (n,) float64 atom positions [Angstrom].
    species : (n,) int64 row of ``tables`` and ``phis``.
    tables : (n_species, n_tab) float64; drs, cutoffs : (n_species,) [Angstrom].
    phis : (n_species, NR + 1, NS + 1) float64 slab fractions.
    dz, dx, dy : slice thickness and grid sampling [Angstrom].
    r_finite : radius [Angstrom] of the z-resolved part.
    """
    n_sl, ny, nx = out.shape
    n_tab = tables.shape[1]
    nr = phis.shape[1] - 1
    for a in range(xs.shape[0]):
        s = species[a]
        rc = cutoffs[s]
        z0 = zs[a]
        if _plane(z0 + rc, dz, n_sl) < k_lo or _plane(z0 - rc, dz, n_sl) >= k_hi:
            continue
        dr = drs[s]
        x = xs[a]
        y = ys[a]
        i0 = int(math.floor((x - rc) / dx))
        i1 = int(math.ceil((x + rc) / dx))
        j0 = int(math.floor((y - rc) / dy))
        j1 = int(math.ceil((y + rc) / dy))
        rc2 = rc * rc
        floor2 = 4e-4 * rc2
        phi = phis[s]
        k0 = _plane(z0, dz, n_sl)
        own = k_lo <= k0 < k_hi
        r_in = 0.75 * r_finite
        rf2 = r_finite * r_finite
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
                t = r / dr
                k = int(t)
                if k >= n_tab - 1:
                    continue
                f = t - k
                v = (1.0 - f) * tables[s, k] + f * tables[s, k + 1]
                ii = i % nx
                if r2 >= rf2:
                    if own:
                        out[k0, jj, ii] += v
                    continue
                if r > r_in:
                    w = (r_finite - r) / (r_finite - r_in)
                    if own:
                        out[k0, jj, ii] += (1.0 - w) * v
                    v *= w
                s_max = math.sqrt(max(rc2 - r2, floor2))
                ka = _plane(z0 - s_max, dz, n_sl)
                kb = _plane(z0 + s_max, dz, n_sl)
                if ka == kb:
                    if k_lo <= ka < k_hi:
                        out[ka, jj, ii] += v
                    continue
                if ka < k_lo:
                    ka = k_lo
                if kb > k_hi - 1:
                    kb = k_hi - 1
                if ka > kb:
                    continue
                u = nr * math.sqrt(r / rc)
                ir = int(u)
                if ir >= nr:
                    ir = nr - 1
                fr = u - ir
                if ka == 0:
                    lo = -0.5
                else:
                    lo = _half_fraction(phi, ir, fr, s_max, (ka - 0.5) * dz - z0)
                for kk in range(ka, kb + 1):
                    if kk == n_sl - 1:
                        hi = 0.5
                    else:
                        hi = _half_fraction(phi, ir, fr, s_max, (kk + 0.5) * dz - z0)
                    out[kk, jj, ii] += v * (hi - lo)
                    lo = hi
    return out
