"""Amorphous surface layers (carbon film, native oxide) on the entrance and/or exit surface.

``add_amorphous_layer(cell, composition, thickness, density, side, min_distance, rng)``
adds ``N = round(rho_n * L^2 * thickness)`` atoms per layer, where the number density is
``rho_n = density / (m_mean * 1.66053907 g/cm^3 per amu/Angstrom^3)`` (``m_mean``: the
number-weighted mean atomic mass [amu], ``ase.data.atomic_masses``), e.g. amorphous
carbon at 2.0 g/cm^3 holds 0.1003 atoms/Angstrom^3.

Positions: random sequential addition (RSA). Candidates are drawn uniformly in the layer
slab (x, y in [0, L), z in the slab) in chunks of ``CHUNK`` from ``rng``; each candidate
is accepted when it is at least ``min_distance`` from every atom accepted before it
(minimum image laterally: the cell is periodic in x and y for the simulators) and from
the crystal's atoms; this is exactly the sequential process, checked against a plain
loop in the tests. ``MAX_CHUNKS`` chunks without completing raise ``ValueError``. The
RSA jamming packing fraction in 3D is about 0.38; a request whose hard-sphere packing
fraction ``rho_n * pi * min_distance^3 / 6`` exceeds ``MAX_PACKING`` is refused.

Species are assigned by a random permutation of the exact counts (largest-remainder
rounding of the composition): no spatial order between species.

Geometry: the beam enters at z = 0. ``side="entrance"`` puts the layer at
``[0, thickness)`` and shifts the crystal by ``+thickness``; ``"exit"`` puts it at
``[T, T + thickness)`` below the crystal (depth T); ``"both"`` does both (two
independent layers). The cell grows along z by the layer thickness(es).

Layer atoms are marked ``atoms.arrays['synthstem_amorphous'] == True``;
``merge_columns`` (and so the column labels) skip them. Add defects before layers: an
entrance layer shifts every crystal atom (and so defect sites) by its thickness, which
the returned record states as ``z_shift``.
"""

import dataclasses

import numpy as np
from ase import Atoms
from ase.data import atomic_masses, atomic_numbers, covalent_radii
from scipy.spatial import cKDTree

from ..random import as_rng
from .columns import AMORPHOUS_KEY

__all__ = ["AMORPHOUS_KEY", "SIDES", "AMU_G_CM3", "MAX_PACKING", "CHUNK", "MAX_CHUNKS", "number_density",
           "parse_composition", "default_min_distance", "rsa_positions", "add_amorphous_layer"]

SIDES = ("entrance", "exit", "both")
#: 1 amu / Angstrom^3 in g/cm^3
AMU_G_CM3 = 1.66053907
#: largest hard-sphere packing fraction accepted (RSA jams near 0.38 in 3D)
MAX_PACKING = 0.3
CHUNK = 4096
MAX_CHUNKS = 400


def parse_composition(composition):
    """``{'Si': 1/3, 'O': 2/3}`` (number fractions) from 'C', 'SiO2' or a {symbol: amount} dict."""
    from ase.formula import Formula

    if isinstance(composition, str):
        try:
            counts = Formula(composition).count()
        except Exception:  # noqa: BLE001 - ase raises several types
            counts = None
        if not counts:
            raise ValueError(f"composition must be an element or a formula such as 'SiO2', got {composition!r}")
    elif isinstance(composition, dict) and composition:
        counts = dict(composition)
    else:
        raise ValueError(f"composition must be a formula string or a non-empty dict, got {composition!r}")
    out = {}
    for symbol, amount in counts.items():
        if not isinstance(symbol, str) or symbol not in atomic_numbers or symbol == "X":
            raise ValueError(f"composition has an unknown element {symbol!r}")
        if isinstance(amount, bool) or not isinstance(amount, (int, float, np.integer, np.floating)) or not amount > 0:
            raise ValueError(f"composition amounts must be positive numbers, got {symbol}: {amount!r}")
        out[symbol] = float(amount)
    total = sum(out.values())
    return {s: v / total for s, v in out.items()}


def number_density(fractions, density):
    """Atoms per Angstrom^3 of a material of ``density`` [g/cm^3] with number ``fractions``."""
    mass = sum(f * atomic_masses[atomic_numbers[s]] for s, f in fractions.items())
    return float(density) / (mass * AMU_G_CM3)


def default_min_distance(fractions):
    """0.85 x twice the number-weighted mean covalent radius [Angstrom] (C: 1.29, SiO2: 1.38)."""
    radius = sum(f * covalent_radii[atomic_numbers[s]] for s, f in fractions.items())
    return 0.85 * 2.0 * float(radius)


def _counts(fractions, n):
    """Exact integer counts summing to ``n`` (largest remainder, ties by symbol order)."""
    symbols = list(fractions)
    raw = np.array([fractions[s] * n for s in symbols])
    base = np.floor(raw).astype(int)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: n - base.sum()]] += 1
    return dict(zip(symbols, base.tolist()))


def rsa_positions(n, box, z_range, min_distance, rng, fixed=None):
    """``n`` random positions at least ``min_distance`` apart (random sequential addition).

    Parameters
    ----------
    n : int
        Number of positions.
    box : (2,) array_like
        Lateral periods (Lx, Ly) [Angstrom]; distances use the minimum image in x and y.
    z_range : (2,) array_like
        Slab ``[z0, z1)`` [Angstrom] (not periodic).
    min_distance : float
        Smallest allowed distance [Angstrom].
    rng : numpy.random.Generator
        Candidates come in chunks of ``CHUNK`` from ``rng.random((CHUNK, 3))``.
    fixed : (m, 3) array_like, optional
        Atoms already present (e.g. the crystal) that candidates must also avoid.

    Returns
    -------
    numpy.ndarray
        (n, 3) accepted positions in acceptance order.
    """
    lx, ly = float(box[0]), float(box[1])
    z0, z1 = float(z_range[0]), float(z_range[1])
    fixed = np.zeros((0, 3)) if fixed is None else np.asarray(fixed, dtype=float).reshape(-1, 3)
    lo_z = min(z0, fixed[:, 2].min() if len(fixed) else z0) - 2 * min_distance
    depth = max(z1, fixed[:, 2].max() if len(fixed) else z1) + 2 * min_distance - lo_z
    boxsize = np.array([lx, ly, depth + 4 * min_distance])  # z never wraps

    def to_box(p):
        q = p.copy()
        q[:, 0] = np.mod(q[:, 0], lx)
        q[:, 1] = np.mod(q[:, 1], ly)
        q[:, 2] -= lo_z
        return np.minimum(q, np.nextafter(boxsize, 0))

    near = fixed[(fixed[:, 2] > z0 - min_distance) & (fixed[:, 2] < z1 + min_distance)]
    fixed_tree = cKDTree(to_box(near), boxsize=boxsize) if len(near) else None
    accepted = np.zeros((0, 3))
    tree = None
    for _ in range(MAX_CHUNKS):
        if len(accepted) >= n:
            break
        cand = rng.random((CHUNK, 3)) * [lx, ly, z1 - z0] + [0.0, 0.0, z0]
        boxed = to_box(cand)
        ok = np.ones(CHUNK, dtype=bool)
        if fixed_tree is not None:
            ok &= np.isinf(fixed_tree.query(boxed, distance_upper_bound=min_distance)[0])
        if tree is not None:
            ok &= np.isinf(tree.query(boxed, distance_upper_bound=min_distance)[0])
        # candidates of this chunk conflicting with each other: keep them in order, greedily
        idx = np.flatnonzero(ok)
        sub = cKDTree(boxed[idx], boxsize=boxsize)
        pairs = sub.query_pairs(min_distance, output_type="ndarray")
        later = [[] for _ in idx]
        for a, b in pairs:
            a, b = (a, b) if a < b else (b, a)
            later[a].append(b)
        blocked = np.zeros(len(idx), dtype=bool)
        take = []
        for k in range(len(idx)):
            if blocked[k]:
                continue
            take.append(idx[k])
            if len(accepted) + len(take) >= n:
                break
            blocked[later[k]] = True
        # a candidate is blocked only by an accepted earlier one: query_pairs gives all
        # pairs within min_distance (<=); the loop's order is the chunk's order
        accepted = np.vstack([accepted, cand[take]])
        tree = cKDTree(to_box(accepted), boxsize=boxsize)
    if len(accepted) < n:
        raise ValueError(
            f"random sequential addition placed {len(accepted)} of {n} atoms after {MAX_CHUNKS * CHUNK} "
            f"candidates (min_distance {min_distance} Angstrom); lower min_distance or density"
        )
    return accepted[:n]


def add_amorphous_layer(cell, composition, thickness, density, side="entrance", min_distance=None, rng=None):
    """Add amorphous layer(s) on the entrance and/or exit surface (module docstring).

    Parameters
    ----------
    cell : OrientedCell or ase.Atoms
        Block with the beam along +z and an orthogonal cell; not modified.
    composition : str or dict
        Element or formula ('C', 'SiO2', 'Al2O3') or ``{symbol: amount}``.
    thickness : float
        Thickness of each layer [Angstrom].
    density : float
        Mass density [g/cm^3] (amorphous carbon ~2.0, a-SiO2 ~2.2, a-Al2O3 ~3.0).
    side : {"entrance", "exit", "both"}
        Surface(s) to cover; the beam enters at z = 0.
    min_distance : float, optional
        Smallest distance between layer atoms and to crystal atoms [Angstrom]; default
        ``default_min_distance`` (0.85 x twice the mean covalent radius).
    rng : numpy.random.Generator or int, optional
        Random stream or seed.

    Returns
    -------
    (same type as ``cell``, dict)
        The new block (deeper by the layer thickness(es); ``thickness`` updated for an
        OrientedCell) and a JSON-safe record: composition (number fractions), thickness,
        density, min_distance, side, number_density [1/Angstrom^3], atoms per layer and
        ``z_shift`` (how far the crystal moved along z) [Angstrom].
    """
    fractions = parse_composition(composition)
    for name, value in (("thickness", thickness), ("density", density)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    if min_distance is None:
        min_distance = default_min_distance(fractions)
    if isinstance(min_distance, bool) or not isinstance(min_distance, (int, float, np.integer, np.floating)) \
            or not np.isfinite(min_distance) or min_distance < 0:
        raise ValueError(f"min_distance must be a non-negative number [Angstrom], got {min_distance!r}")
    rho = number_density(fractions, density)
    packing = rho * np.pi * float(min_distance) ** 3 / 6.0
    if packing > MAX_PACKING:
        raise ValueError(
            f"min_distance {min_distance} Angstrom at {density} g/cm^3 gives a packing fraction {packing:.3f} "
            f"> {MAX_PACKING} (random sequential addition jams near 0.38); lower min_distance"
        )
    rng = as_rng(rng)
    atoms = getattr(cell, "atoms", cell)
    if not isinstance(atoms, Atoms):
        raise ValueError(f"cell must be an OrientedCell or ase.Atoms, got {type(cell).__name__}")
    c = np.asarray(atoms.cell.array, dtype=float)
    if not np.allclose(c, np.diag(np.diag(c)), atol=1e-9) or np.any(np.diag(c) <= 0):
        raise ValueError(f"cell must have an orthogonal unit cell, got {c.tolist()}")
    lx, ly, depth = np.diag(c)
    t = float(thickness)
    n = int(round(rho * lx * ly * t))

    new = atoms.copy()
    if AMORPHOUS_KEY not in new.arrays:
        new.set_array(AMORPHOUS_KEY, np.zeros(len(new), dtype=bool))
    shift = t if side in ("entrance", "both") else 0.0
    new.positions[:, 2] += shift
    total = depth + t * (2 if side == "both" else 1)
    new.set_cell(np.diag([lx, ly, total]))
    slabs = {"entrance": [(0.0, t)], "exit": [(shift + depth, shift + depth + t)]}
    slabs["both"] = slabs["entrance"] + slabs["exit"]
    layers = []
    for z0, z1 in slabs[side]:
        pos = rsa_positions(n, (lx, ly), (z0, z1), float(min_distance), rng, fixed=new.positions)
        counts = _counts(fractions, n)
        symbols = np.repeat(list(counts), list(counts.values()))
        symbols = symbols[rng.permutation(n)]
        layer = Atoms(symbols=list(symbols), positions=pos)
        start = len(new)
        new += layer
        flags = new.arrays[AMORPHOUS_KEY]
        flags[start:] = True
        layers.append({"z_range": [float(z0), float(z1)], "n_atoms": int(n), "counts": {k: int(v) for k, v in counts.items()}})
    record = {
        "composition": fractions, "thickness": t, "density": float(density), "side": side,
        "min_distance": float(min_distance), "number_density": float(rho), "layers": layers, "z_shift": float(shift),
    }
    if isinstance(cell, Atoms):
        return new, record
    out = cell.copy_with(new)
    if dataclasses.is_dataclass(out) and hasattr(out, "thickness"):
        origin = np.asarray(out.origin, dtype=float).copy()
        origin[2] += shift
        out = dataclasses.replace(out, thickness=float(total), origin=origin)
    return out, record
