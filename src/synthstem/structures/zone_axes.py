"""Symmetry-distinct zone axes [u, v, w] of a crystal.

Two directions are equivalent when a rotation of the crystal's point group (spglib, in
the basis of the given cell) maps one onto the other. By default [u, v, w] and
[-u, -v, -w] are also treated as equivalent: the projection along -d is the mirror image
of the projection along d, which carries the same information for a training set.
"""

import warnings
from functools import reduce
from itertools import product
from math import gcd

import numpy as np
from ase import Atoms

__all__ = ["zone_axes", "point_group_rotations"]


def point_group_rotations(atoms, symprec=1e-3):
    """Distinct rotation parts of the space group of ``atoms`` (fractional basis of its cell).

    Parameters
    ----------
    atoms : ase.Atoms
        Periodic crystal.
    symprec : float
        spglib tolerance [Angstrom].

    Returns
    -------
    numpy.ndarray
        (n, 3, 3) integer matrices W acting on direct-lattice components: uvw' = W @ uvw.
    """
    import spglib

    if not isinstance(atoms, Atoms):
        raise ValueError(f"atoms must be an ase.Atoms, got {type(atoms).__name__}")
    if len(atoms) == 0 or abs(np.linalg.det(atoms.cell.array)) < 1e-6:
        raise ValueError("atoms must have at least one atom and a full 3D cell")
    cell = (atoms.cell.array, atoms.get_scaled_positions(wrap=True), atoms.numbers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sym = spglib.get_symmetry(cell, symprec=symprec)
    if sym is None:
        return np.eye(3, dtype=int)[None]
    return np.unique(np.asarray(sym["rotations"], dtype=int), axis=0)


def _canonical(orbit):
    # representative: smallest |u|+|v|+|w|, then most non-negative entries, then the largest tuple
    return max(orbit, key=lambda t: (-sum(abs(x) for x in t), sum(x >= 0 for x in t), t))


def zone_axes(atoms, max_index=2, include_inverse=True, symprec=1e-3):
    """List one representative [u, v, w] per symmetry-equivalence class.

    Parameters
    ----------
    atoms : ase.Atoms
        Periodic crystal; indices refer to its cell.
    max_index : int
        Largest |index| considered (>= 1).
    include_inverse : bool
        Treat [u, v, w] and [-u, -v, -w] as equivalent (see module docstring).
    symprec : float
        spglib tolerance [Angstrom].

    Returns
    -------
    list of tuple
        Primitive directions (gcd of |indices| is 1), each the representative of its class
        with the smallest |u| + |v| + |w|, then the most non-negative indices, then the
        largest in lexicographic order. Sorted
        by max |index|, then |u| + |v| + |w|, then the representative in descending order; for a
        cubic crystal ``[(1, 0, 0), (1, 1, 0), (1, 1, 1), (2, 1, 0), (2, 1, 1), (2, 2, 1)]``.
    """
    if isinstance(max_index, (bool, np.bool_)) or not isinstance(max_index, (int, np.integer)) or max_index < 1:
        raise ValueError(f"max_index must be a positive integer, got {max_index!r}")
    rotations = point_group_rotations(atoms, symprec)
    if include_inverse:
        rotations = np.concatenate([rotations, -rotations])
    rng = range(-max_index, max_index + 1)
    candidates = [t for t in product(rng, rng, rng) if any(t) and reduce(gcd, (abs(x) for x in t)) == 1]
    seen, result = set(), []
    for t in candidates:
        if t in seen:
            continue
        orbit = {tuple(int(x) for x in w @ np.asarray(t)) for w in rotations}
        seen |= orbit
        inside = [o for o in orbit if max(abs(x) for x in o) <= max_index]
        result.append(_canonical(inside))
    result.sort(key=lambda t: (max(abs(x) for x in t), sum(abs(x) for x in t), tuple(-x for x in t)))
    return result
