"""Point defects near the centre of view, with a local elastic relaxation.

(Several defects anywhere in the field of view: ``synthstem.structures.defect_placement``.)

Placement
---------
The projected atom columns (``synthstem.structures.columns.merge_columns``, merge
distance 0.3 Angstrom) are ranked by their distance to the centre of view
``(size / 2, size / 2)``; the nearest column with enough atoms holds the defect.

- ``'vacancy'``: atoms of that column are removed.
- ``'substitution'``: atoms of that column change element (``element``, or a random
  element of :data:`SUBSTITUENTS` whose atomic number differs by at least 4, so that the
  HAADF contrast changes, and whose covalent radius is within 25 % of the host's, a
  Hume-Rothery-like size rule; without such an element any of the former).
- ``'interstitial'``: atoms are added in the largest voids (largest distance to every
  atom) within 3 Angstrom laterally of that column; default element the structure's
  element with the smallest covalent radius.

The first site is drawn by ``rng`` among the column's atoms in the middle half of the
block's thickness (not at a surface); further sites are the column atoms of the same
element nearest to it in depth (vacancy, substitution; the nearest column with enough
atoms of one element is used; where no column has enough, as in thin cells or high-index
projections whose columns hold 1-2 atoms, the nearest column holding the most, and the
defect has that many sites: its record lists them) or the next-largest voids at least 2
Angstrom apart (interstitial).

Levels
------
=====  =====  ==============================
level  sites  relaxation amplitude ``A``
=====  =====  ==============================
1      1      0.10 Angstrom
2      3 (2 for interstitials)  0.25 Angstrom
=====  =====  ==============================

Relaxation
----------
The displacement field of a point defect in an isotropic elastic medium falls off as
``1/r^2`` along the radial direction (Eshelby/Kanzaki). Every atom ``i`` within
``r_cut`` of a defect site ``s`` moves by::

    u_i = sign * A * (r_nn / r)^2 * w(r) * (p_i - s) / r

where ``r = |p_i - s|``, ``r_nn`` is the distance from ``s`` to its nearest host atom
(so nearest neighbours move by about ``A``), ``w`` is 1 up to ``1.5 r_nn`` and falls to 0 at
``r_cut = 2.5 r_nn`` with a cosine taper, and ``sign`` is -1 (toward the site) for
vacancies, +1 (away) for interstitials, and the sign of the covalent-radius mismatch for
substitutions (whose amplitude is ``A * min(1, |r_new - r_old| / 0.2 Angstrom)``). Fields of
several sites add; each atom's displacement is then capped at ``A``. Atoms beyond
``r_cut`` of every site do not move.

Record
------
The record of a defect, :class:`DefectRecord`, and the cell helpers live in
:mod:`synthstem.structures.defect_record` (re-exported here).
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers, covalent_radii
from scipy.spatial import cKDTree

from ..random import as_rng
from .columns import merge_columns
from .defect_record import DefectRecord, check_element, repack_cell, unpack_cell

__all__ = ["DefectRecord", "KINDS", "LEVELS", "SUBSTITUENTS", "add_point_defect", "place_defect"]

KINDS = ("vacancy", "substitution", "interstitial")

#: level -> (number of sites, relaxation amplitude A [Angstrom])
LEVELS = {1: (1, 0.10), 2: (3, 0.25)}

#: Candidate substituents when no element is given (common dopants across the table).
SUBSTITUENTS = (
    "B", "C", "N", "Mg", "Al", "Si", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn",
    "Ga", "Ge", "Y", "Zr", "Nb", "Mo", "Ag", "In", "Sn", "Sb", "La", "Hf", "Ta", "W",
    "Pt", "Au", "Pb", "Bi",
)  # fmt: skip

COLUMN_TOL = 0.3  # [Angstrom] merge distance of projected columns
SEARCH_RADIUS = 3.0  # [Angstrom] lateral search radius for interstitial voids
MIN_SEPARATION = 2.0  # [Angstrom] between two interstitials
SIGNIFICANT = 0.6  # displacements above this fraction of |A| count for the bounding box
BOX_PAD = 0.5  # [Angstrom] padding of the bounding box
MISMATCH_SCALE = 0.2  # [Angstrom] covalent-radius mismatch giving the full amplitude
SIZE_RULE = 0.25  # random substituents: covalent radius within 25 % of the host's


def _radius(symbol):
    return float(covalent_radii[atomic_numbers[symbol]])


def _column_sites(atoms, size, depth, pixels, n_sites, rng, anchor=None, allowed=None):
    """Sites in the column nearest ``anchor`` that holds ``n_sites`` atoms of one element
    (or, where no allowed column holds that many, the most any does).

    ``anchor`` is a lateral point [Angstrom] (default the centre of view); ``allowed``
    an optional function of the (m, 2) column positions [Angstrom] returning a bool mask
    of the columns that may hold the defect. The first site is drawn among the column's
    atoms in the middle half of the depth; the others are the atoms of the same element
    nearest to it in depth.
    """
    cols = merge_columns(atoms, pixels, size=size, tol=COLUMN_TOL)
    scale = size / pixels
    centre = np.array([size / 2.0, size / 2.0]) if anchor is None else np.asarray(anchor, dtype=float)
    dist = np.linalg.norm(cols.xy * scale - centre, axis=1)
    order = np.argsort(dist, kind="stable")
    if allowed is not None:
        order = order[np.asarray(allowed(cols.xy[order] * scale), dtype=bool)]
    numbers = atoms.numbers
    if len(order) == 0:
        raise ValueError("no atom column is allowed to hold the defect")

    def search(need, relaxed):
        """The nearest column with ``need`` atoms of one element and the candidate first
        sites: its atoms of such an element in the middle half of the depth (else, strict:
        any of its atoms' middle half filtered; relaxed: the qualifying atoms anywhere)."""
        for k in order:
            members = cols.atom_indices[k]
            z = atoms.positions[members, 2]
            in_middle = (z >= depth / 4.0) & (z <= 3.0 * depth / 4.0)
            enough = np.array([np.count_nonzero(numbers[members] == numbers[i]) >= need for i in members], bool)
            if relaxed:
                pool = members[enough & in_middle] if np.any(enough & in_middle) else members[enough]
            else:
                pool = members[enough & in_middle] if np.any(in_middle) else members[enough]
            if len(pool):
                return k, members, pool
        return None

    found = search(n_sites, relaxed=False)
    if found is None:
        # no column holds n_sites atoms of one element in the usual place (thin or high-index
        # projections, whose columns hold 1-2 atoms): the nearest column holding the most,
        # with fewer sites (the record lists them)
        n_sites = min(n_sites, max(int(np.max(np.unique(numbers[cols.atom_indices[k]], return_counts=True)[1]))
                                   for k in order))
        found = search(n_sites, relaxed=True)
    k, members, pool = found
    first = int(rng.choice(pool))
    same = members[numbers[members] == numbers[first]]
    order = np.argsort(np.abs(atoms.positions[same, 2] - atoms.positions[first, 2]), kind="stable")
    sites = sorted(int(i) for i in same[order[:n_sites]])
    return sites, cols.xy[k]


def _interstitial_sites(atoms, size, depth, column_xy_px, pixels, n_sites, rng):
    """The largest voids within SEARCH_RADIUS laterally of the column, in the middle half of the depth."""
    scale = size / pixels
    cx, cy = np.asarray(column_xy_px) * scale
    step = 0.2
    g = np.arange(-SEARCH_RADIUS, SEARCH_RADIUS + 1e-9, step)
    gz = np.arange(depth / 4.0, 3.0 * depth / 4.0 + 1e-9, step)
    X, Y, Z = np.meshgrid(cx + g, cy + g, gz, indexing="ij")
    pts = np.stack([X.ravel(), Y.ravel(), Z.ravel()], axis=1)
    lateral = np.hypot(pts[:, 0] - cx, pts[:, 1] - cy)
    extent = np.array([size, size, depth])
    pts = pts[(lateral <= SEARCH_RADIUS) & np.all((pts > 1.0) & (pts < extent - 1.0), axis=1)]
    clearance, _ = cKDTree(atoms.positions).query(pts)
    chosen = []
    for _ in range(n_sites):
        ok = np.ones(len(pts), dtype=bool)
        for c in chosen:
            ok &= np.linalg.norm(pts - c, axis=1) >= MIN_SEPARATION
        if not ok.any():
            raise ValueError("no room for another interstitial near the centre of view")
        best = clearance[ok].max()
        candidates = np.flatnonzero(ok & (clearance >= best - 0.05))
        chosen.append(pts[int(rng.choice(candidates))])
    return np.array(chosen)


def _taper(r, r_in, r_out):
    w = np.where(r <= r_in, 1.0, 0.5 * (1.0 + np.cos(np.pi * (r - r_in) / (r_out - r_in))))
    return np.where(r >= r_out, 0.0, w)


def relaxation_field(positions, sites, amplitude, r_nn, movable):
    """Displacements [Angstrom] of ``positions`` around defect ``sites`` (module docstring).

    Parameters
    ----------
    positions : np.ndarray
        (n, 3) atom positions [Angstrom].
    sites : np.ndarray
        (m, 3) defect positions [Angstrom].
    amplitude : float
        Signed amplitude ``A`` [Angstrom]: negative pulls atoms toward the sites.
    r_nn : np.ndarray
        (m,) nearest-host-atom distance of each site [Angstrom].
    movable : np.ndarray
        (n,) bool: atoms allowed to move.
    """
    u = np.zeros_like(positions)
    if amplitude == 0:
        return u
    for s, rn in zip(sites, r_nn):
        d = positions - s
        r = np.linalg.norm(d, axis=1)
        near = movable & (r > 1e-6) & (r < 2.5 * rn)
        rr = r[near]
        mag = amplitude * np.minimum(1.0, (rn / rr) ** 2) * _taper(rr, 1.5 * rn, 2.5 * rn)
        u[near] += (mag / rr)[:, None] * d[near]
    norm = np.linalg.norm(u, axis=1)
    cap = abs(amplitude)
    over = norm > cap
    u[over] *= (cap / norm[over])[:, None]
    return u


def add_point_defect(cell, kind, level, rng=None, element=None, pixels=256):
    """Add a point defect in the atom column nearest the centre of view and relax around it.

    Parameters
    ----------
    cell : OrientedCell or ase.Atoms
        Block with the beam along +z (``.atoms``, ``.size`` and, when present,
        ``.thickness``; otherwise the depth is ``size``), or atoms with an orthogonal
        cell whose x and y edges are equal (depth ``cell[2, 2]``). Not modified.
    kind : str
        'vacancy', 'substitution' or 'interstitial'.
    level : int
        1 (one site, 0.10 Angstrom relaxation) or 2 (three sites, two for interstitials,
        0.25 Angstrom relaxation).
    rng : numpy.random.Generator or int, optional
        Random stream or seed (site choice, random substituent).
    element : str, optional
        Substituent or interstitial element; default random (substitution) or the
        structure's element with the smallest covalent radius (interstitial).
    pixels : int
        Image edge [px] for the recorded pixel coordinates.

    Returns
    -------
    (same type as ``cell``, DefectRecord)

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat((5, 5, 5))
    >>> new, rec = add_point_defect(atoms, "vacancy", 1, rng=0)
    >>> len(atoms) - len(new), rec.kind
    (1, 'vacancy')
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if isinstance(level, (bool, np.bool_)) or level not in LEVELS:
        raise ValueError(f"level must be 1 or 2, got {level!r}")
    if isinstance(pixels, (bool, np.bool_)) or not isinstance(pixels, (int, np.integer)) or pixels <= 0:
        raise ValueError(f"pixels must be a positive integer, got {pixels!r}")
    if element is not None:
        check_element(element)
    return place_defect(cell, kind, level, as_rng(rng), element, pixels)


def place_defect(cell, kind, level, rng, element=None, pixels=256, anchor=None, allowed=None):
    """``add_point_defect`` with the host column nearest ``anchor`` among ``allowed`` ones.

    Arguments as ``add_point_defect`` (validated there; ``rng`` a Generator), plus
    ``anchor`` (lateral point [Angstrom], default the centre of view) and ``allowed`` (a
    function of (m, 2) column positions [Angstrom] returning a bool mask, default all).
    """
    atoms, size, depth = unpack_cell(cell)
    if len(atoms) < 2:
        raise ValueError(f"cell must hold at least 2 atoms, got {len(atoms)}")
    n_sites, amp = LEVELS[level]
    if kind == "interstitial":
        n_sites = min(n_sites, 2)
    new = atoms.copy()
    symbols = new.get_chemical_symbols()

    if kind == "interstitial":
        _, column_xy = _column_sites(atoms, size, depth, pixels, 1, rng, anchor, allowed)
        sites = _interstitial_sites(atoms, size, depth, column_xy, pixels, n_sites, rng)
        if element is None:
            element = min(sorted(set(symbols)), key=_radius)
        host = np.ones(len(new), dtype=bool)
        r_nn = cKDTree(new.positions).query(sites)[0]
        sign, scale = 1.0, 1.0
        removed, host_elements = [], [""] * n_sites
    else:
        idx, column_xy = _column_sites(atoms, size, depth, pixels, n_sites, rng, anchor, allowed)
        sites = atoms.positions[idx].copy()
        host_elements = [symbols[i] for i in idx]
        host = np.ones(len(new), dtype=bool)
        host[idx] = False
        r_nn = cKDTree(new.positions[host]).query(sites)[0]
        removed = sorted(idx)
        if kind == "vacancy":
            sign, scale = -1.0, 1.0
        else:
            old = host_elements[0]
            if element is None:
                z_old, r_old = atomic_numbers[old], _radius(old)
                pool = [e for e in SUBSTITUENTS if abs(atomic_numbers[e] - z_old) >= 4]
                similar = [e for e in pool if abs(_radius(e) - r_old) <= SIZE_RULE * r_old]
                element = str(rng.choice(similar or pool))
            if all(h == element for h in host_elements):
                raise ValueError(f"substitution element {element!r} is the host element of the chosen site(s)")
            mismatch = float(np.mean([_radius(element) - _radius(h) for h in host_elements]))
            sign = 1.0 if mismatch >= 0 else -1.0
            scale = min(1.0, abs(mismatch) / MISMATCH_SCALE)

    amplitude = sign * amp * scale
    u = relaxation_field(new.positions, sites, amplitude, r_nn, host)
    new.positions = np.clip(new.positions + u, 0.0, np.nextafter(np.array([size, size, depth]), 0.0))

    if kind == "vacancy":
        keep = np.ones(len(new), dtype=bool)
        keep[removed] = False
        old_to_new = np.cumsum(keep) - 1
        moved_old = np.flatnonzero(keep & (np.linalg.norm(u, axis=1) > 0))
        displaced = old_to_new[moved_old]
        displacements = u[moved_old]
        del new[removed]
        added, elements = [], [""] * len(removed)
    elif kind == "substitution":
        for i in removed:
            symbols[i] = element
        new.set_chemical_symbols(symbols)
        displaced = np.flatnonzero(np.linalg.norm(u, axis=1) > 0)
        displacements = u[displaced]
        added, elements = list(removed), [element] * len(removed)
    else:
        displaced = np.flatnonzero(np.linalg.norm(u, axis=1) > 0)
        displacements = u[displaced]
        start = len(new)
        new += Atoms([element] * len(sites), positions=sites)
        added, elements = list(range(start, start + len(sites))), [element] * len(sites)

    px = size / pixels
    sites_px = sites[:, :2] / px
    significant = np.linalg.norm(displacements, axis=1) > SIGNIFICANT * abs(amplitude)
    moved_px = new.positions[np.asarray(displaced, dtype=int)[significant], :2] / px
    pts = np.vstack([sites_px, moved_px])
    pad = BOX_PAD / px
    lo = np.clip(pts.min(axis=0) - pad, -0.5, pixels - 0.5)
    hi = np.clip(pts.max(axis=0) + pad, -0.5, pixels - 0.5)
    record = DefectRecord(
        kind=kind,
        level=int(level),
        sites=sites,
        removed=[int(i) for i in removed],
        added=[int(i) for i in added],
        displaced=[int(i) for i in displaced],
        displacements=np.asarray(displacements, dtype=float).reshape(-1, 3),
        center_px=tuple(float(v) for v in sites_px.mean(axis=0)),
        bbox_px=[float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1])],
        elements=elements,
        host_elements=host_elements,
        amplitude=float(amplitude),
        column_px=tuple(float(v) for v in column_xy),
    )
    return repack_cell(cell, new), record

