"""Numba kernel for projected potentials: radial profiles placed on a periodic grid, whole
in one slice (infinite projection) or resolved over the slices in z (finite projection)."""

import math

from numba import njit

from ._numba import JIT


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
def place_profiles(out, k_lo, n_sl, xs, ys, zs, planes, species, tables, drs, cutoffs, phis,
                   dz, dx, dy, r_finite):
    """Add each atom's projected potential to the slices ``k_lo <= k < k_lo + m`` of a
    cell cut into ``n_sl`` slices (periodic lateral wrap), ``out[k - k_lo]`` holding slice k.

    At lateral distance ``r`` an atom adds ``T(r)``, the tabulated projected potential
    (linear interpolation in ``tables``), to its slice ``planes[a]``. Within ``r_finite``
    (finite projection; 0 = infinite projection: every atom whole in ``planes[a]``) the
    part in each slice is resolved in z instead: slice ``k`` (transmitted at the plane
    ``z = k dz``) holds the slab ``[(k - 1/2) dz, (k + 1/2) dz]`` (the first from -inf,
    the last to +inf) and gets ``T(r) [psi(r, zb - z0) - psi(r, za - z0)]``, with
    ``psi = sign(z) phi(r, |z|) / 2`` and ``phi(r, s)`` the fraction of the half
    projection within ``|z| <= s`` (``phis[species]`` on the radial rows
    ``R_i = rc (i/NR)^2`` and the depths ``s_j = S(R) (j/NS)^2``, ``S(R) = sqrt(rc^2 -
    R^2)`` floored at ``0.02 rc``). Only slices within ``z0 +- S(r)`` are visited
    (``psi = +-1/2`` beyond), so the contributions of all slices add up to ``T(r)``.
    From ``0.75 r_finite`` to ``r_finite`` the z-resolved part is blended linearly into
    the whole-in-``planes[a]`` one. Each slice's sum runs over the atoms in order, so a
    slice does not depend on which block of slices it was written with.

    Parameters
    ----------
    out : (m, ny, nx) float64, modified in place; pixel (j, i) is at (i dx, j dy).
    k_lo, n_sl : first slice of ``out`` and number of slices of the cell.
    xs, ys, zs : (n,) float64 atom positions [Angstrom] (xs, ys in the cell).
    planes : (n,) int64 slice of each atom's whole profile (finite projection: the
        nearest plane ``round(z / dz)``, clipped).
    species : (n,) int64 row of ``tables`` and ``phis``.
    tables : (n_species, n_tab) float64 profile values at r = k * drs[s].
    drs, cutoffs : (n_species,) table spacing and cutoff radius [Angstrom].
    phis : (n_species, NR + 1, NS + 1) float64 slab fractions (unused if r_finite = 0).
    dz, dx, dy : slice thickness and grid sampling [Angstrom].
    r_finite : radius [Angstrom] of the z-resolved part; 0 for the infinite projection.
    """
    m, ny, nx = out.shape
    k_hi = k_lo + m
    n_tab = tables.shape[1]
    nr = phis.shape[1] - 1
    r_in = 0.75 * r_finite
    rf2 = r_finite * r_finite
    for a in range(xs.shape[0]):
        s = species[a]
        rc = cutoffs[s]
        z0 = zs[a]
        k0 = planes[a]
        own = k_lo <= k0 < k_hi
        if not own and (r_finite <= 0.0 or _plane(z0 + rc, dz, n_sl) < k_lo
                        or _plane(z0 - rc, dz, n_sl) >= k_hi):
            continue
        # without the atom's own slice only the z-resolved disc can reach these slices
        reach = rc if own else min(rc, r_finite)
        dr = drs[s]
        x = xs[a]
        y = ys[a]
        i0 = int(math.floor((x - reach) / dx))
        i1 = int(math.ceil((x + reach) / dx))
        j0 = int(math.floor((y - reach) / dy))
        j1 = int(math.ceil((y + reach) / dy))
        rc2 = rc * rc
        reach2 = reach * reach
        floor2 = 4e-4 * rc2
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
                ii = i % nx
                if r2 >= rf2:
                    if own:
                        out[k0 - k_lo, jj, ii] += v
                    continue
                if r > r_in:
                    w = (r_finite - r) / (r_finite - r_in)
                    if own:
                        out[k0 - k_lo, jj, ii] += (1.0 - w) * v
                    v *= w
                s_max = math.sqrt(max(rc2 - r2, floor2))
                ka = _plane(z0 - s_max, dz, n_sl)
                kb = _plane(z0 + s_max, dz, n_sl)
                if ka == kb:
                    if k_lo <= ka < k_hi:
                        out[ka - k_lo, jj, ii] += v
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
                    out[kk - k_lo, jj, ii] += v * (hi - lo)
                    lo = hi
    return out
