"""Oriented supercells: a crystal direction [u, v, w] becomes the beam axis +z.

Conventions (see docs/structures.md):

- Beam axis: the direct-lattice vector ``d = u a + v b + w c`` is rotated onto +z.
- In-plane rotation: +x is the projection (onto the plane normal to the beam) of the
  shortest lattice vector ``t = n1 a + n2 b + n3 c`` (indices in [-3, 3]) that is not
  parallel to ``d``. Ties are broken by the longest projection, then the smallest
  |n1| + |n2| + |n3|, then the largest (n1, n2, n3) in lexicographic order, so ``a`` wins
  over ``-a``, over ``b`` and over ``a + b``.
  +y = z x x (right-handed).
- Cut (``boundary="cut"``, default): the infinite crystal, rotated, with the lattice
  origin at the block centre; atoms with rotated coordinates strictly inside
  (-size/2, size/2) laterally and (-thickness/2, thickness/2) along the beam are kept
  (thickness defaults to size: a cube). The kept atoms are then translated so their
  bounding box is centred in the block (ase ``Atoms.center()`` semantics; atomagined's
  cubes are centred the same way).
- Periodic (``boundary="periodic"``): see ``synthstem.structures.periodic``; the cell is
  tiled by two lattice vectors, strained by at most ``max_strain``, seamless laterally.
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
from .periodic import MAX_STRAIN, centring_translations, periodic_frame

__all__ = ["OrientedCell", "orient", "chemical_formula", "spacegroup_of", "hkl_plane", "beam_rotation",
           "BOUNDARIES", "ADP_KEY"]

BOUNDARIES = ("cut", "periodic")
#: per-atom anisotropic displacement tensors U (n, 3, 3) [Angstrom^2] in ``atoms.arrays``
ADP_KEY = "synthstem_adp"

_EDGE_EPS = 1e-9  # [Angstrom] atoms closer than this to a cube face are dropped (both faces)


@dataclass
class OrientedCell:
    """A block of crystal with the beam along +z: ``size x size`` laterally, ``thickness`` deep.

    Attributes
    ----------
    atoms : ase.Atoms
        Cell ``diag(size, size, thickness)``, ``pbc=True``, positions in
        ``[0, size)^2 x [0, thickness)`` [Angstrom].
    size : float
        Lateral edge = field of view [Angstrom] (x and y).
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
        (3,) position of the crystal's lattice origin in the block [Angstrom].
    thickness : float
        Extent along the beam [Angstrom]; None (when built by hand) means ``size``, a cube.
        Code that needs the depth must use ``thickness``, never ``size``.
    boundary : str
        ``'cut'`` or ``'periodic'`` (seamless across the lateral edges).
    deformation : numpy.ndarray
        (3, 3) homogeneous strain applied after the rotation (identity for ``'cut'``):
        block position = ``deformation @ rotation @ crystal position + origin``.
    strain : float
        Lateral strain of a periodic cell, ``max |s_i - 1|`` over the singular values of
        ``deformation`` (0.0 for ``'cut'``).
    lattice_vectors : tuple or None
        Periodic cells: lattice indices (n1, n2, n3) on the input cell of the two in-plane
        vectors along the edges (fractions for centring translations); None for ``'cut'``.
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
    thickness: float = None
    boundary: str = "cut"
    deformation: np.ndarray = field(default_factory=lambda: np.eye(3))
    strain: float = 0.0
    lattice_vectors: tuple = None

    def __post_init__(self):
        if self.thickness is None:
            self.thickness = self.size

    def copy_with(self, atoms):
        """Return a new `OrientedCell` with ``atoms`` and every other field unchanged.

        Parameters
        ----------
        atoms : ase.Atoms
            New atoms (e.g. with a defect); the caller keeps them inside the cube.
        """
        if not isinstance(atoms, Atoms):
            raise ValueError(f"atoms must be an ase.Atoms, got {type(atoms).__name__}")
        return replace(self, atoms=atoms, rotation=self.rotation.copy(), origin=self.origin.copy(),
                       deformation=self.deformation.copy())

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


def _positive(name, value):
    number = float(value) if isinstance(value, (int, float, np.integer, np.floating)) else None
    if isinstance(value, (bool, np.bool_)) or number is None or not np.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a positive number [Angstrom], got {value!r}")
    return number


def _crystal_points(atoms, cell, rotation, corners):
    """Beam-frame positions of every atom of the lattice translations covering ``corners``.

    Returns ``(positions, basis_index)``: (m, 3) [Angstrom] and (m,) index into ``atoms``.
    """
    basis = np.asarray(atoms.positions, dtype=float)
    basis_frac = basis @ np.linalg.inv(cell)
    corner_frac = (corners @ rotation) @ np.linalg.inv(cell)  # rotated frame -> crystal frame
    lo = np.floor(corner_frac.min(axis=0) - basis_frac.max(axis=0)).astype(int) - 1
    hi = np.ceil(corner_frac.max(axis=0) - basis_frac.min(axis=0)).astype(int) + 1
    grid = np.stack(
        np.meshgrid(*(np.arange(a, b + 1) for a, b in zip(lo, hi)), indexing="ij"), axis=-1
    ).reshape(-1, 3)
    rotated_cell = cell @ rotation.T
    rotated_basis = basis @ rotation.T
    positions = (grid @ rotated_cell)[:, None, :] + rotated_basis[None, :, :]
    return positions.reshape(-1, 3), np.tile(np.arange(len(atoms)), len(grid))


def _carried_arrays(atoms, which, linear):
    """The input's ``synthstem_*`` per-atom arrays for the kept atoms; ADPs become ``M U M^T``."""
    out = {}
    for key, value in atoms.arrays.items():
        if not key.startswith("synthstem_"):
            continue
        value = np.asarray(value)[which]
        if key == ADP_KEY:
            value = np.einsum("ij,njk,lk->nil", linear, value, linear)
        out[key] = value
    return out


def orient(atoms, uvw, size=25.0, structure_id=0, source="", allow_large_indices=False,
           thickness=None, boundary="cut", max_strain=None):
    """Cut a ``size x size x thickness`` block of crystal with direction ``uvw`` along the beam (+z).

    Parameters
    ----------
    atoms : ase.Atoms
        Unit cell of the crystal (any cell; periodic in 3D). Per-atom arrays named
        ``synthstem_*`` are carried to the kept atoms; ``synthstem_adp`` ((n, 3, 3)
        displacement tensors [Angstrom^2], crystal frame) is rotated into the beam frame
        (``U' = M U M^T`` with ``M = deformation @ rotation``).
    uvw : sequence of 3 int
        Direct-lattice direction [u, v, w] of ``atoms.cell`` to put along +z.
    size : float
        Lateral edge (field of view) [Angstrom]; for ``"periodic"`` the target of the edge
        ``L`` (see ``synthstem.structures.periodic``).
    structure_id : int
        Id stored on the result (used in item names).
    source : str
        Prototype name or file path, stored on the result.
    allow_large_indices : bool
        Allow indices outside [-2, 2].
    thickness : float, optional
        Extent along the beam [Angstrom]; default ``size`` (a cube, as before).
    boundary : {"cut", "periodic"}
        ``"cut"``: atoms strictly inside the block, bounding box centred (not periodic
        laterally in general). ``"periodic"``: a square cell tiled by two lattice vectors
        perpendicular to the beam, seamless across its lateral edges, strained by at most
        ``max_strain``; the atoms with ``z`` in ``[0, thickness)`` are kept.
    max_strain : float, optional
        ``"periodic"`` only: largest lateral strain (default ``periodic.MAX_STRAIN``, 1 %).

    Returns
    -------
    OrientedCell
        Positions in ``[0, size) x [0, size) x [0, thickness)``; see the module docstring.
    """
    uvw = check_uvw(uvw, allow_large_indices)
    cell = _check_cell(atoms)
    size_value = _positive("size", size)
    depth = size_value if thickness is None else _positive("thickness", thickness)
    if boundary not in BOUNDARIES:
        raise ValueError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
    if max_strain is not None and boundary != "periodic":
        raise ValueError(f"max_strain applies to boundary='periodic' only, got boundary={boundary!r}")
    rotation = beam_rotation(cell, uvw)
    if boundary == "periodic":
        return _orient_periodic(atoms, cell, uvw, rotation, size_value, depth, structure_id, source,
                                MAX_STRAIN if max_strain is None else max_strain)
    half = np.array([size_value / 2, size_value / 2, depth / 2])

    corners = np.array(np.meshgrid(*([-h, h] for h in half), indexing="ij")).reshape(3, -1).T
    positions, which = _crystal_points(atoms, cell, rotation, corners)
    keep = np.all(np.abs(positions) < half - _EDGE_EPS, axis=1)
    if not keep.any():
        raise ValueError(f"size {size_value} x thickness {depth} [Angstrom] is too small: the block contains no atom")
    which = which[keep]
    positions = positions[keep]
    shift = half - 0.5 * (positions.min(axis=0) + positions.max(axis=0))
    positions += shift
    origin = shift  # the lattice origin sat at 0 in the centred frame

    return _oriented_cell(atoms, cell, uvw, which, positions, (size_value, size_value, depth),
                          rotation, rotation, structure_id, source, origin=origin)


def _oriented_cell(atoms, cell, uvw, which, positions, extent, rotation, transform,
                   structure_id, source, **fields):
    """The ``OrientedCell`` of atoms ``which`` of ``atoms`` placed at ``positions`` in an
    orthogonal box ``extent`` [Angstrom]; per-atom arrays carried through ``transform``
    (the rotation, times the strain of a periodic cell); ``fields``: the rest of the record."""
    out = Atoms(numbers=atoms.numbers[which], positions=positions, cell=np.diag(extent),
                pbc=True)
    for key, value in _carried_arrays(atoms, which, transform).items():
        out.set_array(key, value)
    return OrientedCell(atoms=out, size=float(extent[0]), uvw=uvw, hkl=hkl_plane(cell, uvw),
                        formula=chemical_formula(atoms), source=str(source),
                        structure_id=int(structure_id), spacegroup=spacegroup_of(atoms),
                        rotation=rotation, thickness=float(extent[2]), **fields)


def _orient_periodic(atoms, cell, uvw, rotation, size, depth, structure_id, source, max_strain):
    """``boundary="periodic"``: atoms with (alpha, beta) in [-1/2, 1/2)^2 of (A1, A2) and z in [0, depth)."""
    frame = periodic_frame(cell, rotation, size, max_strain, centring_translations(atoms))
    length = frame.length
    basis = np.column_stack([frame.vectors[0], frame.vectors[1], [0.0, 0.0, 1.0]])  # beam frame
    coeff = np.array(np.meshgrid([-0.5, 0.5], [-0.5, 0.5], [-depth / 2, depth / 2], indexing="ij")).reshape(3, -1).T
    positions, which = _crystal_points(atoms, cell, rotation, coeff @ basis.T)
    abc = positions @ np.linalg.inv(basis).T
    lo = np.array([-0.5, -0.5, -depth / 2]) - _EDGE_EPS
    hi = np.array([0.5, 0.5, depth / 2]) - _EDGE_EPS
    keep = np.all((abc >= lo) & (abc < hi), axis=1)
    if not keep.any():
        raise ValueError(f"thickness {depth} [Angstrom] is too small: the periodic cell contains no atom")
    abc, which = abc[keep], which[keep]
    extent = np.array([length, length, depth])
    lab = np.column_stack([(abc[:, 0] + 0.5) * length, (abc[:, 1] + 0.5) * length, abc[:, 2] + depth / 2])
    lab = np.clip(lab, 0.0, np.nextafter(extent, 0.0))
    return _oriented_cell(atoms, cell, uvw, which, lab, extent, rotation,
                          frame.deformation @ rotation, structure_id, source,
                          origin=np.array([length / 2, length / 2, depth / 2]),
                          boundary="periodic", deformation=frame.deformation.copy(),
                          strain=frame.strain, lattice_vectors=frame.indices)
