"""The atomagined HAADF-STEM noise model.

In words (atomagined README): normalise the image to mean 1; add the background value
and renormalise; Gaussian blur (sigma in pixels) and renormalise; shift each scan line
(row) horizontally by its own normal random offset (sigma in pixels) by forward bilinear
splatting, each pixel's value spread over the two target pixels around its shifted
position, positions clamped at the image edge; draw Poisson counts at (image x counts
per pixel) and divide by counts; clip at zero.

Random parameters are drawn first (:func:`draw_noise_params`) and recorded; the pure
function :func:`apply_stem_noise` applies them. :func:`add_stem_noise` does both.

Edge behaviour of the scan-line shift (as in the reference files): a line shifted by
``d > 0`` pixels leaves the first ``floor(d)`` pixels empty (exact zeros) and piles the
values pushed past the right edge into the last pixel, and vice versa for ``d < 0``;
the total signal of every line is conserved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..kernels.noise import splat_rows
from ..random import as_rng

__all__ = [
    "NoiseParams",
    "add_stem_noise",
    "apply_stem_noise",
    "blur_image",
    "check_image",
    "draw_noise_params",
    "normalise",
    "poisson_counts",
    "shift_rows",
]

#: Boundary mode of the Gaussian blur (``scipy.ndimage.gaussian_filter``).
BLUR_MODE = "reflect"


@dataclass(frozen=True)
class NoiseParams:
    """The random draws of one application of the noise model.

    Attributes
    ----------
    shifts : np.ndarray
        Horizontal offset of every scan line (row) [px], shape ``(rows,)``.
    poisson_seed : int
        Seed of the Poisson (and detector) draw; the same seed gives the same counts.
    """

    shifts: np.ndarray
    poisson_seed: int

    def to_dict(self):
        """JSON-safe dictionary (shifts as a list of floats)."""
        return {"shifts": [float(s) for s in self.shifts], "poisson_seed": int(self.poisson_seed)}

    @classmethod
    def from_dict(cls, d):
        """Inverse of :meth:`to_dict`."""
        return cls(shifts=np.asarray(d["shifts"], dtype=np.float64), poisson_seed=int(d["poisson_seed"]))


def check_scalar(name, value, minimum=0.0, allow_inf=False, strict=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if v < minimum or (strict and v == minimum):
        rel = ">" if strict else ">="
        raise ValueError(f"{name} must be {rel} {minimum}, got {value!r}")
    return v


def check_image(image):
    """Validate an image for the noise model and return it as float64.

    Raises ``ValueError`` for a non-2-D image, NaN or infinite values, or an image whose
    mean is not positive (e.g. all zero): such an image cannot be normalised to mean 1.
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2 or img.shape[0] < 1 or img.shape[1] < 2:
        raise ValueError(f"image must be a 2-D array (rows, cols) with at least 2 columns, got shape {img.shape}")
    if not np.all(np.isfinite(img)):
        n_bad = int(np.count_nonzero(~np.isfinite(img)))
        raise ValueError(f"image contains {n_bad} NaN or infinite values")
    mean = float(img.mean())
    if not mean > 0:
        raise ValueError(f"image mean must be positive to normalise to mean 1, got {mean!r} (all-zero image?)")
    return img


def normalise(image):
    """Divide by the mean so that the image has mean 1."""
    return image / image.mean()


def blur_image(image, blur):
    """Gaussian blur with sigma ``blur`` [px] (``BLUR_MODE`` boundary); 0 returns a copy."""
    if blur == 0:
        return image.copy()
    return ndimage.gaussian_filter(image, sigma=blur, mode=BLUR_MODE, truncate=4.0)


def shift_rows(image, shifts):
    """Shift every row horizontally by forward bilinear splatting.

    Pixel ``(j, i)`` moves to ``x = clip(i + shifts[j], 0, cols - 1)`` and its value is
    split between columns ``floor(x)`` and ``floor(x) + 1`` with linear weights. The sum
    of every row is conserved; a shifted line leaves zeros at the edge it leaves.

    Parameters
    ----------
    image : np.ndarray
        ``(rows, cols)`` image.
    shifts : np.ndarray
        ``(rows,)`` offsets [px]; positive moves content to larger column index.

    Returns
    -------
    np.ndarray
        The shifted image, float64.
    """
    ny, nx = image.shape
    shifts = np.asarray(shifts, dtype=np.float64)
    if shifts.shape != (ny,):
        raise ValueError(f"shifts must have shape ({ny},), got {shifts.shape}")
    if not np.all(np.isfinite(shifts)):
        raise ValueError("shifts must be finite")
    return splat_rows(np.ascontiguousarray(image, dtype=np.float64), shifts)


def poisson_counts(image, counts, rng):
    """Poisson counts at ``image * counts`` divided by ``counts``; ``counts=inf`` is exact.

    Negative values (e.g. interpolation ringing of a simulation) count as zero.
    """
    if math.isinf(counts):
        return np.clip(image, 0.0, None)
    lam = np.clip(image, 0.0, None) * counts
    return as_rng(rng).poisson(lam).astype(np.float64) / counts


def draw_noise_params(shape, scan, rng=None):
    """Draw the random parameters of the noise model.

    Parameters
    ----------
    shape : tuple[int, int]
        Image shape ``(rows, cols)``.
    scan : float
        Standard deviation of the scan-line offsets [px].
    rng : numpy.random.Generator or int, optional
        Random stream or seed.

    Returns
    -------
    NoiseParams
        ``shifts`` drawn first (one normal offset per row), then ``poisson_seed``.
    """
    scan = check_scalar("scan", scan)
    rng = as_rng(rng)
    ny = int(shape[0])
    shifts = rng.normal(0.0, 1.0, size=ny) * scan
    poisson_seed = int(rng.integers(0, 2**63 - 1))
    return NoiseParams(shifts=shifts, poisson_seed=poisson_seed)


def prepare_image(image, blur, background):
    """Deterministic front of the model: normalise, add background, renormalise, blur, renormalise."""
    blur = check_scalar("blur", blur)
    background = check_scalar("background", background)
    img = check_image(image)
    # normalise to mean 1, add the background, renormalise (the mean is then 1 + background)
    img = (img / img.mean() + background) / (1.0 + background)
    if blur == 0:
        return img
    return normalise(blur_image(img, blur))


def apply_stem_noise(image, blur, counts, background, params):
    """Apply the noise model with given random parameters (pure: same input, same output).

    Parameters
    ----------
    image : np.ndarray
        ``(rows, cols)`` noise-free image (any positive scale).
    blur : float
        Gaussian blur sigma [px], >= 0.
    counts : float
        Electron counts per pixel at mean intensity, > 0 (``inf``: no shot noise).
    background : float
        Background added to the mean-1 image before renormalising, >= 0.
    params : NoiseParams
        Drawn by :func:`draw_noise_params`.

    Returns
    -------
    np.ndarray
        Noisy image, float64, mean close to 1, quantised in steps of ``1 / counts``.
    """
    counts = check_scalar("counts", counts, allow_inf=True, strict=True)
    img = prepare_image(image, blur, background)
    img = shift_rows(img, params.shifts)
    img = poisson_counts(img, counts, np.random.default_rng(params.poisson_seed))
    return np.clip(img, 0.0, None)


def add_stem_noise(image, blur, counts, scan, background, rng=None):
    """Apply the atomagined STEM noise model to an image.

    Parameters
    ----------
    image : np.ndarray
        ``(rows, cols)`` noise-free image (any positive scale, e.g. the fraction of the
        incident beam on the detector).
    blur : float
        Gaussian blur sigma [px], >= 0.
    counts : float
        Electron counts per pixel at mean intensity, > 0 (``inf``: no shot noise).
    scan : float
        Standard deviation of the per-row horizontal scan-line offsets [px], >= 0.
    background : float
        Background added to the mean-1 image before renormalising, >= 0.
    rng : numpy.random.Generator or int, optional
        Random stream or seed; the same seed gives the same output.

    Returns
    -------
    np.ndarray
        Noisy image, float64 with mean close to 1.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.ones((8, 8))
    >>> out = add_stem_noise(img, blur=0.8, counts=400, scan=0.75, background=2, rng=0)
    >>> out.shape
    (8, 8)
    """
    check_image(image)
    check_scalar("counts", counts, allow_inf=True, strict=True)
    check_scalar("blur", blur)
    check_scalar("background", background)
    params = draw_noise_params(np.shape(image), scan, rng)
    return apply_stem_noise(image, blur, counts, background, params)
