"""Multislice: the reference STEM algorithm (one probe per scan position).

For each slice ``n``: ``psi <- IFFT[ P(k) FFT[ t_n(x) psi ] ]`` with the transmission
``t_n = exp(i sigma v_n)`` and the Fresnel propagator
``P(k) = exp(-i pi lambda dz |k|^2)`` multiplied by the antialias aperture
(``|k| < 2/3`` of Nyquist). The last inverse FFT is skipped: the detector integrates
``|psi(k)|^2`` after the last slice. Probes are processed in batches.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import backend
from .wave_ops import multiply_batch
from .detector import AnnularDetector, antialias_mask
from .optics import spatial_frequencies

#: default memory budget of one batch of waves [bytes]
BATCH_BYTES = 192 * 2**20


def fresnel_propagator(gpts, sampling, wavelength, thickness, tilt=(0.0, 0.0)):
    """Fresnel propagator times the antialias aperture, (ny, nx) complex64 (FFT order).

    ``tilt = (tilt_x, tilt_y)`` [mrad]: specimen mistilt, the phase
    ``exp(-2 pi i dz (kx tan tilt_x + ky tan tilt_y))`` (abTEM's tilted propagator) that
    moves the wave by ``dz tan(tilt)`` per slice relative to the atoms.

    The array is read-only and cached: every frozen-phonon configuration (and every
    defocus of a focal series) with the same grid, wavelength and slices reuses it.
    """
    return _fresnel_propagator(tuple(int(g) for g in gpts), tuple(float(s) for s in sampling),
                               float(wavelength), float(thickness),
                               tuple(float(t) for t in tilt))


@lru_cache(maxsize=8)
def _fresnel_propagator(gpts, sampling, wavelength, thickness, tilt):
    ky, kx = spatial_frequencies(gpts, sampling)
    k2 = kx[None, :] ** 2 + ky[:, None] ** 2
    phase = np.pi * wavelength * thickness * k2
    if tilt[0] or tilt[1]:
        phase = phase + 2 * np.pi * thickness * (kx[None, :] * np.tan(tilt[0] * 1e-3)
                                                 + ky[:, None] * np.tan(tilt[1] * 1e-3))
    p = np.exp(-1j * phase)
    p = (p * antialias_mask(gpts, sampling)).astype(np.complex64)
    p.setflags(write=False)
    return p


def multiply(waves, factor, workers=None):
    """``waves[b] *= factor`` in place; the batch is split over ``workers`` threads (the
    numba kernel releases the GIL), avoiding numba's OpenMP launch overhead."""
    n = len(waves)
    workers = min(workers or 1, n)
    if workers <= 1 or waves.size < 2**20 or backend.get_array_module(waves) is not np:
        return multiply_batch(waves, factor)
    bounds = np.linspace(0, n, workers + 1).astype(int)
    backend.parallel_map(lambda ab: multiply_batch(waves[ab[0]:ab[1]], factor),
                         [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a], workers)
    return waves


def transmit_and_propagate(waves, transmissions, propagator, workers=None, final_real=False):
    """Run a batch of real-space waves (B, ny, nx) complex64 through all slices.

    Returns the waves in reciprocal space (unnormalised FFT) after the last slice, or in
    real space if ``final_real``. ``waves`` is overwritten.
    """
    n = transmissions.shape[0]
    for i in range(n):
        backend.check_interrupt()  # a pool thread stops here after Ctrl-C
        multiply(waves, transmissions[i], workers)
        waves = backend.fft2(waves, workers, overwrite=True)
        multiply(waves, propagator, workers)
        if i < n - 1 or final_real:
            waves = backend.ifft2(waves, workers, overwrite=True)
    return waves


def batch_size_for(gpts, budget=BATCH_BYTES):
    """Number of (ny, nx) complex64 waves fitting in ``budget`` bytes (>= 1)."""
    return max(1, int(budget // (gpts[0] * gpts[1] * 8 * 2)))


def multislice_scan(potential, microscope, positions, workers=None, batch_size=None,
                    progress=False, device="cpu"):
    """HAADF signal at each scan position by plain multislice.

    Parameters
    ----------
    potential : PotentialSlices
    microscope : Microscope
    positions : (n, 2) scan positions (x, y) [Angstrom]
    workers : int or None, threads (FFTs and products; default 1)
    batch_size : probes per batch (default from a memory budget)
    device : "cpu" or "gpu" (CuPy arrays; same steps)

    Returns
    -------
    (n,) float64 fraction of the incident beam on the detector.
    """
    xp = backend.get_xp(device)
    gpts, sampling = potential.gpts, potential.sampling
    lam = microscope.wavelength
    trans = xp.asarray(potential.transmission(microscope.sigma, workers=workers))
    prop = xp.asarray(fresnel_propagator(gpts, sampling, lam, potential.thickness,
                                         microscope.tilt))
    det = AnnularDetector(gpts, sampling, lam, microscope.detector)
    positions = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
    bs = batch_size or batch_size_for(gpts)
    out = np.empty(len(positions))
    starts = range(0, len(positions), bs)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="multislice", unit="batch")
    for s in starts:
        pos = positions[s:s + bs]
        waves = xp.asarray(microscope.probe_k(gpts, sampling, pos))
        waves = backend.ifft2(waves, workers, overwrite=True)
        waves = transmit_and_propagate(waves, trans, prop, workers)
        out[s:s + bs] = det.integrate(waves)
    return out
