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
