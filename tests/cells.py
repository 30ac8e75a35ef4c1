"""Small test cells and image comparisons shared by the physics tests."""

import numpy as np
from ase import Atoms

A = 3.905  # SrTiO3 lattice constant [Angstrom]


def srtio3(nx=2, ny=2, nz=2):
    """Cubic SrTiO3 (Sr at the origin), repeated nx x ny x nz."""
    base = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                             (0.5, 0, 0.5), (0, 0.5, 0.5)],
                 cell=[A, A, A], pbc=True)
    return base.repeat((nx, ny, nz))


def ncc(a, b):
    """Normalised cross-correlation of two images."""
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))
