"""Classical column finder: smoothed local maxima with sub-pixel refinement (scipy only).

1. Gaussian smoothing with ``sigma`` [Angstrom] (suppresses counting noise);
2. local maxima over a disc-free square window of ``2 * min_distance`` [Angstrom] edge;
3. a maximum is kept when it rises above its window's minimum by ``contrast`` times the
   image's 1-99 percentile range (rejects background bumps);
4. maxima closer than ``border`` [Angstrom] to the image edge are dropped (half-cut
   columns and edge artefacts);
5. sub-pixel position from a 2D quadratic (least-squares) fit of the smoothed 3x3
   neighbourhood, limited to +-0.5 px (a flat or saddle fit keeps the pixel centre).

No classes: this finds where columns are, not what they hold.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["find_columns", "predict_columns"]

# 3x3 quadratic fit f = a + b x + c y + d x^2 + e y^2 + g x y: pseudo-inverse of the design
_DX, _DY = np.meshgrid([-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0])
_DESIGN = np.column_stack([np.ones(9), _DX.ravel(), _DY.ravel(), _DX.ravel() ** 2,
                           _DY.ravel() ** 2, _DX.ravel() * _DY.ravel()])
_PINV = np.linalg.pinv(_DESIGN)


def _refine(smooth, rows, cols):
    h, w = smooth.shape
    r = np.clip(rows, 1, h - 2)
    c = np.clip(cols, 1, w - 2)
    patches = np.stack([smooth[r + dr, c + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)], axis=1)
    a, b, cc, d, e, g = (_PINV @ patches.T)
    det = 4 * d * e - g * g
    ok = (det > 0) & (d < 0)  # a maximum of the fitted quadratic
    safe = np.where(ok, det, 1.0)
    dx = np.where(ok, (-2 * e * b + g * cc) / safe, 0.0)
    dy = np.where(ok, (-2 * d * cc + g * b) / safe, 0.0)
    dx, dy = np.clip(dx, -0.5, 0.5), np.clip(dy, -0.5, 0.5)
    return np.column_stack([c + dx, r + dy])


def find_columns(image, pixel_size, sigma=0.15, min_distance=0.8, contrast=0.1, border=0.1):
    """Column positions of an image.

    Parameters
    ----------
    image : (H, W) array
    pixel_size : float
        [Angstrom] per pixel.
    sigma : float
        Gaussian smoothing [Angstrom] (0: none).
    min_distance : float
        Half edge of the local-maximum window [Angstrom]: maxima closer than this merge.
    contrast : float
        Minimum rise above the window minimum, as a fraction of the 1-99 percentile range.
    border : float
        Maxima closer than this to the image edge are dropped [Angstrom].

    Returns
    -------
    (M, 2) float64 positions [px] (x = column, y = row), pixel centres at integers.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2 or min(image.shape) < 3:
        raise ValueError(f"image must be 2D and at least 3 x 3, got shape {image.shape}")
    for value, key in ((pixel_size, "pixel_size"), (min_distance, "min_distance")):
        if not value > 0:
            raise ValueError(f"{key} must be > 0 [Angstrom], got {value}")
    if not sigma >= 0 or not contrast >= 0 or not border >= 0:
        raise ValueError(f"sigma, contrast and border must be >= 0, got {sigma}, {contrast}, {border}")
    smooth = ndimage.gaussian_filter(image, sigma / pixel_size) if sigma > 0 else image
    size = 2 * max(1, int(round(min_distance / pixel_size))) + 1
    peaks = smooth == ndimage.maximum_filter(smooth, size=size, mode="nearest")
    lo, hi = np.percentile(smooth, [1, 99])
    rise = smooth - ndimage.minimum_filter(smooth, size=size, mode="nearest")
    peaks &= rise > contrast * max(hi - lo, 1e-12)
    edge = int(np.ceil(border / pixel_size))
    if edge:
        peaks[:edge], peaks[-edge:], peaks[:, :edge], peaks[:, -edge:] = False, False, False, False
    rows, cols = np.nonzero(peaks)
    return _refine(smooth, rows, cols)


def predict_columns(dataset, **options):
    """Prediction JSON object (``synthstem eval columns``) for every image of an
    :func:`synthstem.open_dataset` dataset: {name: [[x, y], ...]}."""
    out = {}
    for i in range(len(dataset)):
        s = dataset[i]
        if not s["pixel_size"]:
            raise ValueError(f"{s['name']}: unknown pixel size (no angstrom_xy attribute)")
        out[s["name"]] = [[float(x), float(y)] for x, y in find_columns(s["image"], s["pixel_size"], **options)]
    return out
