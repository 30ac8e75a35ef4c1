"""Optional distortions beyond the atomagined reference model (all off by default).

Each is a pure function of the image and already-drawn parameters; the draws live in
:meth:`synthstem.noise.conditions.Condition.draw_params`. One line of physics each:

- dose: the electron dose per area [e-/Angstrom^2] fixes the counts per pixel,
  ``counts = dose * pixel_size**2``, so shot noise follows the sampling.
- drift: the specimen creeps at constant velocity during the frame; rows are acquired
  one after another, so a drift ``(dx, dy)`` [px per frame] shears the image along x and
  stretches/compresses it along the slow scan axis y.
- flyback: after each line's flyback the scan coils have not settled, so the probe lags
  by ``A * exp(-i / tau)`` at column ``i``: the first columns of each line sample a
  compressed, shifted strip of the specimen.
- line_current: the probe current (gun emission) fluctuates from line to line, giving a
  multiplicative gain ``1 + sigma * N(0, 1)`` on each row's dose before shot noise.
- detector: a scintillator/photomultiplier turns each electron into ``gain`` detector
  units with relative spread ``gain_cv`` (excess noise factor ``1 + gain_cv**2``), and the
  electronics add Gaussian dark/read noise of ``dark_noise`` detector units rms.

Geometric distortions come with coordinate maps (:func:`drift_coords`,
:func:`flyback_coords`) that move ground-truth pixel coordinates (x, y) to where the
distorted image shows them, so labels can follow the image.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = [
    "counts_from_dose",
    "detector_response",
    "drift_coords",
    "drift_distortion",
    "flyback_coords",
    "flyback_distortion",
    "flyback_positions",
    "line_gains",
]


def counts_from_dose(dose, pixel_size):
    """Counts per pixel for an electron dose.

    Parameters
    ----------
    dose : float
        Electron dose [e-/Angstrom^2], > 0.
    pixel_size : float
        Scan step [Angstrom], > 0.

    Returns
    -------
    float
        ``dose * pixel_size**2`` electrons per pixel.
    """
    dose = float(dose)
    if not np.isfinite(dose) or dose <= 0:
        raise ValueError(f"dose must be a positive finite number [e-/Angstrom^2], got {dose!r}")
    pixel_size = float(pixel_size) if pixel_size is not None else float("nan")
    if not np.isfinite(pixel_size) or pixel_size <= 0:
        raise ValueError(f"pixel_size must be a positive finite number [Angstrom], got {pixel_size!r}")
    return dose * pixel_size**2


def drift_distortion(image, drift):
    """Resample an image as scanned under constant specimen drift.

    Row ``j`` is acquired at frame time ``t = j / rows``; the specimen has then moved by
    ``t * (dx, dy)``, so output pixel ``(j, i)`` shows the specimen point
    ``(x, y) = (i - t dx, j - t dy)`` (linear interpolation, edge values repeated).

    Parameters
    ----------
    image : np.ndarray
        ``(rows, cols)`` image.
    drift : tuple[float, float]
        Specimen displacement over the whole frame ``(dx, dy)`` [px].
    """
    ny, nx = image.shape
    dx, dy = (float(v) for v in drift)
    jj, ii = np.meshgrid(np.arange(ny, dtype=np.float64), np.arange(nx, dtype=np.float64), indexing="ij")
    t = jj / ny
    coords = np.stack([jj - t * dy, ii - t * dx])
    return ndimage.map_coordinates(image, coords, order=1, mode="nearest")


def drift_coords(xy, drift, shape):
    """Where specimen pixel coordinates ``xy`` (n, 2) = (x, y) appear after :func:`drift_distortion`."""
    ny = shape[0]
    dx, dy = (float(v) for v in drift)
    xy = np.asarray(xy, dtype=np.float64)
    j = xy[:, 1] / (1.0 - dy / ny)
    i = xy[:, 0] + dx * j / ny
    return np.stack([i, j], axis=1)


def _check_flyback(amplitude, tau):
    if not np.isfinite(tau) or tau <= 0:
        raise ValueError(f"flyback_tau must be positive [px], got {tau!r}")
    if not np.isfinite(amplitude) or amplitude < 0 or amplitude >= tau:
        raise ValueError(f"flyback must be in [0, flyback_tau={tau}) [px] for a monotonic scan, got {amplitude!r}")


def flyback_positions(nx, amplitude, tau):
    """Specimen column probed at each pixel column: ``i + amplitude * exp(-i / tau)`` [px]."""
    _check_flyback(amplitude, tau)
    i = np.arange(nx, dtype=np.float64)
    return i + amplitude * np.exp(-i / tau)


def flyback_distortion(image, amplitude, tau):
    """Resample every line as probed with an exponentially settling fast-scan position.

    Parameters
    ----------
    image : np.ndarray
        ``(rows, cols)`` image.
    amplitude : float
        Probe lag at the first column [px], ``0 <= amplitude < tau``.
    tau : float
        Settling length [px] (settling time times pixels per time).
    """
    ny, nx = image.shape
    x = flyback_positions(nx, amplitude, tau)
    coords = np.stack(np.broadcast_arrays(np.arange(ny, dtype=np.float64)[:, None], x[None, :]))
    return ndimage.map_coordinates(image, coords, order=1, mode="nearest")


def flyback_coords(xy, amplitude, tau, shape):
    """Where specimen pixel coordinates ``xy`` (n, 2) appear after :func:`flyback_distortion`."""
    nx = shape[1]
    x = flyback_positions(nx, amplitude, tau)
    xy = np.asarray(xy, dtype=np.float64)
    i = np.interp(xy[:, 0], x, np.arange(nx, dtype=np.float64), left=np.nan, right=np.nan)
    # beyond the tabulated range the map is the identity plus the (negligible) tail
    i = np.where(np.isnan(i), xy[:, 0] - amplitude * np.exp(-xy[:, 0] / tau), i)
    return np.stack([i, xy[:, 1]], axis=1)


def line_gains(rows, sigma, rng):
    """Per-row probe-current gains ``max(1 + sigma * N(0, 1), 0)`` (``rows`` draws from ``rng``)."""
    return np.clip(1.0 + sigma * rng.normal(0.0, 1.0, size=int(rows)), 0.0, None)


def detector_response(electrons, gain, gain_cv, dark_noise, rng):
    """Detector signal [detector units] for electron counts per pixel.

    ``gain * (N + gain_cv * sqrt(N) * z1) + dark_noise * z2`` with standard normal ``z1``,
    ``z2`` drawn from ``rng`` (z1 only if ``gain_cv > 0``, z2 only if ``dark_noise > 0``).
    """
    n = np.asarray(electrons, dtype=np.float64)
    out = n.copy()
    if gain_cv > 0:
        out += gain_cv * np.sqrt(n) * rng.normal(0.0, 1.0, size=n.shape)
    out *= gain
    if dark_noise > 0:
        out += dark_noise * rng.normal(0.0, 1.0, size=n.shape)
    return out
