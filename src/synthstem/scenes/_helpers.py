"""Small pieces the nanoparticle, monolayer and interface builders share: parameter
checks that fail in one line, the label arrays, rotations about the beam axis."""

from __future__ import annotations

import numpy as np
from ase import Atoms

from .base import INSTANCE_KEY, SITE_KEY, Markers, Scene

__all__ = ["number", "count", "labelled_atoms", "rotation_z", "finish_scene"]


def number(name, value, lo=None, hi=None, lo_open=False, unit=""):
    """``value`` as a float, or ValueError naming ``name`` when it is not a finite number in range."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    x = float(value) if ok else float("nan")
    bad = not np.isfinite(x) or (lo is not None and (x <= lo if lo_open else x < lo)) \
        or (hi is not None and x > hi)
    if bad:
        where = f" in {'(' if lo_open else '['}{lo if lo is not None else '-inf'}, " \
                f"{hi if hi is not None else 'inf'}]"
        raise ValueError(f"{name} must be a number{where}{' ' + unit if unit else ''}, got {value!r}")
    return x


def count(name, value, eligible):
    """Resolve a defect amount: an int is a count, a float in [0, 1] a fraction of the
    ``eligible`` sites (rounded to the nearest integer). ValueError when out of range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be an int (a count) or a float in [0, 1] (a fraction), got {value!r}")
    if isinstance(value, (int, np.integer)):
        n = int(value)
    else:
        n = int(round(number(name, value, 0.0, 1.0) * eligible))
    if n < 0 or n > eligible:
        raise ValueError(f"{name}: {n} sites asked for but only {eligible} are eligible")
    return n


def labelled_atoms(symbols, positions, sites, instances):
    """An ``ase.Atoms`` (no cell yet) with the scene label arrays set."""
    atoms = Atoms(symbols=list(symbols), positions=np.asarray(positions, dtype=float).reshape(-1, 3))
    atoms.set_array(SITE_KEY, np.asarray(list(sites), dtype=str).reshape(len(atoms)).astype("U32"))
    atoms.set_array(INSTANCE_KEY, np.asarray(list(instances), dtype=int).reshape(len(atoms)))
    return atoms


def rotation_z(angle):
    """(3, 3) rotation by ``angle`` [rad] about +z (the beam)."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def finish_scene(atoms, size, thickness, kind, params, markers=None):
    """Set the cell ``diag(size, size, thickness)`` (pbc), check and return the Scene."""
    atoms.set_cell(np.diag([size, size, thickness]))
    atoms.pbc = True
    return Scene(atoms=atoms, size=float(size), kind=kind, params=params,
                 markers=markers if markers is not None else Markers()).check()
