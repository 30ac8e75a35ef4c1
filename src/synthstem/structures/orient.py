"""Oriented supercells: a crystal direction [u, v, w] becomes the beam axis +z.

Conventions (see docs/structures.md):

- Beam axis: the direct-lattice vector ``d = u a + v b + w c`` is rotated onto +z.
- In-plane rotation: +x is the projection (onto the plane normal to the beam) of the
  shortest lattice vector ``t = n1 a + n2 b + n3 c`` (indices in [-3, 3]) that is not
  parallel to ``d``. Ties are broken by the longest projection, then the smallest
  |n1| + |n2| + |n3|, then the largest (n1, n2, n3) in lexicographic order, so ``a`` wins
  over ``-a``, over ``b`` and over ``a + b``.
  +y = z x x (right-handed).
- Cut: the infinite crystal, rotated, with the lattice origin at the cube centre; atoms
  with every rotated coordinate strictly inside (-size/2, size/2) are kept. The kept
  atoms are then translated so their bounding box is centred in ``[0, size)^3``
  (ase ``Atoms.center()`` semantics; atomagined's cubes are centred the same way).
- hkl: ``G @ uvw`` with the metric tensor ``G = cell @ cell.T``, i.e. the components
  ``d . a_i`` of the beam direction on the direct basis, which are the (unnormalised)
  reciprocal-lattice indices of the plane normal to ``d``. Rounded to six significant
  digits as atomagined did ('(0.0, 38.0366, 205.779)' for LuNiSn2 [0 2 1]).
"""

import warnings
from dataclasses import dataclass, field, replace
from math import gcd

import numpy as np
from ase import Atoms

from .names import check_uvw

__all__ = ["OrientedCell", "orient", "chemical_formula", "spacegroup_of", "hkl_plane", "beam_rotation"]

_EDGE_EPS = 1e-9  # [Angstrom] atoms closer than this to a cube face are dropped (both faces)


@dataclass
class OrientedCell:
    """A cube of crystal with the beam along +z.

    Attributes
    ----------
    atoms : ase.Atoms
        Cell ``diag(size, size, size)``, ``pbc=True``, positions in ``[0, size)`` [Angstrom].
    size : float
        Cube edge [Angstrom].
    uvw : tuple of 3 int
        Direct-lattice direction along the beam.
    hkl : tuple of 3 float
        Plane normal ``G @ uvw`` (six significant digits; atomagined style).
    formula : str
        Reduced formula of the crystal, e.g. ``'Sr Ti O3'``.
    source : str
        Prototype name or file path the crystal came from.
    structure_id : int
        Id used in item names.
    spacegroup : tuple of (str, int)
        International symbol and number of the input crystal (spglib).
    rotation : numpy.ndarray
        (3, 3) rotation: cube position = ``rotation @ crystal position + origin``.
    origin : numpy.ndarray
        (3,) position of the crystal's lattice origin in the cube [Angstrom].
    """

    atoms: Atoms
    size: float
    uvw: tuple
    hkl: tuple
    formula: str
    source: str
    structure_id: int
    spacegroup: tuple
    rotation: np.ndarray
    origin: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def copy_with(self, atoms):
        """Return a new `OrientedCell` with ``atoms`` and every other field unchanged.

        Parameters
        ----------
        atoms : ase.Atoms
            New atoms (e.g. with a defect); the caller keeps them inside the cube.
        """
        if not isinstance(atoms, Atoms):
            raise ValueError(f"atoms must be an ase.Atoms, got {type(atoms).__name__}")
        return replace(self, atoms=atoms, rotation=self.rotation.copy(), origin=self.origin.copy())

    @property
    def hkl_text(self):
        """The hkl tuple as atomagined wrote it, e.g. ``'(0.0, 38.0366, 205.779)'``."""
        return str(tuple(float(x) for x in self.hkl))

    @property
    def uvw_text(self):
        """The uvw tuple as atomagined wrote it, e.g. ``'(0.0, 2.0, 1.0)'``."""
        return str(tuple(float(x) for x in self.uvw))


def _check_cell(atoms):
    if not isinstance(atoms, Atoms):
        raise ValueError(f"atoms must be an ase.Atoms, got {type(atoms).__name__}")
    if len(atoms) == 0:
        raise ValueError("atoms has no atoms")
    cell = np.asarray(atoms.cell.array, dtype=float)
    if abs(np.linalg.det(cell)) < 1e-6:
        raise ValueError(f"atoms must have a full 3D unit cell, got cell {cell.tolist()}")
    return cell


def hkl_plane(cell, uvw):
    """Plane normal of direction ``uvw`` in reciprocal-lattice components (atomagined style).

    Parameters
    ----------
    cell : (3, 3) array_like
        Lattice vectors as rows [Angstrom].
    uvw : sequence of 3 int
        Direct-lattice direction.

    Returns
    -------
    tuple of 3 float
        ``G @ uvw`` with ``G = cell @ cell.T`` [Angstrom^2], six significant digits.
    """
    cell = np.asarray(cell, dtype=float)
    hkl = cell @ cell.T @ np.asarray(uvw, dtype=float)
    return tuple(float(f"{x:.6g}") + 0.0 for x in hkl)


def beam_rotation(cell, uvw):
    """Rotation taking ``uvw`` to +z, with the in-plane rule of this module.

    Parameters
    ----------
    cell : (3, 3) array_like
        Lattice vectors as rows [Angstrom].
    uvw : sequence of 3 int
        Direct-lattice direction.

    Returns
    -------
    numpy.ndarray
        (3, 3) proper rotation R with rows (x, y, z) unit vectors; ``R @ d`` is along +z.
    """
    cell = np.asarray(cell, dtype=float)
    d = np.asarray(uvw, dtype=float) @ cell
    z = d / np.linalg.norm(d)
    n = np.arange(-3, 4)
    idx = np.stack(np.meshgrid(n, n, n, indexing="ij"), axis=-1).reshape(-1, 3)
    t = idx @ cell
    perp = t - np.outer(t @ z, z)
    length = np.linalg.norm(t, axis=1)
    plen = np.linalg.norm(perp, axis=1)
    ok = plen > 1e-6 * np.maximum(length, 1.0)
    idx, length, plen, perp = idx[ok], length[ok], plen[ok], perp[ok]
    # np.lexsort: last key is primary. Largest (n1, n2, n3) first -> sort on negatives.
    order = np.lexsort((-idx[:, 2], -idx[:, 1], -idx[:, 0], np.abs(idx).sum(axis=1),
                        -np.round(plen, 6), np.round(length, 6)))
    x = perp[order[0]] / plen[order[0]]
    y = np.cross(z, x)
    return np.array([x, y, z])


def chemical_formula(atoms):
    """Reduced formula with elements in order of first appearance, e.g. ``'Sr Ti O3'``."""
    symbols = atoms.get_chemical_symbols()
    order, counts = [], {}
    for s in symbols:
        if s not in counts:
            order.append(s)
            counts[s] = 0
        counts[s] += 1
    divisor = 0
    for s in order:
        divisor = gcd(divisor, counts[s])
    parts = []
    for s in order:
        n = counts[s] // divisor
        parts.append(s if n == 1 else f"{s}{n}")
    return " ".join(parts)


def spacegroup_of(atoms, symprec=1e-3):
    """Space group of a periodic ``atoms`` as ``(symbol, number)`` (spglib); ``('P1', 1)`` if undetermined."""
    import spglib

    cell = (atoms.cell.array, atoms.get_scaled_positions(wrap=True), atoms.numbers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # spglib's old error handling notice
        text = spglib.get_spacegroup(cell, symprec=symprec)
    if not text:
        return ("P1", 1)
    symbol, number = text.rsplit(" ", 1)
    return (symbol, int(number.strip("()")))


def orient(atoms, uvw, size=25.0, structure_id=0, source="", allow_large_indices=False):
    """Cut a cube of edge ``size`` from a crystal with direction ``uvw`` along the beam (+z).

    Parameters
    ----------
    atoms : ase.Atoms
        Unit cell of the crystal (any cell; periodic in 3D).
    uvw : sequence of 3 int
        Direct-lattice direction [u, v, w] of ``atoms.cell`` to put along +z.
    size : float
        Cube edge [Angstrom].
    structure_id : int
        Id stored on the result (used in item names).
    source : str
        Prototype name or file path, stored on the result.
    allow_large_indices : bool
        Allow indices outside [-2, 2].

    Returns
    -------
    OrientedCell
        Positions in ``[0, size)^3``; see the module docstring for the rotation rule.
    """
    uvw = check_uvw(uvw, allow_large_indices)
    cell = _check_cell(atoms)
    size_value = float(size) if isinstance(size, (int, float, np.integer, np.floating)) else None
    if size_value is None or not np.isfinite(size_value) or size_value <= 0:
        raise ValueError(f"size must be a positive number [Angstrom], got {size!r}")
    rotation = beam_rotation(cell, uvw)
    half = size_value / 2

    basis = np.asarray(atoms.positions, dtype=float)
    basis_frac = basis @ np.linalg.inv(cell)
    corners = np.array(np.meshgrid([-half, half], [-half, half], [-half, half], indexing="ij")).reshape(3, -1).T
    corner_frac = (corners @ rotation) @ np.linalg.inv(cell)  # rotated frame -> crystal frame
    lo = np.floor(corner_frac.min(axis=0) - basis_frac.max(axis=0)).astype(int) - 1
    hi = np.ceil(corner_frac.max(axis=0) - basis_frac.min(axis=0)).astype(int) + 1
    grid = np.stack(
        np.meshgrid(*(np.arange(a, b + 1) for a, b in zip(lo, hi)), indexing="ij"), axis=-1
    ).reshape(-1, 3)
    rotated_cell = cell @ rotation.T
    rotated_basis = basis @ rotation.T
    positions = (grid @ rotated_cell)[:, None, :] + rotated_basis[None, :, :]
    positions = positions.reshape(-1, 3)
    keep = np.all(np.abs(positions) < half - _EDGE_EPS, axis=1)
    if not keep.any():
        raise ValueError(f"size {size_value} [Angstrom] is too small: the cube contains no atom")
    numbers = np.tile(atoms.numbers, len(grid))[keep]
    positions = positions[keep]
    shift = half - 0.5 * (positions.min(axis=0) + positions.max(axis=0))
    positions += shift
    origin = shift  # the lattice origin sat at 0 in the centred frame

    cube = Atoms(numbers=numbers, positions=positions, cell=np.eye(3) * size_value, pbc=True)
    return OrientedCell(
        atoms=cube,
        size=size_value,
        uvw=uvw,
        hkl=hkl_plane(cell, uvw),
        formula=chemical_formula(atoms),
        source=str(source),
        structure_id=int(structure_id),
        spacegroup=spacegroup_of(atoms),
        rotation=rotation,
        origin=origin,
    )
