"""Dense training targets made from column positions: semantic masks and heatmaps.

Thin adapters over :mod:`synthstem.labels.masks`, the one implementation the exports use
too (docs/exports.md): a column's disc holds the pixels whose centre lies within
``radius`` [px] of it, a pixel in several discs goes to the nearest column; heatmaps are
one Gaussian of peak 1 and ``sigma`` [px] per column, per element (a mixed column 'O+Ti'
counts for both), overlaps combined by maximum. Loaders want stacked arrays, the exports
want files: only the packaging differs.
"""

from __future__ import annotations

import numpy as np

from ..labels import masks
from ..labels.masks import elements_of

__all__ = ["elements_of", "semantic_mask", "heatmaps"]


def semantic_mask(xy, class_ids, shape, radius):
    """(H, W) int64: the class id (>= 1) of the column owning each pixel, 0 elsewhere.

    Parameters
    ----------
    xy : (M, 2) column positions [px].
    class_ids : (M,) int, ids >= 1.
    shape : (H, W).
    radius : float, disc radius [px] (> 0).
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    inst = masks.instance_map(xy, shape, radius)
    return masks.semantic_mask(inst, class_ids).astype(np.int64)


def heatmaps(xy, labels, shape, sigma, elements, truncate=4.0):
    """(len(elements), H, W) float32 per-element Gaussian heatmaps (peak 1, sigma [px])."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    maps = masks.gaussian_heatmaps(xy, labels, shape, sigma, elements=list(elements), truncate=truncate)
    rows, cols = shape
    return np.stack([maps[e] for e in elements]) if len(elements) else np.zeros((0, rows, cols), np.float32)
