"""Checks of command-line paths, run before a command writes anything.

Each raises an ``OSError`` subclass naming the path (the CLI prints ``PATH: cause``):
``FileNotFoundError`` / ``NotADirectoryError`` / ``IsADirectoryError`` for a wrong path
(exit code 2), ``PermissionError`` or ``OSError(EROFS)`` for a place that cannot be written
(exit code 1); ``ValueError`` for an input file of the wrong kind.
"""

import errno
import os
from pathlib import Path


def _nearest_existing(path):
    p = Path(os.path.abspath(path))
    while not os.path.lexists(p) and p != p.parent:
        p = p.parent
    return p


def _check_writable_folder(folder, target):
    """``folder`` exists; raise if ``target`` (inside it) could not be created."""
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f"{folder} is a file, not a folder", str(target))
    if hasattr(os, "statvfs") and os.statvfs(folder).f_flag & os.ST_RDONLY:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "folder is not writable (Permission denied)", str(folder))


def output_folder(path):
    """Check that folder ``path`` exists or can be created, and can be written into."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is a file, not a folder", str(path))
    _check_writable_folder(_nearest_existing(path), path)
    return path


def output_file(path):
    """Check that file ``path`` can be written (created or replaced)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    _check_writable_folder(_nearest_existing(path.parent), path)
    return path


def input_file(path, what="file"):
    """Check that ``path`` is an existing, readable file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(errno.ENOENT, f"no such {what}", str(path))
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, f"is a folder, not a {what}", str(path))
    with open(path, "rb"):  # PermissionError names the path
        pass
    return path


def hdf5_item(path):
    """Read an item file, turning 'not HDF5' / 'not an item' into one ValueError naming ``path``."""
    import h5py

    from ..io.hdf5 import read_item

    input_file(path, "HDF5 item")
    if not h5py.is_hdf5(path):
        raise ValueError(f"{path}: not an HDF5 file (expected a synthstem or atomagined .h5 item)")
    try:
        return read_item(path)
    except (KeyError, ValueError, OSError) as err:
        raise ValueError(f"{path}: not a readable synthstem/atomagined item: {err}") from None


def npy_image(path):
    """Load a ``.npy`` array (no pickles), naming ``path`` in any error."""
    import numpy as np

    input_file(path, ".npy image")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"{path}: not a .npy array: {err}") from None


#: shortest distance between two atoms (or an atom and its periodic image) accepted [Angstrom]
MIN_DISTANCE = 0.5
#: longest cell edge accepted [Angstrom]
MAX_CELL = 1000.0
#: most atoms a projected cube may hold (a cell too small for its atoms would exhaust memory)
MAX_CUBE_ATOMS = 2_000_000


def crystal(atoms, source, size):
    """Reject a crystal whose atoms overlap (e.g. a CIF with cell lengths in nm, not Angstrom).

    Raises ``ValueError`` naming ``source`` when two atoms, or an atom and its periodic image,
    are closer than :data:`MIN_DISTANCE`, or when a cube of edge ``size`` [Angstrom] would
    hold more than :data:`MAX_CUBE_ATOMS` atoms.
    """
    import numpy as np
    from ase.geometry import get_distances

    cell = atoms.cell
    if not (np.all(np.isfinite(cell.array)) and np.all(np.isfinite(atoms.positions))):
        raise ValueError(f"{source}: the cell or the atom positions are not finite numbers "
                         f"(cell {cell.cellpar().round(4).tolist()})")
    if not abs(cell.volume) > 1e-6:
        raise ValueError(f"{source}: the cell has zero volume (cell {cell.cellpar().round(4).tolist()})")
    longest = float(np.max(cell.lengths()))
    if longest > MAX_CELL:
        raise ValueError(f"{source}: a cell edge is {longest:.3g} Angstrom long (> {MAX_CELL:g}): check the cell "
                         f"(cell {cell.cellpar().round(4).tolist()})")
    far = float(np.max(np.abs(atoms.get_scaled_positions(wrap=False))))
    if far > 1e3:
        raise ValueError(f"{source}: atom positions lie up to {far:.3g} cells outside the cell: check the "
                         f"fractional coordinates")
    reduced = cell.minkowski_reduce()[0]
    shortest = float(np.min(np.linalg.norm(reduced, axis=1)))
    if shortest < MIN_DISTANCE:
        raise ValueError(f"{source}: a lattice vector is {shortest:.3g} Angstrom long (< {MIN_DISTANCE}): "
                         f"are the cell lengths in Angstrom? (cell {cell.cellpar().round(4).tolist()})")
    if len(atoms) > 1:
        _, d = get_distances(atoms.positions, cell=cell, pbc=True)
        d[np.diag_indices_from(d)] = np.inf
        i, j = np.unravel_index(np.argmin(d), d.shape)
        if d[i, j] < MIN_DISTANCE:
            raise ValueError(f"{source}: atoms {i} ({atoms[i].symbol}) and {j} ({atoms[j].symbol}) are "
                             f"{d[i, j]:.3g} Angstrom apart (< {MIN_DISTANCE}): overlapping sites?")
    n = len(atoms) / abs(cell.volume) * float(size) ** 3
    if n > MAX_CUBE_ATOMS:
        raise ValueError(f"{source}: a {size:g} Angstrom cube would hold ~{n:.3g} atoms "
                         f"(> {MAX_CUBE_ATOMS}); check the cell")
    return atoms
