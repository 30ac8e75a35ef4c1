"""The scan grid of ``simulate``: how many probe positions per axis (the image's Nyquist
rate) and the Fourier interpolation of the scanned image to the requested pixels."""

import math

import numpy as np
import scipy.fft
from scipy.signal import resample

from .optics import fft_friendly

__all__ = ["scan_points", "fourier_interpolate"]


def scan_points(length, microscope, pixels):
    """Scan positions per axis: the Nyquist rate of the image, at most ``pixels``."""
    m_max = math.floor(2 * microscope.convergence * 1e-3 * length / microscope.wavelength)
    n = fft_friendly(2 * m_max + 2, 2)
    return min(n, pixels)


def fourier_interpolate(image, shape, extent=None, blur=0.0):
    """Periodic Fourier interpolation of ``image`` to ``shape`` (sample 0 stays at the
    origin), with an optional Gaussian blur of standard deviation ``blur`` [Angstrom]
    over a field of view ``extent = (Ly, Lx)`` [Angstrom]."""
    image = np.asarray(image, dtype=np.float64)
    if blur > 0:
        ny, nx = image.shape
        ky = np.fft.fftfreq(ny, extent[0] / ny)
        kx = np.fft.rfftfreq(nx, extent[1] / nx)
        g = np.exp(-2 * np.pi**2 * blur**2 * (ky[:, None] ** 2 + kx[None, :] ** 2))
        image = scipy.fft.irfft2(scipy.fft.rfft2(image) * g, s=image.shape)
    if image.shape[0] != shape[0]:
        image = resample(image, shape[0], axis=0)
    if image.shape[1] != shape[1]:
        image = resample(image, shape[1], axis=1)
    return image
