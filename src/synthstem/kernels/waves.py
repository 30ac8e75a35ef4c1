"""Numba kernels for wave functions: in-place products and detector sums.

Serial on purpose: the FFTs (scipy workers) and the GEMMs (BLAS threads) carry the
parallelism; numba's OpenMP layer costs ~10 ms per call on a loaded 2-core machine.
"""

import numpy as np
from numba import njit

from ._numba import JIT


@njit(**JIT)
def multiply_batch(waves, factor):
    """``waves[b] *= factor`` for every wave of a (B, ny, nx) batch, in place."""
    nb, ny, nx = waves.shape
    for b in range(nb):
        for j in range(ny):
            for i in range(nx):
                waves[b, j, i] *= factor[j, i]
    return waves


@njit(**JIT)
def intensity_sum(waves, flat_index, scale):
    """``scale * sum_{p in flat_index} |waves[b, p]|^2`` for each b of a (B, N) batch.

    Returns (B,) float64 (accumulated in double precision).
    """
    nb = waves.shape[0]
    out = np.zeros(nb)
    for b in range(nb):
        s = 0.0
        for p in flat_index:
            v = waves[b, p]
            s += v.real * v.real + v.imag * v.imag
        out[b] = s * scale
    return out


@njit(**JIT)
def propagate_rows(waves, prop, r0, r1):
    """``waves[b] *= prop`` on the rows ``[0, r0)`` and ``[r1, ny)`` (the antialias band
    in FFT order) and ``waves[b, r0:r1] = 0``, in place, for a (B, ny, nx) batch."""
    nb, ny, nx = waves.shape
    for b in range(nb):
        for j in range(ny):
            if r0 <= j < r1:
                for i in range(nx):
                    waves[b, j, i] = 0
            else:
                for i in range(nx):
                    waves[b, j, i] *= prop[j, i]
    return waves


@njit(**JIT)
def shifted_product(out, spectrum, prop, shift_y, shift_x, r0, r1):
    """``out[b, j, i] = spectrum[j - shift_y[b], i - shift_x[b]] * prop[j, i]`` (periodic
    indices) on the band rows ``[0, r0)`` and ``[r1, ny)``, zero on the others: the
    spectrum of ``exp(2 pi i k_b.r) t(r)`` after one propagation, from that of ``t``."""
    nb, ny, nx = out.shape
    for b in range(nb):
        for j in range(ny):
            if r0 <= j < r1:
                for i in range(nx):
                    out[b, j, i] = 0
                continue
            js = (j - shift_y[b]) % ny
            sx = shift_x[b] % nx
            for i in range(nx):
                i2 = i - sx
                if i2 < 0:
                    i2 += nx
                out[b, j, i] = spectrum[js, i2] * prop[j, i]
    return out


@njit(**JIT)
def gather_block(smat, y0, x0, out):
    """``out[b, j, i] = smat[b, (y0 + j) % ny, (x0 + i) % nx]``: a periodic block of a
    (B, ny, nx) stack into the preallocated (B, h, w) ``out``."""
    nb, ny, nx = smat.shape
    _, h, w = out.shape
    for b in range(nb):
        for j in range(h):
            jj = (y0 + j) % ny
            i = 0
            while i < w:
                ii = (x0 + i) % nx
                n = min(w - i, nx - ii)  # contiguous run up to the wrap
                for k in range(n):
                    out[b, j, i + k] = smat[b, jj, ii + k]
                i += n
    return out


@njit(**JIT)
def crop_windows(waves, oy, ox, out):
    """``out[p] = waves[p, oy[p]:oy[p] + h, ox[p]:ox[p] + w]`` for every p."""
    npos, h, w = out.shape
    for p in range(npos):
        for j in range(h):
            for i in range(w):
                out[p, j, i] = waves[p, oy[p] + j, ox[p] + i]
    return out


@njit(**JIT)
def crop_spectrum(waves, iy, ix, factor, out):
    """``out[b, j, i] = waves[b, iy[j], ix[i]] * factor[j, i]``: the (B, my, mx) part of a
    (B, ny, nx) batch of spectra on the rows ``iy`` and columns ``ix``, times ``factor``."""
    nb, my, mx = out.shape
    for b in range(nb):
        for j in range(my):
            jj = iy[j]
            for i in range(mx):
                out[b, j, i] = waves[b, jj, ix[i]] * factor[j, i]
    return out
