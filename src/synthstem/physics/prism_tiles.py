"""PRISM scan tiling: how many probe positions share one gathered S-matrix block.

A cost model in GEMM flops with memory budgets (used by :func:`synthstem.physics.prism.prism_scan`).
"""

import numpy as np

#: memory budgets [bytes] of one tile's gathered S-matrix and of its probe windows
TILE_GATHER_BYTES = 256 * 2**20
TILE_WAVES_BYTES = 128 * 2**20
#: scan positions per tile edge: at most MAX_TILE
MAX_TILE = 32
#: cost model of one tile, in GEMM flops: gathering the S-matrix block costs about as
#: much as the GEMM of GATHER_POSITIONS probes; each tile has a fixed overhead (Python,
#: BLAS thread wake-up: ~5-10 ms on a loaded 2-core machine, ~300 Mflop)
GATHER_POSITIONS = 28
TILE_OVERHEAD_FLOPS = 3e8


def tile_shape(window, step, n_scan, n_beams, full):
    """Scan positions per tile edge ``(ty, tx)`` minimising the modelled cost per probe.

    The tile's windows share one gathered S-matrix block of edge
    ``B = window + (t - 1) step``; the cost per probe is modelled as
    ``[8 n_beams B^2 (P + GATHER_POSITIONS) + TILE_OVERHEAD_FLOPS] / P`` with ``P = t^2``
    probes per tile, subject to the memory budgets of the gathered block and the waves.
    """
    def edge(k, i):
        return full[i] if full[i] else window[i] + (k - 1) * step[i]

    best, best_cost = (1, 1), np.inf
    for ty in range(1, min(MAX_TILE, n_scan[0]) + 1):
        for tx in range(1, min(MAX_TILE, n_scan[1]) + 1):
            by, bx = edge(ty, 0), edge(tx, 1)
            p = ty * tx
            if (ty, tx) != (1, 1):
                if p * by * bx * 8 > TILE_WAVES_BYTES:
                    continue
                if not all(full) and n_beams * by * bx * 8 > TILE_GATHER_BYTES:
                    continue
            gather = 0 if all(full) else GATHER_POSITIONS
            cost = (8.0 * n_beams * by * bx * (p + gather) + TILE_OVERHEAD_FLOPS) / p
            if cost < best_cost:
                best, best_cost = (ty, tx), cost
    return best
