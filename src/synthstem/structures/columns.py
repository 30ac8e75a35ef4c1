"""Projected atom positions and atom columns in pixel coordinates.

Pixel coordinates follow docs/DESIGN.md and atomagined's ``projection/full_coords``:
``(x, y) = (position_x, position_y) / (size / pixels)``, x = column, y = row, integer
values are pixel centres. The beam is along +z, so projection drops z.

Columns: atoms whose projected positions lie within ``tol`` [Angstrom] of each other are
one column, transitively (single linkage: a chain of close atoms is one column). The cube
is treated as non-periodic laterally: atoms near opposite edges are never merged. Atoms
marked amorphous (``atoms.arrays['synthstem_amorphous']``, surface layers from
``synthstem.structures.amorphous``) belong to no column.

Scenes (:mod:`synthstem.scenes`) label their atoms: when ``atoms.arrays[SITE_KEY]`` exists,
only the labelled atoms (class ``!= ''``) form columns, and a column's label is its atoms'
classes (sorted, joined with '+'), not their elements; ``atoms.arrays[INSTANCE_KEY]`` gives
each column an ``instance`` (the most common id of its atoms, -1 = none) and every
column records the mean depth ``depth`` [Angstrom] of its atoms. ``markers`` (labelled
sites without an atom, e.g. vacancies) become label-only columns: counts 0, z_sum 0, no
atoms. Without these arrays, columns are exactly those of a bulk crystal (``instance``
and ``depth`` None).
"""

from dataclasses import dataclass, field

import numpy as np
from ase import Atoms

__all__ = ["Columns", "project_positions", "merge_columns", "AMORPHOUS_KEY", "SITE_KEY", "INSTANCE_KEY"]

#: per-atom bool array marking amorphous (non-crystal) atoms
AMORPHOUS_KEY = "synthstem_amorphous"
#: per-atom str array: label class of the atom ("" = unlabelled; synthstem.scenes)
SITE_KEY = "synthstem_site"
#: per-atom int array: instance id (cluster, particle, grain, layer); -1 = none
INSTANCE_KEY = "synthstem_instance"


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
    instance : numpy.ndarray or None
        (M,) int instance id per column (scenes: cluster, particle, grain; -1 = none);
        None for bulk crystals.
    depth : numpy.ndarray or None
        (M,) float mean z of the column's atoms [Angstrom] (beam enters at z = 0; NaN for
        a marker); None for bulk crystals.

    Columns are in raster order: by y (row), then x.
    """

    xy: np.ndarray
    label: list
    counts: np.ndarray
    z_sum: np.ndarray
    atom_indices: list = field(default_factory=list)
    instance: np.ndarray = None
    depth: np.ndarray = None

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


def merge_columns(atoms_or_cell, pixels, size=None, tol=0.3, markers=None):
    """Group atoms into projected columns.

    Parameters
    ----------
    atoms_or_cell : OrientedCell or ase.Atoms
        Beam along +z. Atoms marked amorphous are left out; with ``SITE_KEY``, only the
        labelled atoms form columns (module docstring).
    pixels : int
        Image edge [pixels].
    size : float, optional
        Field of view edge [Angstrom]; default the cell's ``size`` (or ``cell[0, 0]``).
    tol : float
        Merge distance between projected positions [Angstrom] (single linkage).
    markers : object with ``xyz``, ``label``, ``instance``, optional
        Labelled sites without atoms (:class:`synthstem.scenes.Markers`): label-only columns.

    Returns
    -------
    Columns
    """
    atoms, size = _atoms_and_size(atoms_or_cell, size)
    pixels = _check_pixels(pixels)
    if not isinstance(tol, (int, float, np.integer, np.floating)) or not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a non-negative number [Angstrom], got {tol!r}")
    labelled = SITE_KEY in atoms.arrays
    if not labelled and markers is None:
        return _merge(atoms, pixels, size, tol)
    n = len(atoms)
    keep = np.ones(n, dtype=bool)
    if AMORPHOUS_KEY in atoms.arrays:
        keep &= ~np.asarray(atoms.arrays[AMORPHOUS_KEY], dtype=bool)
    if labelled:
        keep &= np.asarray(atoms.arrays[SITE_KEY]) != ""
    idx = np.flatnonzero(keep)
    sub = atoms[idx]
    cols = _merge(sub, pixels, size, tol, classes=sub.arrays.get(SITE_KEY))
    cols.atom_indices = [idx[g] for g in cols.atom_indices]
    inst = np.asarray(atoms.arrays.get(INSTANCE_KEY, np.full(n, -1)), dtype=int)
    z = atoms.positions[:, 2]
    instance = []
    for g in cols.atom_indices:
        ids = inst[g][inst[g] >= 0]
        instance.append(int(np.bincount(ids).argmax()) if len(ids) else -1)
    cols.instance = np.array(instance, dtype=int)
    cols.depth = np.array([float(z[g].mean()) for g in cols.atom_indices], dtype=float)
    if markers is not None and len(markers):
        xyz = np.asarray(markers.xyz, dtype=float).reshape(-1, 3)
        xy = np.vstack([cols.xy, xyz[:, :2] / (size / pixels)])
        order = np.lexsort((xy[:, 0], xy[:, 1]))
        label = [*cols.label, *(str(s) for s in markers.label)]
        cat = {"counts": np.r_[cols.counts, np.zeros(len(xyz), int)],
               "z_sum": np.r_[cols.z_sum, np.zeros(len(xyz))],
               "instance": np.r_[cols.instance, np.asarray(markers.instance, dtype=int)],
               "depth": np.r_[cols.depth, xyz[:, 2]]}
        indices = [*cols.atom_indices, *([np.zeros(0, dtype=int)] * len(xyz))]
        cols = Columns(xy=xy[order], label=[label[i] for i in order], counts=cat["counts"][order],
                       z_sum=cat["z_sum"][order], atom_indices=[indices[i] for i in order],
                       instance=cat["instance"][order], depth=cat["depth"][order])
    return cols


def _merge(atoms, pixels, size, tol, classes=None):
    """Columns of all non-amorphous atoms, labelled by element (or by ``classes``)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = len(atoms)
    if n == 0:
        return Columns(np.zeros((0, 2)), [], np.zeros(0, dtype=int), np.zeros(0), [])
    crystal = np.flatnonzero(~np.asarray(atoms.arrays.get(AMORPHOUS_KEY, np.zeros(n, dtype=bool)), dtype=bool))
    if len(crystal) == 0:
        return Columns(np.zeros((0, 2)), [], np.zeros(0, dtype=int), np.zeros(0), [])
    if len(crystal) < n:  # columns of the crystal atoms only; indices stay those of ``atoms``
        cols = _merge(atoms[crystal], pixels, size, tol,
                      classes=None if classes is None else np.asarray(classes)[crystal])
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
    symbols = np.array(atoms.get_chemical_symbols()) if classes is None else np.asarray(classes)
    numbers = atoms.numbers
    groups = [np.sort(groups[i]) for i in raster]
    return Columns(
        xy=xy[raster],
        label=["+".join(sorted(set(symbols[g]))) for g in groups],
        counts=np.array([len(g) for g in groups], dtype=int),
        z_sum=np.array([float(numbers[g].sum()) for g in groups]),
        atom_indices=groups,
    )
