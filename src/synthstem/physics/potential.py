"""Projected-potential slices of a periodic supercell.

Projection scheme ("infinite projection", as abTEM's default): the cell is cut along z
into ``n = ceil(Lz / slice_thickness)`` slices of equal thickness ``Lz / n`` (at most the
requested thickness); every atom is assigned to the slice containing its z coordinate and
its *fully* z-projected potential ``v_z(r)`` [V Angstrom] is added to that slice. Laterally
the cell is periodic: profiles wrap around the edges.

``v_z(r)`` is evaluated analytically (see ``parametrization``) on a fine uniform radial
table per element, from 0 to a cutoff radius where ``v_z`` drops below
``CUTOFF_TOLERANCE`` [V Angstrom] (capped at ``MAX_CUTOFF``), tapered so that value and
slope vanish at the cutoff, and radii below half a pixel are clamped to half a pixel (the
logarithmic divergence at r = 0 is integrable; this is abTEM's treatment). A numba kernel
places the profiles by linear interpolation in the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels.potential import place_radial_profiles
from . import parametrization as param

#: projected potential [V Angstrom] below which the profile is cut off
CUTOFF_TOLERANCE = 1e-2
#: largest cutoff radius [Angstrom]
MAX_CUTOFF = 8.0
#: radial table length
TABLE_POINTS = 4096


@dataclass
class PotentialSlices:
    """Projected potential of each slice.

    Attributes
    ----------
    array : (n_slices, ny, nx) float32, projected potential [V Angstrom]
    thickness : float, slice thickness [Angstrom] (all slices equal)
    extent : (Ly, Lx) [Angstrom]
    """

    array: np.ndarray
    thickness: float
    extent: tuple

    @property
    def gpts(self):
        return self.array.shape[1:]

    @property
    def sampling(self):
        return (self.extent[0] / self.array.shape[1], self.extent[1] / self.array.shape[2])

    @property
    def n_slices(self):
        return self.array.shape[0]

    def transmission(self, sigma):
        """Transmission functions ``exp(i sigma v_z)`` (complex64), sigma [rad/(V Angstrom)]."""
        return np.exp(1j * (sigma * self.array.astype(np.float64))).astype(np.complex64)


def cutoff_radius(element, parametrization="lobato"):
    """Radius [Angstrom] beyond which ``v_z`` < ``CUTOFF_TOLERANCE`` (capped)."""
    r = np.linspace(0.05, MAX_CUTOFF, 800)
    v = np.abs(param.projected_potential(element, r, parametrization))
    above = np.nonzero(v >= CUTOFF_TOLERANCE)[0]
    if above.size == 0:
        return float(r[0]) * 2
    return float(min(r[min(above[-1] + 1, r.size - 1)], MAX_CUTOFF))


def radial_table(element, r_min, parametrization="lobato", n=TABLE_POINTS):
    """Tapered projected-potential table ``(values, dr, cutoff)`` for one element.

    ``values[k] = v_z(max(k dr, r_min)) - v_z(rc) - (max(k dr, r_min) - rc) v_z'(rc)``
    for ``k dr < rc`` [V Angstrom], so value and slope go to zero at the cutoff ``rc``.
    """
    rc = cutoff_radius(element, parametrization)
    dr = rc / (n - 2)
    r = np.maximum(np.arange(n) * dr, r_min)
    v = param.projected_potential(element, r, parametrization)
    vc = param.projected_potential(element, rc, parametrization)
    dvc = param.projected_potential_derivative(element, rc, parametrization)
    values = v - vc - (r - rc) * dvc
    values[np.arange(n) * dr >= rc] = 0.0
    return values, dr, rc


def cell_extent(atoms):
    """``(Lx, Ly, Lz)`` of an orthogonal cell; ``ValueError`` otherwise."""
    cell = np.asarray(atoms.cell[:], dtype=np.float64)
    diag = np.diag(cell).copy()
    off = cell - np.diag(diag)
    if np.any(np.abs(off) > 1e-6 * max(np.max(np.abs(diag)), 1.0)):
        raise ValueError("cell must be orthogonal (diagonal cell matrix), got a skewed cell")
    if np.any(diag <= 0):
        raise ValueError(f"cell lengths must be > 0 Angstrom, got {diag.tolist()}")
    return float(diag[0]), float(diag[1]), float(diag[2])


def n_slices_for(thickness_total, slice_thickness):
    """Number of equal slices of thickness <= ``slice_thickness`` over the cell depth."""
    if not slice_thickness > 0:
        raise ValueError(f"slice_thickness must be > 0 Angstrom, got {slice_thickness}")
    return max(1, int(np.ceil(thickness_total / slice_thickness - 1e-9)))


def potential_slices(atoms, gpts, slice_thickness=2.0, parametrization="lobato",
                     positions=None, dtype=np.float32):
    """Projected potential slices of ``atoms`` on a ``gpts = (ny, nx)`` grid.

    Parameters
    ----------
    atoms : ase.Atoms with an orthogonal cell (beam along +z, periodic in x and y).
    gpts : (ny, nx) grid points over the cell's (Ly, Lx).
    slice_thickness : float, largest slice thickness [Angstrom].
    parametrization : "lobato" or "kirkland".
    positions : optional (n, 3) positions [Angstrom] overriding ``atoms.positions``
        (frozen-phonon configurations).

    Returns
    -------
    PotentialSlices
    """
    lx, ly, lz = cell_extent(atoms)
    ny, nx = int(gpts[0]), int(gpts[1])
    dx, dy = lx / nx, ly / ny
    n_sl = n_slices_for(lz, slice_thickness)
    dz = lz / n_sl
    symbols = atoms.get_chemical_symbols()
    param.check_elements(symbols, parametrization)
    pos = np.asarray(atoms.positions if positions is None else positions, dtype=np.float64)
    out = np.zeros((n_sl, ny, nx), dtype=np.float64)
    if len(symbols) == 0:
        return PotentialSlices(out.astype(dtype), dz, (ly, lx))
    unique = sorted(set(symbols))
    r_min = 0.5 * min(dx, dy)
    tabs = [radial_table(s, r_min, parametrization) for s in unique]
    tables = np.stack([t[0] for t in tabs])
    drs = np.array([t[1] for t in tabs])
    cutoffs = np.array([t[2] for t in tabs])
    species = np.array([unique.index(s) for s in symbols], dtype=np.int64)
    xs = np.mod(pos[:, 0], lx)
    ys = np.mod(pos[:, 1], ly)
    which = np.clip(np.floor(pos[:, 2] / dz).astype(np.int64), 0, n_sl - 1)
    for k in range(n_sl):
        sel = np.nonzero(which == k)[0]
        if sel.size:
            place_radial_profiles(out[k], xs[sel], ys[sel], species[sel], tables, drs,
                                  cutoffs, r_min, dx, dy)
    return PotentialSlices(out.astype(dtype), dz, (ly, lx))
