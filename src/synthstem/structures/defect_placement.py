"""Several point defects anywhere in the field of view (or atomagined's one at the centre).

``add_point_defects(cell, n_defects, kinds, level, rng)`` places ``n_defects`` defects
one after the other (``n_defects = 0`` returns an unchanged copy and no record):

1. the kind of each defect is drawn uniformly from ``kinds`` (``rng.integers``);
2. ``position="random"``: an anchor point is drawn uniformly in
   ``[margin, size - margin]^2`` [Angstrom]; the defect goes into the atom column nearest
   to it among the *allowed* columns: at least ``margin`` from every lateral edge and at
   least ``min_separation`` (laterally) from every site of the defects already placed,
   both widened by ``defects.SEARCH_RADIUS`` (3 A) for interstitials, whose sites lie
   within that radius of their column. A placement whose box overlaps an earlier box is
   rejected and the next anchor is drawn (``MAX_TRIES`` anchors per defect, then
   ``ValueError``).
   ``position="center"``: one defect in the column nearest the centre, exactly as
   ``add_point_defect`` (atomagined; ``n_defects`` must be 1).
3. ``defects.place_defect`` builds it and relaxes around it (see ``defects``).

Relaxation fields of different defects are applied one after the other, each record
holding its own field; with the default ``min_separation`` of 8 A the first shells
(r <= 1.5 r_nn, r_nn ~ 2-3 A) never overlap.

Records: ``removed`` index the *input* atoms; ``added`` and ``displaced`` index the
*returned* atoms (atoms deleted by a later vacancy drop out of an earlier
``displaced``, with their displacement); ``bbox_px`` and ``center_px`` are in the pixel
coordinates of the returned cell.
"""

import numpy as np

from ..random import as_rng
from .defect_record import check_element, repack_cell, unpack_cell
from .defects import KINDS, LEVELS, SEARCH_RADIUS, place_defect

__all__ = ["EDGE_MARGIN", "MIN_SEPARATION", "MAX_TRIES", "POSITIONS", "add_point_defects", "boxes_overlap"]

#: default distance of every defect site from the lateral edges [Angstrom]
EDGE_MARGIN = 4.0
#: default smallest lateral distance between sites of different defects [Angstrom]
MIN_SEPARATION = 8.0
#: anchors drawn per defect before giving up
MAX_TRIES = 50
POSITIONS = ("random", "center")

_ID = "_synthstem_defect_id"  # temporary per-atom id while placing


def boxes_overlap(a, b):
    """True when two ``[x0, y0, w, h]`` boxes [px] share area."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _check(n_defects, kinds, level, pixels, position, margin, min_separation, element):
    if isinstance(n_defects, (bool, np.bool_)) or not isinstance(n_defects, (int, np.integer)) or n_defects < 0:
        raise ValueError(f"n_defects must be a non-negative integer, got {n_defects!r}")
    if isinstance(kinds, str):
        kinds = (kinds,)
    kinds = tuple(kinds)
    if not kinds or any(k not in KINDS for k in kinds):
        raise ValueError(f"kinds must be a non-empty sequence of {KINDS}, got {kinds!r}")
    if isinstance(level, (bool, np.bool_)) or level not in LEVELS:
        raise ValueError(f"level must be 1 or 2, got {level!r}")
    if isinstance(pixels, (bool, np.bool_)) or not isinstance(pixels, (int, np.integer)) or pixels <= 0:
        raise ValueError(f"pixels must be a positive integer, got {pixels!r}")
    if position not in POSITIONS:
        raise ValueError(f"position must be one of {POSITIONS}, got {position!r}")
    if position == "center" and n_defects > 1:
        raise ValueError(f"position='center' places one defect, got n_defects={n_defects}")
    for name, value in (("margin", margin), ("min_separation", min_separation)):
        if not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative number [Angstrom], got {value!r}")
    if element is not None:
        check_element(element)
    return kinds


def add_point_defects(cell, n_defects, kinds=KINDS, level=1, rng=None, pixels=256, position="random",
                      margin=EDGE_MARGIN, min_separation=MIN_SEPARATION, element=None):
    """Place ``n_defects`` point defects over the field of view (module docstring).

    Parameters
    ----------
    cell : OrientedCell or ase.Atoms
        Block with the beam along +z (see ``add_point_defect``). Not modified.
    n_defects : int
        Number of defects (0: no defect).
    kinds : str or sequence of str
        Kinds drawn from, uniformly: 'vacancy', 'substitution', 'interstitial'.
    level : int
        1 or 2 (sites per defect and relaxation amplitude, see ``defects.LEVELS``).
    rng : numpy.random.Generator or int, optional
        Random stream or seed (kinds, anchors, sites, substituents).
    pixels : int
        Image edge [px] for the recorded pixel coordinates.
    position : {"random", "center"}
        Anywhere (away from the edges) or atomagined's single defect at the centre.
    margin : float
        Smallest distance of a site from the lateral edges [Angstrom] ("random").
    min_separation : float
        Smallest lateral distance between sites of different defects [Angstrom].
    element : str, optional
        Substituent / interstitial element of every defect (default as ``add_point_defect``).

    Returns
    -------
    (same type as ``cell``, list of DefectRecord)
        One record per defect, in placement order.
    """
    kinds = _check(n_defects, kinds, level, pixels, position, margin, min_separation, element)
    rng = as_rng(rng)
    atoms, size, depth = unpack_cell(cell)
    if n_defects == 0:
        return repack_cell(cell, atoms.copy()), []
    if position == "center":
        kind = kinds[int(rng.integers(len(kinds)))]
        new, record = place_defect(cell, kind, level, rng, element, pixels)
        return new, [record]
    if size - 2 * margin <= 0:
        raise ValueError(f"margin {margin} [Angstrom] leaves no room in a {size} Angstrom field of view")

    work = atoms.copy()
    work.set_array(_ID, np.arange(len(work)))
    next_id = len(work)
    placed = []  # (record, site ids / positions) in placement order
    for number in range(n_defects):
        kind = kinds[int(rng.integers(len(kinds)))]
        widen = SEARCH_RADIUS if kind == "interstitial" else 0.0
        sites_xy = np.concatenate([p[0].sites[:, :2] for p in placed]) if placed else np.zeros((0, 2))

        def allowed(xy, widen=widen, sites_xy=sites_xy):
            ok = np.all((xy >= margin + widen) & (xy <= size - margin - widen), axis=1)
            if len(sites_xy):
                d = np.linalg.norm(xy[:, None, :] - sites_xy[None, :, :], axis=2).min(axis=1)
                ok &= d >= min_separation + widen
            return ok

        for _ in range(MAX_TRIES):
            anchor = rng.uniform(margin, size - margin, 2)
            try:
                new, record = place_defect(work, kind, level, rng, element, pixels, anchor, allowed)
            except ValueError as err:
                raise ValueError(f"no room for defect {number + 1} of {n_defects} ({kind}): {err}") from None
            if not any(boxes_overlap(record.bbox_px, p[0].bbox_px) for p in placed):
                break
        else:
            raise ValueError(
                f"no room for defect {number + 1} of {n_defects} ({kind}): every placement in {MAX_TRIES} "
                f"tries overlaps an earlier box; use fewer defects, a larger size or a smaller min_separation"
            )
        ids = new.arrays[_ID].copy()
        if record.added and kind == "interstitial":
            ids[record.added] = np.arange(next_id, next_id + len(record.added))
            next_id += len(record.added)
            new.set_array(_ID, ids)
        removed_ids = work.arrays[_ID][record.removed]
        placed.append((record, removed_ids, ids[record.added], ids[record.displaced]))
        work = new

    final = work.arrays[_ID]
    index = {int(v): i for i, v in enumerate(final)}
    records = []
    for record, removed_ids, added_ids, displaced_ids in placed:
        keep = np.array([int(v) in index for v in displaced_ids], dtype=bool)
        record.removed = [int(v) for v in removed_ids]  # ids below len(atoms) are input indices
        record.added = [index[int(v)] for v in added_ids]
        record.displaced = [index[int(v)] for v, k in zip(displaced_ids, keep) if k]
        record.displacements = np.asarray(record.displacements).reshape(-1, 3)[keep]
        records.append(record)
    del work.arrays[_ID]
    return repack_cell(cell, work), records
