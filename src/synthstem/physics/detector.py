"""Annular (HAADF) detector: integrates |psi(k)|^2 over inner <= theta < outer."""

from __future__ import annotations

import numpy as np

from .wave_ops import intensity_sum
from .optics import ANTIALIAS, spatial_frequencies


def annular_mask(gpts, sampling, wavelength, detector, cutoff=None):
    """Boolean mask (ny, nx), FFT order, of frequencies with ``inner <= lambda |k| < outer``
    [mrad] that also lie inside the antialias aperture of radius ``cutoff`` [1/Angstrom]
    (default: that of this grid; PRISM passes the potential grid's)."""
    ky, kx = spatial_frequencies(gpts, sampling)
    k = np.hypot(kx[None, :], ky[:, None])
    theta = k * wavelength * 1e3
    inner, outer = detector
    cutoff = antialias_cutoff(sampling) if cutoff is None else cutoff
    return (theta >= inner) & (theta < outer) & (k < cutoff)


def antialias_cutoff(sampling):
    """Antialias aperture radius [1/Angstrom]: 2/3 of the Nyquist frequency."""
    return ANTIALIAS / (2 * max(sampling))


def antialias_mask(gpts, sampling):
    """Boolean mask of frequencies kept by the antialias aperture (FFT order)."""
    ky, kx = spatial_frequencies(gpts, sampling)
    return np.hypot(kx[None, :], ky[:, None]) < antialias_cutoff(sampling)


class AnnularDetector:
    """Precomputed flat pixel indices of the annulus on one reciprocal grid.

    ``integrate(waves_k)`` takes unnormalised FFTs (scipy convention) of real-space waves
    normalised to ``sum |psi|^2 = 1`` and returns the fraction of the beam on the detector.
    """

    def __init__(self, gpts, sampling, wavelength, detector, cutoff=None):
        self.gpts = tuple(int(g) for g in gpts)
        mask = annular_mask(self.gpts, sampling, wavelength, detector, cutoff)
        self.index = np.flatnonzero(mask).astype(np.int64)
        self.scale = 1.0 / (self.gpts[0] * self.gpts[1])

    def integrate(self, waves_k):
        """(B, ny, nx) complex (NumPy or CuPy) -> (B,) float64 NumPy fraction of the beam."""
        flat = waves_k.reshape(waves_k.shape[0], -1)
        return intensity_sum(flat, self.index, self.scale)
