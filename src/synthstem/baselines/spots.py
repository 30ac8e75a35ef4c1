"""Classical spot detector: smoothed local maxima with three parameters.

``smoothed_maxima(image, sigma, size)`` smooths with a Gaussian of ``sigma`` [px], subtracts
a local background (the smoothed image smoothed again by a Gaussian of ``2 * size`` px),
divides by a robust noise estimate (1.4826 x MAD of that difference) and returns every
local maximum in a ``size x size`` window with its score; ``threshold`` keeps scores above it.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["smoothed_maxima"]


def smoothed_maxima(image, sigma, size, threshold=-np.inf):
    """``(xy (n, 2), scores (n,))`` of local maxima, strongest first.

    Parameters
    ----------
    image : np.ndarray
        ``(rows, cols)`` image.
    sigma : float
        Smoothing Gaussian [px], > 0.
    size : int
        Local-maximum window [px] (odd, >= 3): the smallest separation of two detections.
    threshold : float
        Keep maxima whose score (background-subtracted, in noise sigmas) exceeds it.
    """
    if not sigma > 0 or int(size) < 3:
        raise ValueError(f"sigma must be > 0 and size >= 3, got {sigma}, {size}")
    size = int(size) | 1
    s = ndimage.gaussian_filter(np.asarray(image, float), sigma)
    d = s - ndimage.gaussian_filter(s, 2.0 * size)
    noise = 1.4826 * np.median(np.abs(d - np.median(d))) or 1.0
    score = d / noise
    m = (s == ndimage.maximum_filter(s, size=size)) & (score > threshold)
    ys, xs = np.nonzero(m)
    order = np.argsort(-score[ys, xs], kind="stable")
    return np.stack([xs[order], ys[order]], axis=1).astype(float), score[ys, xs][order]
