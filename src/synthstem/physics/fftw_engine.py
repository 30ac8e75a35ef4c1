"""The pyFFTW engine of ``backend`` (``SYNTHSTEM_FFT=fftw``; optional extra
``synthstem[fftw]``, GPL): one-thread plans made once per (shape, strides, dtype, axes,
direction, thread) and reused, aligned per-thread scratch copies for unaligned arrays, and
batches cut into fixed chunks so that the rounding does not depend on the thread count.
``backend`` imports this module only when the engine is chosen; call ``backend.fft2`` etc.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from .backend import parallel_map

_PLANS = {}
_PLANS_LOCK = threading.Lock()
#: FFTW planner effort. ESTIMATE picks the algorithm by heuristics, so every process makes
#: the same plan and the same rounding (MEASURE times candidates: faster plans, but the
#: choice, hence the last bits, can differ between processes); ``SYNTHSTEM_FFTW_PLANNER``
#: = "measure" opts in to MEASURE
FFTW_FLAGS = (("FFTW_MEASURE",) if os.environ.get("SYNTHSTEM_FFTW_PLANNER", "").lower()
              == "measure" else ("FFTW_ESTIMATE",))


#: byte alignment of the arrays pyFFTW transforms in place; others go through an aligned
#: scratch copy, so that the same layout always gets the same plan (FFTW picks other
#: codelets, hence other rounding, for other alignments or strides)
FFTW_ALIGN = 64
_SCRATCH = {}


def aligned_empty(shape, dtype):
    import pyfftw

    return pyfftw.empty_aligned(shape, dtype=dtype, n=FFTW_ALIGN)


def _fftw_inplace(x, axes, inverse):
    """pyFFTW transform of complex ``x`` in place with a one-thread plan bound to its
    layout (no copies if ``x`` is aligned). Plans are cached per (shape, strides, dtype,
    axes, direction, calling thread)."""
    import pyfftw

    if x.ctypes.data % FFTW_ALIGN:
        return _fftw_copy(x, axes, inverse, x)
    key = (x.shape, x.strides, x.dtype.str, axes, inverse, threading.get_ident())
    plan = _PLANS.get(key)
    if plan is None:
        with _PLANS_LOCK:  # the FFTW planner is not thread safe
            keep = x.copy() if "FFTW_ESTIMATE" not in FFTW_FLAGS else None
            plan = pyfftw.FFTW(x, x, axes=axes,
                               direction="FFTW_BACKWARD" if inverse else "FFTW_FORWARD",
                               flags=FFTW_FLAGS, threads=1)
            if keep is not None:  # MEASURE planning overwrote x
                x[...] = keep
            _PLANS[key] = plan
    else:
        plan.update_arrays(x, x)
    plan.execute()
    if inverse:
        n = 1
        for a in axes:
            n *= x.shape[a]
        x *= x.real.dtype.type(1.0 / n)
    return x


def _fftw_copy(x, axes, inverse, out=None):
    """pyFFTW transform of ``x`` through this thread's aligned contiguous scratch array."""
    key = (x.shape, x.dtype.str, threading.get_ident())
    scratch = _SCRATCH.get(key)
    if scratch is None:
        scratch = _SCRATCH[key] = aligned_empty(x.shape, x.dtype)
    scratch[...] = x
    _fftw_inplace(scratch, axes, inverse)
    if out is None:
        out = np.empty_like(x)
    out[...] = scratch
    return out


#: transforms per pyFFTW call when a batch is split over threads (fixed, so that the plans,
#: hence the rounding, do not depend on the number of threads; FFTW's own threaded plans
#: round differently from its serial ones)
FFTW_CHUNK = 4


def fftw_batched(x, axes, inverse, workers, inplace):
    """pyFFTW over ``axes`` with one-thread plans; leading-axis batches of more than
    ``FFTW_CHUNK`` transforms are cut into fixed chunks spread over ``workers`` threads."""
    x = np.asarray(x)
    if x.dtype not in (np.complex64, np.complex128):
        x, inplace = x.astype(np.complex128), True
    if x.ndim <= len(axes) or 0 in axes or x.shape[0] <= FFTW_CHUNK:
        if inplace:
            return _fftw_inplace(x, axes, inverse)
        return _fftw_copy(x, axes, inverse)
    out = x if inplace else np.empty_like(x)
    chunks = [(s, min(s + FFTW_CHUNK, len(x))) for s in range(0, len(x), FFTW_CHUNK)]

    def run(chunk):
        a, b = chunk
        if inplace:
            _fftw_inplace(x[a:b], axes, inverse)
        else:
            _fftw_copy(x[a:b], axes, inverse, out[a:b])

    parallel_map(run, chunks, workers)
    return out
