"""Instrument effects seen in real HAADF micrographs (all off by default).

Each is a pure function of the image and already-drawn parameters (draws live in
:meth:`synthstem.noise.conditions.Condition.draw_params`). One line of physics each:

- background map: the support under the specimen (amorphous carbon of varying thickness)
  scatters in proportion to its thickness, so the background is an image-sized map, not
  one number: a given map (e.g. a support's thickness map) or a smooth random field
  (:func:`smooth_field`, Gaussian-filtered white noise of correlation length ``scale`` [px]).
- scan streaks: the probe current and the detector baseline wander from line to line
  (:func:`row_series`: one value per row with power spectrum ``~ f**-exponent``), a
  per-row multiplicative gain and a per-row additive offset.
- probe-current drift: the gun emission drifts slowly during the frame
  (:func:`current_drift`: a smooth multiplicative factor along the scan, in pixel time).
- dose spread: the probe current differs from image to image (log-normal factor).
- detector: ``offset + gain * N`` detector units for ``N`` electrons, rounded to integer
  counts (:func:`detector_counts`), so the variance of a uniform area is
  ``gain * (mean - offset)``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = [
    "current_drift",
    "detector_counts",
    "draw_instrument",
    "prepare_with_map",
    "quantise",
    "row_series",
    "smooth_field",
    "spectrum_slope",
]


def smooth_field(shape, scale, rng):
    """Zero-mean, unit-rms smooth random field.

    Parameters
    ----------
    shape : tuple[int, int]
        ``(rows, cols)``.
    scale : float
        Gaussian correlation length (filter sigma) [px], > 0.
    rng : numpy.random.Generator
        Random stream (``rows * cols`` normal draws).

    Returns
    -------
    np.ndarray
        float64 field, mean 0, standard deviation 1 (exactly, over the image).
    """
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"background_scale must be positive [px], got {scale!r}")
    white = rng.normal(0.0, 1.0, size=tuple(int(s) for s in shape))
    field = ndimage.gaussian_filter(white, sigma=float(scale), mode="wrap")
    field -= field.mean()
    std = field.std()
    return field / std if std > 0 else field


def row_series(rows, sigma, exponent, rng):
    """One value per row with power spectrum ``P(f) ~ f**-exponent`` and rms ``sigma``.

    Spectral synthesis: complex normal amplitudes scaled by ``f**(-exponent / 2)`` on the
    ``rfft`` frequencies ``f = 1 .. rows/2`` (cycles per frame; the zero frequency is 0),
    inverse transform, rescaled to zero mean and standard deviation ``sigma``.
    ``exponent = 0`` is white noise, 1 is flicker (1/f), 2 a random walk.

    Parameters
    ----------
    rows : int
        Number of rows (>= 2).
    sigma : float
        Standard deviation of the series.
    exponent : float
        Spectral exponent, >= 0.
    rng : numpy.random.Generator
        Random stream (``2 * (rows // 2 + 1)`` normal draws).
    """
    rows = int(rows)
    nf = rows // 2 + 1
    z = rng.normal(0.0, 1.0, size=(2, nf))
    f = np.arange(nf, dtype=np.float64)
    amp = np.zeros(nf)
    amp[1:] = f[1:] ** (-float(exponent) / 2.0)
    s = np.fft.irfft(amp * (z[0] + 1j * z[1]), n=rows)
    s -= s.mean()
    std = s.std()
    return s * (sigma / std) if std > 0 else s


def spectrum_slope(series):
    """Fitted exponent ``b`` of a power spectrum ``P(f) ~ f**-b`` of a 1-D series.

    Least squares of ``log P`` on ``log f`` over the ``rfft`` frequencies ``1 .. n/2``
    of the mean-removed series (the inverse of :func:`row_series`).
    """
    s = np.asarray(series, dtype=np.float64)
    s = s - s.mean()
    p = np.abs(np.fft.rfft(s)) ** 2
    f = np.arange(p.size, dtype=np.float64)
    ok = (f > 0) & (p > 0)
    if np.count_nonzero(ok) < 3:
        return 0.0
    slope = np.polyfit(np.log(f[ok]), np.log(p[ok]), 1)[0]
    return float(-slope)


def current_drift(shape, amplitude, phases):
    """Slow multiplicative probe-current drift along the scan.

    ``1 + amplitude * g(t)`` at pixel time ``t = (row * cols + col) / (rows * cols)``,
    where ``g`` is a sum of cosines of 1, 2, 3 cycles per frame with amplitudes 1, 1/2,
    1/3 and the given phases, scaled to unit rms over the frame.

    Parameters
    ----------
    shape : tuple[int, int]
        ``(rows, cols)``.
    amplitude : float
        Relative rms of the drift (e.g. 0.02 for 2 %).
    phases : sequence of 3 floats
        Phases [rad] of the three cosines.
    """
    ny, nx = (int(s) for s in shape)
    t = np.arange(ny * nx, dtype=np.float64).reshape(ny, nx) / (ny * nx)
    g = sum((1.0 / k) * np.cos(2 * np.pi * k * t + float(p)) for k, p in zip((1, 2, 3), phases))
    g -= g.mean()
    std = g.std()
    g = g / std if std > 0 else g
    return np.clip(1.0 + float(amplitude) * g, 0.0, None)


def detector_counts(electrons, offset, gain, rng=None, dark_noise=0.0):
    """Integer detector counts ``rint(offset + gain * N + dark_noise * z)``.

    Parameters
    ----------
    electrons : np.ndarray
        Electron counts per pixel ``N`` (already Poisson-distributed).
    offset : float
        Detector offset (baseline with no beam) [detector units].
    gain : float
        Detector units per electron.
    rng : numpy.random.Generator, optional
        Needed only when ``dark_noise > 0``.
    dark_noise : float
        Gaussian read noise [detector units rms].

    Returns
    -------
    np.ndarray
        float64 array of integer values.
    """
    out = float(offset) + float(gain) * np.asarray(electrons, dtype=np.float64)
    if dark_noise > 0:
        out = out + dark_noise * rng.normal(0.0, 1.0, size=out.shape)
    return np.rint(out)


def draw_instrument(condition, shape, rng):
    """The draws of a condition's instrument extras that are on (None when all are off).

    Order: ``dose_factor``, ``field_seed``, ``row_gain``, ``row_offset``, ``drift_phases``.
    """
    c, inst = condition, {}
    if c.dose_spread > 0:
        inst["dose_factor"] = float(np.exp(c.dose_spread * rng.normal()))
    if c.background_field > 0:
        inst["field_seed"] = int(rng.integers(0, 2**63 - 1))
    if c.row_gain > 0:
        inst["row_gain"] = row_series(shape[0], c.row_gain, c.row_exponent, rng)
    if c.row_offset > 0:
        inst["row_offset"] = row_series(shape[0], c.row_offset, c.row_exponent, rng)
    if c.current_drift > 0:
        inst["drift_phases"] = [float(v) for v in rng.uniform(0.0, 2 * np.pi, size=3)]
    return inst or None


def prepare_with_map(image, background_map, blur, background):
    """Normalise to mean 1, add ``background * map / mean(map)``, renormalise, blur, renormalise."""
    from .stem_noise import prepare_image

    bmap = np.asarray(background_map, dtype=np.float64)
    if bmap.shape != np.shape(image):
        raise ValueError(f"background_map shape {bmap.shape} differs from the image shape {np.shape(image)}")
    if not np.all(np.isfinite(bmap)) or bmap.min() < 0 or not bmap.mean() > 0:
        raise ValueError("background_map must be finite, non-negative and not all zero")
    img = prepare_image(image, 0.0, 0.0)
    img = (img + background * bmap / bmap.mean()) / (1.0 + background)
    return prepare_image(img, blur, 0.0)


def quantise(img, counts, inst, rng, gain, gain_cv, dark_noise, offset):
    """Integer detector counts of a mean-1 image after shot noise (``quantise = true``)."""
    from .extras import detector_response

    if np.isinf(counts):
        raise ValueError("condition parameter 'quantise' needs finite counts (or a dose)")
    signal = detector_response(img * counts, gain, gain_cv, 0.0, rng)
    if "row_offset" in inst:
        signal = signal + np.asarray(inst["row_offset"])[:, None] * gain * counts
    return np.clip(detector_counts(signal / gain, offset, gain, rng, dark_noise), 0.0, None)
