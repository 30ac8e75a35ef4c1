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
#: BLAS thread wake-up: ~5-10 ms on a loaded 2-core machine, ~300 Mflop); each GEMM packs
#: its S-matrix rows once, which costs about PACK_PROBES probes' worth of its flops
#: (measured: complex64 GEMMs of 2-8 probes x 101 beams x 80 x 84-108 pixels took 1.7-1.05x
#: the time per flop of larger ones)
GATHER_POSITIONS = 28
TILE_OVERHEAD_FLOPS = 3e8
PACK_PROBES = 1.0


def tile_shape(window, step, n_scan, n_beams, full):
    """Scan positions per tile edge ``(ty, tx)`` minimising the modelled cost per probe.

    The tile's windows share one gathered S-matrix block of edge
    ``B = window + (t - 1) step``. Unless the window spans the whole cell along y
    (``full[0]``), each scan row of the tile is one GEMM over the ``window[0]`` block rows
    of its windows (``tx`` probes x ``n_beams`` x ``window[0] * Bx`` pixels), else one GEMM
    covers the tile (``P = ty tx`` probes, ``By * Bx`` pixels). The cost per probe is
    modelled as ``8 n_beams H Bx (1 + PACK_PROBES / m) + [8 n_beams By Bx GATHER_POSITIONS
    + TILE_OVERHEAD_FLOPS] / P`` (``H`` rows and ``m`` probes per GEMM), subject to the
    memory budgets of the gathered block and the waves.
    """
    def edge(k, i):
        return full[i] if full[i] else window[i] + (k - 1) * step[i]

    rows = not full[0]
    best, best_cost = (1, 1), np.inf
    for ty in range(1, min(MAX_TILE, n_scan[0]) + 1):
        for tx in range(1, min(MAX_TILE, n_scan[1]) + 1):
            by, bx = edge(ty, 0), edge(tx, 1)
            p = ty * tx
            h, m = (window[0], tx) if rows else (by, p)
            if (ty, tx) != (1, 1):
                if p * h * bx * 8 > TILE_WAVES_BYTES:
                    continue
                if not all(full) and n_beams * by * bx * 8 > TILE_GATHER_BYTES:
                    continue
            gather = 0 if all(full) else GATHER_POSITIONS
            cost = (8.0 * n_beams * h * bx * (1 + PACK_PROBES / m)
                    + (8.0 * n_beams * by * bx * gather + TILE_OVERHEAD_FLOPS) / p)
            if cost < best_cost:
                best, best_cost = (ty, tx), cost
    return best
