"""Peak maps: one True pixel per resolved, visible atom column.

The rule (chosen to reproduce atomagined's ``haadf/peak_map_clean``; agreement numbers are
in ``benchmarks/DATASET.md``) works on the noise-free ``raw`` image and the projected
atom positions:

1. candidates are the 3x3 local maxima of ``raw`` (edge pixels compare with the
   nearest-edge extension);
2. a candidate must stand out of its surroundings: its *relative contrast*
   ``(raw[p] - min(raw in a window x window box)) / raw[p]`` is at least ``contrast``;
3. it must lie within ``radius`` pixels of a projected atom column;
4. each column keeps at most one peak: candidates are assigned to their nearest column
   and only the brightest candidate of a column is kept.

A column that makes no local maximum near itself (unresolved from a brighter neighbour,
or too faint) is therefore not flagged, exactly as in the reference files.
"""

import numpy as np
from scipy import ndimage as ndi
from scipy.spatial import cKDTree

RADIUS = 2.5
CONTRAST = 0.3
WINDOW = 7


def _as_xy(xy):
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"xy must have shape (n, 2), got {xy.shape}")
    return xy


def find_peaks(raw, xy, radius=RADIUS, contrast=CONTRAST, window=WINDOW):
    """Peak pixels of resolved, visible columns.

    Parameters
    ----------
    raw : ndarray (ny, nx)
        Noise-free image (any positive scale).
    xy : ndarray (n, 2)
        Projected column (or atom) positions [pixels], (x = column, y = row). Repeated
        positions (several atoms of one column) are allowed.
    radius : float
        Largest distance from a peak pixel to its column [pixels].
    contrast : float
        Smallest relative contrast of a peak against the minimum of its
        ``window x window`` neighbourhood (0 accepts every local maximum).
    window : int
        Edge of the neighbourhood box for the contrast test [pixels], odd.

    Returns
    -------
    peaks : ndarray (m, 2) int
        (x, y) pixel indices of the peaks, sorted by row then column.
    column : ndarray (m,) int
        Index into the unique column positions ``np.unique(xy, axis=0)`` of each peak.
    """
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim != 2:
        raise ValueError(f"raw must be a 2D image, got shape {raw.shape}")
    if radius <= 0:
        raise ValueError(f"radius must be positive, got {radius}")
    if not 0 <= contrast < 1:
        raise ValueError(f"contrast must be in [0, 1), got {contrast}")
    if window < 3 or window % 2 == 0:
        raise ValueError(f"window must be an odd integer >= 3, got {window}")
    xy = _as_xy(xy)
    empty = np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    if len(xy) == 0:
        return empty
    cols = np.unique(xy, axis=0)

    local_max = raw == ndi.maximum_filter(raw, size=3, mode="nearest")
    low = ndi.minimum_filter(raw, size=window, mode="nearest")
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(raw > 0, (raw - low) / raw, 0.0)
    cand = local_max & (rel >= contrast) & (raw > 0)
    ys, xs = np.nonzero(cand)
    if len(xs) == 0:
        return empty
    dist, idx = cKDTree(cols).query(np.c_[xs, ys].astype(np.float64))
    ok = dist <= radius
    xs, ys, idx, dist = xs[ok], ys[ok], idx[ok], dist[ok]
    # brightest candidate per column; ties broken by distance, then position
    order = np.lexsort((xs, ys, dist, -raw[ys, xs], idx))
    idx_sorted = idx[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = idx_sorted[1:] != idx_sorted[:-1]
    keep = order[first]
    peaks = np.c_[xs[keep], ys[keep]].astype(np.int64)
    column = idx[keep].astype(np.int64)
    srt = np.lexsort((peaks[:, 0], peaks[:, 1]))
    return peaks[srt], column[srt]


def peak_map(raw, xy, radius=RADIUS, contrast=CONTRAST, window=WINDOW):
    """Boolean map with one True pixel per resolved, visible column (see module doc).

    Parameters are those of :func:`find_peaks`; returns a bool array shaped like ``raw``.
    """
    raw = np.asarray(raw)
    peaks, _ = find_peaks(raw, xy, radius=radius, contrast=contrast, window=window)
    out = np.zeros(raw.shape, dtype=bool)
    out[peaks[:, 1], peaks[:, 0]] = True
    return out


def compare_maps(ours, reference, tolerance=1.5):
    """Precision and recall of a peak map against a reference map.

    A peak matches a reference peak within ``tolerance`` pixels (one-to-one, nearest first).

    Returns
    -------
    dict with ``precision``, ``recall``, ``f1``, ``n_ours``, ``n_reference``, ``n_matched``.
    """
    a = np.c_[np.nonzero(ours)][:, ::-1].astype(float)
    b = np.c_[np.nonzero(reference)][:, ::-1].astype(float)
    matched = 0
    if len(a) and len(b):
        d, j = cKDTree(b).query(a, distance_upper_bound=tolerance)
        used = set()
        for k in np.argsort(d):
            if np.isfinite(d[k]) and j[k] not in used:
                used.add(j[k])
                matched += 1
    precision = matched / len(a) if len(a) else 1.0
    recall = matched / len(b) if len(b) else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return dict(precision=precision, recall=recall, f1=f1, n_ours=len(a),
                n_reference=len(b), n_matched=matched)
