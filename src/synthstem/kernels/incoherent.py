"""Numba kernel of the incoherent image: Gaussian gridding of weighted points on a periodic
grid (the spreading step of a type-1 non-uniform FFT, Greengard & Lee 2004)."""

import math

import numpy as np
from numba import njit

from ._numba import JIT


@njit(**JIT)
def spread_gaussians(grid0, grid1, x, y, w0, w1, width_x, width_y, half_x, half_y):
    """Add a Gaussian per point to two grids (ny, nx) float64, periodic; returns both.

    Point ``a`` adds ``w0[a] g_a`` to ``grid0`` and ``w1[a] g_a`` to ``grid1`` with
    ``g_a(j, i) = exp(-(i - x[a])^2 / (2 width_x[a]^2) - (j - y[a])^2 / (2 width_y[a]^2))``
    at pixels (indices modulo the grid) with ``|i - round(x[a])| <= half_x[a]`` and
    ``|j - round(y[a])| <= half_y[a]``. ``x, y`` and the widths are in grid steps (pixel
    ``i`` is at ``x = i``). Separable: ``2 (half_x + half_y + 1)`` exponentials per point.
    Points sorted by ``y`` touch the grids in memory order (faster, same result up to
    rounding).
    """
    ny, nx = grid0.shape
    n = x.shape[0]
    hmax = 0
    for a in range(n):
        hmax = max(hmax, half_x[a], half_y[a])
    ex = np.empty(2 * hmax + 1)
    ey = np.empty(2 * hmax + 1)
    ix = np.empty(2 * hmax + 1, dtype=np.int64)
    for a in range(n):
        hx = half_x[a]
        hy = half_y[a]
        ci = int(math.floor(x[a] + 0.5))
        cj = int(math.floor(y[a] + 0.5))
        cx = -0.5 / (width_x[a] * width_x[a])
        cy = -0.5 / (width_y[a] * width_y[a])
        for t in range(2 * hx + 1):
            d = ci - hx + t - x[a]
            ex[t] = math.exp(cx * d * d)
            ix[t] = (ci - hx + t) % nx
        for t in range(2 * hy + 1):
            d = cj - hy + t - y[a]
            ey[t] = math.exp(cy * d * d)
        a0 = w0[a]
        a1 = w1[a]
        for s in range(2 * hy + 1):
            j = (cj - hy + s) % ny
            v0 = a0 * ey[s]
            v1 = a1 * ey[s]
            if v1 == 0.0:
                for t in range(2 * hx + 1):
                    grid0[j, ix[t]] += v0 * ex[t]
            else:
                for t in range(2 * hx + 1):
                    grid0[j, ix[t]] += v0 * ex[t]
                    grid1[j, ix[t]] += v1 * ex[t]
    return grid0, grid1
