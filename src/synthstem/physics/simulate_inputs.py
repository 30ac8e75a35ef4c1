"""What ``simulate`` takes and returns: its result record and the checks of its inputs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..structures.thermal import ADP_KEY

__all__ = ["SimulationResult", "adp_atoms", "atoms_of", "check_int"]


@dataclass
class SimulationResult:
    """Result of ``simulate``.

    Attributes
    ----------
    image : (pixels, pixels) float64, fraction of the incident beam on the detector;
        pixel (row j, col i) is the scan position (x, y) = (i Lx, j Ly) / pixels.
    coords : (n_atoms, 2) float64 projected atom positions in pixels (x = column, y = row).
    params : dict, JSON-serialisable record of every parameter used.
    timings : dict [s].
    """

    image: np.ndarray
    coords: np.ndarray
    params: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)


def atoms_of(cell):
    atoms = getattr(cell, "atoms", cell)
    if not hasattr(atoms, "get_chemical_symbols") or not hasattr(atoms, "cell"):
        raise ValueError(
            f"cell must be an OrientedCell or ase.Atoms, got {type(cell).__name__}"
        )
    return atoms


def check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def adp_atoms(atoms):
    """Number of atoms whose frozen-phonon displacements come from their own displacement
    tensor (``atoms.arrays['synthstem_adp']``, CIF Debye-Waller factors)."""
    adp = atoms.arrays.get(ADP_KEY)
    if adp is None:
        return 0
    return int(np.count_nonzero(np.abs(np.asarray(adp)).reshape(len(atoms), -1).max(axis=1) > 0))
