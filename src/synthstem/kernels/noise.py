"""Noise kernels: arrays in, arrays out (no RNG, no classes)."""

import numpy as np
from numba import njit

from ._numba import JIT


@njit(**JIT)
def splat_rows(image, shifts):
    """Forward bilinear splatting of every row by its own offset, positions clamped.

    Pixel ``(j, i)`` goes to ``x = min(max(i + shifts[j], 0), nx - 1)``; its value is
    split between columns ``floor(x)`` (weight ``1 - frac``) and ``floor(x) + 1``
    (weight ``frac``), with ``floor(x)`` capped at ``nx - 2``. Requires ``nx >= 2``.
    """
    ny, nx = image.shape
    out = np.zeros((ny, nx), dtype=np.float64)
    xmax = nx - 1.0
    for j in range(ny):
        d = shifts[j]
        for i in range(nx):
            x = i + d
            if x < 0.0:
                x = 0.0
            elif x > xmax:
                x = xmax
            i0 = int(np.floor(x))
            if i0 > nx - 2:
                i0 = nx - 2
            f = x - i0
            v = image[j, i]
            out[j, i0] += (1.0 - f) * v
            out[j, i0 + 1] += f * v
    return out
