"""Projected atom positions and atom columns in pixel coordinates.

Pixel coordinates follow docs/DESIGN.md and atomagined's ``projection/full_coords``:
``(x, y) = (position_x, position_y) / (size / pixels)``, x = column, y = row, integer
values are pixel centres. The beam is along +z, so projection drops z.

Columns: atoms whose projected positions lie within ``tol`` [Angstrom] of each other are
one column, transitively (single linkage: a chain of close atoms is one column). The cube
is treated as non-periodic laterally: atoms near opposite edges are never merged. Atoms
marked amorphous (``atoms.arrays['synthstem_amorphous']``, surface layers from
``synthstem.structures.amorphous``) belong to no column.
"""

from dataclasses import dataclass, field

import numpy as np
from ase import Atoms

__all__ = ["Columns", "project_positions", "merge_columns", "AMORPHOUS_KEY"]

#: per-atom bool array marking amorphous (non-crystal) atoms
AMORPHOUS_KEY = "synthstem_amorphous"


@dataclass
class Columns:
    """Atom columns of a projected cell.

    Attributes
    ----------
    xy : numpy.ndarray
        (M, 2) float64 pixel coordinates (x = column, y = row), mean over the column's atoms.
    label : list of str
        Column class: the element ('Sr'), or for mixed columns the elements sorted
        alphabetically and joined with '+' ('O+Ti').
    counts : numpy.ndarray
        (M,) int number of atoms per column.
    z_sum : numpy.ndarray
        (M,) float sum of atomic numbers per column.
    atom_indices : list of numpy.ndarray
        Indices (into the atoms) of each column's atoms, ascending.

    Columns are in raster order: by y (row), then x.
    """

    xy: np.ndarray
    label: list
    counts: np.ndarray
    z_sum: np.ndarray
    atom_indices: list = field(default_factory=list)

    def __len__(self):
        return len(self.label)


def _atoms_and_size(atoms_or_cell, size):
    atoms = getattr(atoms_or_cell, "atoms", atoms_or_cell)
    if not isinstance(atoms, Atoms):
        raise ValueError(f"atoms_or_cell must be an OrientedCell or ase.Atoms, got {type(atoms_or_cell).__name__}")
    if size is None:
        size = getattr(atoms_or_cell, "size", None)
    if size is None:
        cell = atoms.cell.array
        if abs(np.linalg.det(cell)) < 1e-12 or not np.allclose(cell, np.diag(np.diag(cell)), atol=1e-9):
            raise ValueError("size is required when atoms has no orthogonal cell")
        size = float(cell[0, 0])
    if not isinstance(size, (int, float, np.integer, np.floating)) or not np.isfinite(size) or size <= 0:
        raise ValueError(f"size must be a positive number [Angstrom], got {size!r}")
    return atoms, float(size)


def _check_pixels(pixels):
    if isinstance(pixels, (bool, np.bool_)) or not isinstance(pixels, (int, np.integer)) or pixels <= 0:
        raise ValueError(f"pixels must be a positive integer, got {pixels!r}")
    return int(pixels)


def project_positions(atoms_or_cell, pixels, size=None):
    """Projected positions of all atoms in pixel coordinates.

    Parameters
    ----------
    atoms_or_cell : OrientedCell or ase.Atoms
        Beam along +z.
    pixels : int
        Image edge [pixels].
    size : float, optional
        Field of view edge [Angstrom]; default the cell's ``size`` (or ``cell[0, 0]``).

    Returns
    -------
    numpy.ndarray
        (n_atoms, 2) float64 (x, y) = position[:, :2] / (size / pixels), in atom order.
    """
    atoms, size = _atoms_and_size(atoms_or_cell, size)
    pixels = _check_pixels(pixels)
    return np.asarray(atoms.positions[:, :2], dtype=np.float64) / (size / pixels)


def merge_columns(atoms_or_cell, pixels, size=None, tol=0.3):
    """Group atoms into projected columns.

    Parameters
    ----------
    atoms_or_cell : OrientedCell or ase.Atoms
        Beam along +z. Atoms marked amorphous are left out.
    pixels : int
        Image edge [pixels].
    size : float, optional
        Field of view edge [Angstrom]; default the cell's ``size`` (or ``cell[0, 0]``).
    tol : float
        Merge distance between projected positions [Angstrom] (single linkage).

    Returns
    -------
    Columns
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    atoms, size = _atoms_and_size(atoms_or_cell, size)
    pixels = _check_pixels(pixels)
    if not isinstance(tol, (int, float, np.integer, np.floating)) or not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a non-negative number [Angstrom], got {tol!r}")
    n = len(atoms)
    if n == 0:
        return Columns(np.zeros((0, 2)), [], np.zeros(0, dtype=int), np.zeros(0), [])
    crystal = np.flatnonzero(~np.asarray(atoms.arrays.get(AMORPHOUS_KEY, np.zeros(n, dtype=bool)), dtype=bool))
    if len(crystal) == 0:
        return Columns(np.zeros((0, 2)), [], np.zeros(0, dtype=int), np.zeros(0), [])
    if len(crystal) < n:  # columns of the crystal atoms only; indices stay those of ``atoms``
        cols = merge_columns(atoms[crystal], pixels, size=size, tol=tol)
        cols.atom_indices = [crystal[g] for g in cols.atom_indices]
        return cols
    xy_a = np.asarray(atoms.positions[:, :2], dtype=np.float64)
    pairs = cKDTree(xy_a).query_pairs(float(tol), output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    n_cols, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(labels[order]) != 0])
    groups = np.split(order, starts[1:])
    scale = size / pixels
    xy = np.array([xy_a[g].mean(axis=0) for g in groups]) / scale
    raster = np.lexsort((xy[:, 0], xy[:, 1]))
    symbols = np.array(atoms.get_chemical_symbols())
    numbers = atoms.numbers
    groups = [np.sort(groups[i]) for i in raster]
    return Columns(
        xy=xy[raster],
        label=["+".join(sorted(set(symbols[g]))) for g in groups],
        counts=np.array([len(g) for g in groups], dtype=int),
        z_sum=np.array([float(numbers[g].sum()) for g in groups]),
        atom_indices=groups,
    )
