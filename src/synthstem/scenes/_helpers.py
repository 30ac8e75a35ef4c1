"""Small pieces the nanoparticle, monolayer and interface builders share: parameter
checks that fail in one line, the label arrays, a plain amorphous support film, and
rotations about the beam axis."""

from __future__ import annotations

import numpy as np
from ase import Atoms

from ..structures.amorphous import default_min_distance, number_density, parse_composition, rsa_positions
from .base import INSTANCE_KEY, SITE_KEY, Markers, Scene

__all__ = ["number", "count", "labelled_atoms", "amorphous_film", "rotation_z", "finish_scene"]


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


def amorphous_film(size, z_range, composition, density, rng, fixed=None):
    """An amorphous slab ``[0, size)^2 x [z0, z1)`` by random sequential addition
    (:func:`synthstem.structures.amorphous.rsa_positions`, periodic laterally), labelled
    unlabelled (site ``''``, instance -1).

    Parameters
    ----------
    size : float
        Lateral edge [Angstrom].
    z_range : (float, float)
        Slab along the beam [Angstrom].
    composition : str
        Element or formula ('C', 'SiO2', 'Si3N4').
    density : float
        Mass density [g/cm^3].
    rng : numpy.random.Generator
        Random stream.
    fixed : (m, 3) array_like, optional
        Atoms the film must keep ``min_distance`` from.

    Returns
    -------
    (ase.Atoms, dict)
        The film and a record (composition fractions, density, atoms, min_distance).
    """
    fractions = parse_composition(composition)
    rho = number_density(fractions, density)
    z0, z1 = float(z_range[0]), float(z_range[1])
    n = int(round(rho * size * size * (z1 - z0)))
    md = default_min_distance(fractions)
    pos = rsa_positions(n, (size, size), (z0, z1), md, rng, fixed=fixed)
    pos[:, :2] = np.mod(pos[:, :2], size)
    per = {el: int(round(f * n)) for el, f in fractions.items()}
    first = next(iter(per))
    per[first] += n - sum(per.values())
    symbols = np.repeat(list(per), list(per.values()))[rng.permutation(n)]
    film = labelled_atoms(symbols, pos, [""] * n, [-1] * n)
    return film, {"composition": fractions, "density": float(density), "z_range": [z0, z1],
                  "atoms": n, "min_distance": float(md)}


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
