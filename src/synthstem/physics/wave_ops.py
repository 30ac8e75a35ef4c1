"""Wave operations of multislice and PRISM, dispatched by array namespace.

NumPy arrays go to the numba kernels of ``synthstem.kernels.waves``; other arrays (CuPy on
the GPU) to the vectorised array-namespace versions below, which use only indexing,
``roll``, broadcasting and reductions (written once for both libraries). Setting
``FORCE_ARRAY = True`` sends NumPy arrays through the array versions too: the tests run
the GPU code path that way on the CPU.

Every function has the signature of its kernel (``out`` arrays filled and returned).
"""

from __future__ import annotations

from ..kernels import waves as _numba
from .backend import get_array_module

#: run the array-namespace versions even on NumPy arrays (tests of the GPU path)
FORCE_ARRAY = False


def _numba_ok(x):
    import numpy as np

    return not FORCE_ARRAY and get_array_module(x) is np


def multiply_batch(waves, factor):
    """``waves[b] *= factor`` in place."""
    if _numba_ok(waves):
        return _numba.multiply_batch(waves, factor)
    waves *= factor[None]
    return waves


def intensity_sum(waves, flat_index, scale):
    """``scale * sum_{p in flat_index} |waves[b, p]|^2`` per b, float64 (on the host)."""
    if _numba_ok(waves):
        return _numba.intensity_sum(waves, flat_index, scale)
    xp = get_array_module(waves)
    sel = waves[:, xp.asarray(flat_index)]
    power = (sel.real.astype(xp.float64) ** 2 + sel.imag.astype(xp.float64) ** 2)
    out = power.sum(axis=1) * scale
    return out.get() if hasattr(out, "get") else out


def propagate_rows(waves, prop, r0, r1):
    """``waves *= prop`` outside the rows ``[r0, r1)``, zero inside, in place."""
    if _numba_ok(waves):
        return _numba.propagate_rows(waves, prop, r0, r1)
    waves *= prop[None]
    waves[:, r0:r1] = 0
    return waves


def shifted_product(out, spectrum, prop, shift_y, shift_x, r0, r1):
    """``out[b] = roll(spectrum, (shift_y[b], shift_x[b])) * prop``, rows ``[r0, r1)`` zero."""
    if _numba_ok(out):
        return _numba.shifted_product(out, spectrum, prop, shift_y, shift_x, r0, r1)
    xp = get_array_module(out)
    for b in range(out.shape[0]):
        out[b] = xp.roll(spectrum, (int(shift_y[b]), int(shift_x[b])), axis=(0, 1)) * prop
    out[:, r0:r1] = 0
    return out


def gather_block(smat, y0, x0, out):
    """``out[b, j, i] = smat[b, (y0 + j) % ny, (x0 + i) % nx]``."""
    if _numba_ok(smat):
        return _numba.gather_block(smat, y0, x0, out)
    xp = get_array_module(smat)
    _, ny, nx = smat.shape
    _, h, w = out.shape
    rows = (xp.arange(h) + y0) % ny
    cols = (xp.arange(w) + x0) % nx
    out[...] = smat[:, rows[:, None], cols[None, :]]
    return out


def crop_windows(waves, oy, ox, out):
    """``out[p] = waves[p, oy[p]:oy[p] + h, ox[p]:ox[p] + w]``."""
    if _numba_ok(waves):
        return _numba.crop_windows(waves, oy, ox, out)
    xp = get_array_module(waves)
    npos, h, w = out.shape
    p = xp.arange(npos)[:, None, None]
    rows = xp.asarray(oy)[:, None, None] + xp.arange(h)[None, :, None]
    cols = xp.asarray(ox)[:, None, None] + xp.arange(w)[None, None, :]
    out[...] = waves[p, rows, cols]
    return out


def crop_spectrum(waves, iy, ix, factor, out):
    """``out[b, j, i] = waves[b, iy[j], ix[i]] * factor[j, i]``."""
    if _numba_ok(waves):
        return _numba.crop_spectrum(waves, iy, ix, factor, out)
    out[...] = waves[:, iy][:, :, ix] * factor[None]
    return out
