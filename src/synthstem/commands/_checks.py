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
