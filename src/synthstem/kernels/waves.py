"""Numba kernels for wave functions: in-place products and detector sums."""

import numpy as np
from numba import njit, prange

from ._numba import PARALLEL_JIT


@njit(**PARALLEL_JIT)
def multiply_batch(waves, factor):
    """``waves[b] *= factor`` for every wave of a (B, ny, nx) batch, in place."""
    nb, ny, nx = waves.shape
    for b in prange(nb):
        for j in range(ny):
            for i in range(nx):
                waves[b, j, i] *= factor[j, i]
    return waves


@njit(**PARALLEL_JIT)
def intensity_sum(waves, flat_index, scale):
    """``scale * sum_{p in flat_index} |waves[b, p]|^2`` for each b of a (B, N) batch.

    Returns (B,) float64 (accumulated in double precision).
    """
    nb = waves.shape[0]
    out = np.zeros(nb)
    for b in prange(nb):
        s = 0.0
        for p in flat_index:
            v = waves[b, p]
            s += v.real * v.real + v.imag * v.imag
        out[b] = s * scale
    return out
