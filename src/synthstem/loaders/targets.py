"""Dense training targets made from column positions: semantic masks and heatmaps.

The same rules as the exports (docs/exports.md): a column's disc holds the pixels whose
centre lies within ``radius`` [px] of it, a pixel in several discs goes to the nearest
column; heatmaps are one Gaussian of peak 1 and ``sigma`` [px] per column, per element
(a mixed column 'O+Ti' counts for both), overlaps combined by maximum.
"""

from __future__ import annotations

import numpy as np

__all__ = ["elements_of", "semantic_mask", "heatmaps"]


def elements_of(label):
    """'O+Ti' -> ['O', 'Ti']."""
    return [e for e in str(label).split("+") if e]


def semantic_mask(xy, class_ids, shape, radius):
    """(H, W) int64: the class id (>= 1) of the column owning each pixel, 0 elsewhere.

    Parameters
    ----------
    xy : (M, 2) column positions [px].
    class_ids : (M,) int, ids >= 1.
    shape : (H, W).
    radius : float, disc radius [px] (> 0).
    """
    if not radius > 0:
        raise ValueError(f"radius must be > 0 px, got {radius}")
    rows, cols = shape
    out = np.zeros((rows, cols), dtype=np.int64)
    best = np.full((rows, cols), np.inf)
    limit = radius * (1 + 1e-12) + 1e-12
    half = int(np.ceil(limit))
    for (x, y), cid in zip(np.asarray(xy, dtype=np.float64).reshape(-1, 2), np.asarray(class_ids, np.int64)):
        c0, c1 = max(int(np.floor(x)) - half, 0), min(int(np.ceil(x)) + half + 1, cols)
        r0, r1 = max(int(np.floor(y)) - half, 0), min(int(np.ceil(y)) + half + 1, rows)
        if c0 >= c1 or r0 >= r1:
            continue
        d = np.hypot(np.arange(c0, c1)[None, :] - x, np.arange(r0, r1)[:, None] - y)
        # inside the disc and strictly nearer than any earlier column: ties go to the lower index
        win = (d <= limit) & (d < best[r0:r1, c0:c1])
        best[r0:r1, c0:c1][win] = d[win]
        out[r0:r1, c0:c1][win] = cid
    return out


def heatmaps(xy, labels, shape, sigma, elements, truncate=4.0):
    """(len(elements), H, W) float32 per-element Gaussian heatmaps (peak 1, sigma [px])."""
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0 px, got {sigma}")
    rows, cols = shape
    channel = {e: k for k, e in enumerate(elements)}
    out = np.zeros((len(elements), rows, cols), dtype=np.float32)
    half = int(np.ceil(truncate * sigma))
    for (x, y), label in zip(np.asarray(xy, dtype=np.float64).reshape(-1, 2), labels):
        c0, c1 = max(int(np.floor(x)) - half, 0), min(int(np.ceil(x)) + half + 1, cols)
        r0, r1 = max(int(np.floor(y)) - half, 0), min(int(np.ceil(y)) + half + 1, rows)
        if c0 >= c1 or r0 >= r1:
            continue
        g = (np.exp(-0.5 * ((np.arange(r0, r1) - y) / sigma) ** 2)[:, None]
             * np.exp(-0.5 * ((np.arange(c0, c1) - x) / sigma) ** 2)[None, :]).astype(np.float32)
        for e in elements_of(label):
            if e in channel:
                view = out[channel[e], r0:r1, c0:c1]
                np.maximum(view, g, out=view)
    return out
