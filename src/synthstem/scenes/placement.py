"""Heavy atoms on and in a support: isolated atoms, close pairs and small clusters.

:func:`place_heavy_atoms` puts ``round(density * area)`` heavy atoms (``density``
[atoms/nm^2], ``area`` the supported part of the field [nm^2]) in *groups*: isolated atoms,
close pairs and clusters of ``cluster_size`` atoms, in the proportions (of atoms)
``isolated : pairs : clusters`` given by ``group_fractions``. Each group lies on the top
(entrance, small z) surface, the bottom (exit) surface or inside the support, in the
proportions ``sites = (top, bottom, inside)``; its element is drawn from ``elements``.

Geometry: the support is given as two surfaces ``z_top(x, y) <= z_bottom(x, y)``
[Angstrom] on a grid (NaN or ``z_top >= z_bottom`` where there is no support). A surface
atom sits ``height`` [Angstrom] outside its surface; an inside atom at a uniform depth
between them. Groups grow from their seed atom: each new atom touches (at ``bond``
[Angstrom], default twice the covalent radius) a random atom of the group, at least
``0.9 bond`` from all others, on the far side of the surface for surface groups.
Seeds are at least ``min_separation`` [Angstrom] apart laterally (from every atom of the
earlier groups), so that groups stay distinct in projection.

Every group gets an instance id (0, 1, ...: isolated atoms their own); :func:`clear_around`
removes support atoms that would overlap a heavy atom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase.data import atomic_numbers, covalent_radii
from scipy.spatial import cKDTree

__all__ = ["HeavyAtoms", "place_heavy_atoms", "clear_around", "GROUPS", "SITES"]

#: group kinds, in the order of ``group_fractions``
GROUPS = ("isolated", "pair", "cluster")
#: where a group sits, in the order of ``sites``
SITES = ("top", "bottom", "inside")


@dataclass
class HeavyAtoms:
    """Placed heavy atoms.

    Attributes
    ----------
    symbols : numpy.ndarray
        (n,) str element symbols.
    positions : numpy.ndarray
        (n, 3) [Angstrom].
    instance : numpy.ndarray
        (n,) int group id.
    group : numpy.ndarray
        (n,) str group kind ('isolated', 'pair', 'cluster').
    site : numpy.ndarray
        (n,) str 'top', 'bottom' or 'inside'.
    """

    symbols: np.ndarray
    positions: np.ndarray
    instance: np.ndarray
    group: np.ndarray
    site: np.ndarray

    def __len__(self):
        return len(self.symbols)


def _weights(name, value, keys=None):
    if isinstance(value, str):
        value = {value: 1.0}
    if isinstance(value, (list, tuple)) and keys is not None:
        if len(value) != len(keys):
            raise ValueError(f"{name} must have {len(keys)} values ({', '.join(keys)}), got {value!r}")
        value = dict(zip(keys, value))
    if not isinstance(value, dict) or not value:
        raise ValueError(f"{name} must be a non-empty table, got {value!r}")
    out = {}
    for k, v in value.items():
        if keys is None and (k not in atomic_numbers or k == "X"):
            raise ValueError(f"{name}: unknown element {k!r}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0:
            raise ValueError(f"{name}: weights must be non-negative numbers, got {k}: {v!r}")
        out[k] = float(v)
    total = sum(out.values())
    if total <= 0:
        raise ValueError(f"{name}: weights sum to 0")
    return {k: v / total for k, v in out.items()}


def _group_sizes(n, fractions, cluster_size, rng):
    """Sizes of the groups holding ``n`` atoms, kinds in ``GROUPS`` order."""
    lo, hi = (int(c) for c in cluster_size)
    if not 2 <= lo <= hi <= 200:
        raise ValueError(f"cluster_size must be [lo, hi] with 2 <= lo <= hi, got {cluster_size!r}")
    n_pair = int(round(n * fractions["pair"] / 2))
    n_cluster_atoms = int(round(n * fractions["cluster"]))
    sizes = []
    while sum(s for s in sizes) < n_cluster_atoms:
        sizes.append(int(rng.integers(lo, hi + 1)))
    n_iso = max(n - 2 * n_pair - sum(sizes), 0)
    return [("isolated", 1)] * n_iso + [("pair", 2)] * n_pair + [("cluster", s) for s in sizes]


def _grow(k, bond, outward, rng):
    """Offsets (k, 3) of a compact group of ``k`` atoms grown from the origin; ``outward``
    (+1 / -1 along z, 0 = any) keeps every atom on that side of the seed."""
    pts = [np.zeros(3)]
    for _ in range(k - 1):
        for _try in range(200):
            base = pts[rng.integers(len(pts))]
            v = rng.standard_normal(3)
            v /= np.linalg.norm(v)
            if outward:
                v[2] = outward * abs(v[2]) * 0.6  # flat, raft-like clusters on a surface
                v /= np.linalg.norm(v)
            p = base + bond * v
            if outward and outward * p[2] < -1e-9:
                continue
            if min(np.linalg.norm(q - p) for q in pts) >= 0.9 * bond - 1e-9:
                pts.append(p)
                break
        else:
            raise ValueError(f"cannot grow a {k}-atom cluster")
    return np.array(pts)


def place_heavy_atoms(z_top, z_bottom, spacing, rng, elements="Pt", density=0.5,
                      group_fractions=(0.7, 0.1, 0.2), sites=(0.45, 0.45, 0.1), cluster_size=(3, 12),
                      bond=None, height=2.0, min_separation=5.0, first_instance=0):
    """Place heavy atoms on and in a support (module docstring).

    Parameters
    ----------
    z_top, z_bottom : numpy.ndarray
        (n, n) entrance and exit surfaces of the support [Angstrom], indexed ``[iy, ix]``
        on a grid of ``spacing``; support where ``z_bottom - z_top > 2 height``.
    spacing : float
        Grid spacing [Angstrom].
    rng : numpy.random.Generator
    elements : str or dict
        'Pt' or ``{'Pt': 0.8, 'Au': 0.2}`` (each group's element drawn by weight).
    density : float
        Heavy atoms per nm^2 of supported area [atoms/nm^2].
    group_fractions : (float, float, float) or dict
        Fractions of the atoms in isolated atoms, pairs and clusters.
    sites : (float, float, float) or dict
        Fractions of the groups on top, bottom, inside.
    cluster_size : (int, int)
        Range of atoms per cluster (uniform, inclusive).
    bond : float, optional
        Distance between touching heavy atoms [Angstrom]; default twice the covalent radius.
    height : float
        Height of a surface atom above its surface [Angstrom].
    min_separation : float
        Smallest lateral distance between groups [Angstrom].
    first_instance : int
        Instance id of the first group.

    Returns
    -------
    HeavyAtoms
    """
    weights = _weights("elements", elements)
    fractions = _weights("group_fractions", group_fractions, GROUPS)
    where = _weights("sites", sites, SITES)
    if isinstance(density, bool) or not isinstance(density, (int, float)) or not 0 <= density <= 50:
        raise ValueError(f"density must be in [0, 50] atoms/nm^2, got {density!r}")
    n_grid = z_top.shape[0]
    size = n_grid * spacing
    thick = np.nan_to_num(z_bottom - z_top, nan=0.0)
    supported = thick > 2 * height
    area = supported.sum() * spacing**2 / 100.0  # [nm^2]
    n = int(round(density * area))
    groups = _group_sizes(n, fractions, cluster_size, rng) if n else []
    groups = [groups[i] for i in rng.permutation(len(groups))]
    cells = np.argwhere(supported)
    syms, pos, inst, kind, site = [], [], [], [], []
    placed = np.zeros((0, 2))
    for gid, (gkind, k) in enumerate(groups):
        element = str(rng.choice(list(weights), p=list(weights.values())))
        b = float(bond) if bond is not None else 2 * covalent_radii[atomic_numbers[element]]
        where_k = str(rng.choice(SITES, p=[where[s] for s in SITES]))
        outward = {"top": -1, "bottom": 1, "inside": 0}[where_k]
        offsets = _grow(k, b, outward, rng)
        tree = cKDTree(placed, boxsize=size) if len(placed) else None
        for _try in range(500):
            iy, ix = cells[rng.integers(len(cells))]
            xy = (np.array([ix, iy]) + rng.random(2)) * spacing
            if tree is None or np.all(np.isinf(tree.query(
                    np.mod(xy + offsets[:, :2], size), distance_upper_bound=min_separation)[0])):
                break
        else:
            raise ValueError(f"cannot place {len(groups)} heavy-atom groups {min_separation} A apart: "
                             "lower the density or min_separation")
        top, bottom = z_top[iy, ix], z_bottom[iy, ix]
        if where_k == "top":
            seed = np.r_[xy, top - height]
        elif where_k == "bottom":
            seed = np.r_[xy, bottom + height]
        else:
            span = max(bottom - top - 2 * height - np.ptp(offsets[:, 2]), 0.0)
            seed = np.r_[xy, top + height - offsets[:, 2].min() + rng.uniform(0, span)]
        atoms = seed + offsets
        atoms[:, :2] = np.mod(atoms[:, :2], size)
        syms += [element] * k
        pos.append(atoms)
        inst += [first_instance + gid] * k
        kind += [gkind] * k
        site += [where_k] * k
        placed = np.vstack([placed, atoms[:, :2]])
    return HeavyAtoms(symbols=np.array(syms, dtype="<U3"), positions=np.vstack(pos) if pos else np.zeros((0, 3)),
                      instance=np.array(inst, dtype=int), group=np.array(kind, dtype="<U8"),
                      site=np.array(site, dtype="<U6"))


def clear_around(positions, heavy_positions, radius, period):
    """Mask of the ``positions`` farther than ``radius`` [Angstrom] from every heavy atom
    (minimum image laterally with ``period`` [Angstrom])."""
    if len(heavy_positions) == 0 or len(positions) == 0:
        return np.ones(len(positions), dtype=bool)
    zmax = max(positions[:, 2].max(), heavy_positions[:, 2].max()) + 2 * radius + 1
    zmin = min(positions[:, 2].min(), heavy_positions[:, 2].min()) - 2 * radius - 1
    box = [period, period, zmax - zmin]

    def boxed(p):
        q = p - [0.0, 0.0, zmin]
        q[:, :2] = np.mod(q[:, :2], period)
        return np.minimum(q, np.nextafter(np.asarray(box), 0))

    d, _ = cKDTree(boxed(heavy_positions), boxsize=box).query(boxed(positions), distance_upper_bound=radius)
    return np.isinf(d)
