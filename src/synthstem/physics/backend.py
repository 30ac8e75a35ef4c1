"""The physics backend seam: array namespace, FFTs, worker threads, deterministic GEMMs.

Every physics module asks this module for

- the array namespace: ``get_xp(device)`` returns ``numpy`` (``device="cpu"``) or
  ``cupy`` (``device="gpu"``, optional extra ``synthstem[gpu]``); ``get_array_module(x)``
  the namespace of an existing array; ``to_numpy(x)`` brings a result back to the host;
- 2-D FFTs over the last two axes (batched over the leading ones): ``fft2`` / ``ifft2``
  with scipy.fft's convention (unnormalised forward, ``1/N`` inverse) and 1-D ``fft`` /
  ``ifft`` along one axis. The engine is chosen once per process by ``fft_backend()``:
  scipy.fft (default, bit-reproducible), or pyFFTW (optional extra ``synthstem[fftw]``,
  GPL) with ``SYNTHSTEM_FFT=fftw`` (plans and scratch buffers in ``fftw_engine``, imported
  only then). CuPy arrays always use cupy.fft;
- the worker threads (``physics/threads.py``, re-exported here): ``available_cpus()``,
  one shared thread pool ``pool()``, ``run_threads`` / ``parallel_map`` on it, and their
  prompt stop on Ctrl-C (``interruptible``, ``check_interrupt``);
- thread-count independent linear algebra: ``matmul(a, b, out)`` sets BLAS to one thread
  (process-wide, once: see ``single_threaded_blas``) and runs it on fixed row blocks
  spread over the pool, so a result never depends on how many BLAS or worker threads the
  process has (OpenBLAS's 2-thread complex GEMM differs from its 1-thread one by ~1e-14,
  which made process-pool runs differ from serial runs).

Nothing here knows any physics.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import scipy.fft

from .threads import (Interrupted, available_cpus, check_interrupt, default_threads,  # noqa: F401
                      interruptible, parallel_map, pool, resolve_workers, run_threads)

DEVICES = ("cpu", "gpu")
FFT_BACKENDS = ("scipy", "fftw")

# -- array namespace ---------------------------------------------------------------


def check_device(device):
    """``device`` validated: "cpu" or "gpu" (the latter needs CuPy and a CUDA GPU)."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    if device == "gpu":
        try:
            import cupy

            cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # ImportError or no CUDA device
            raise ValueError(
                f"device='gpu' needs CuPy and a CUDA GPU (pip install 'synthstem[gpu]'): {exc}"
            ) from None
    return device


def get_xp(device="cpu"):
    """The array namespace of ``device``: numpy or cupy."""
    if check_device(device) == "gpu":
        import cupy

        return cupy
    return np


def get_array_module(x):
    """numpy or cupy, whichever owns ``x``."""
    if type(x).__module__.split(".")[0] == "cupy":
        import cupy

        return cupy
    return np


def to_numpy(x):
    """``x`` as a NumPy array (copied from the GPU if needed)."""
    if get_array_module(x) is np:
        return np.asarray(x)
    return x.get()


# -- threads: physics/threads.py, re-exported --------------------------------------


# -- deterministic GEMM ------------------------------------------------------------

#: rows per single-threaded BLAS call of ``matmul`` (fixed: results do not depend on it
#: being split over threads)
GEMM_ROWS = 64

_BLAS_LOCK = threading.Lock()
_BLAS_PID = None


def single_threaded_blas():
    """Set BLAS (OpenBLAS, MKL...) to one thread for this whole process, once.

    BLAS's thread count is process-wide state (threadpoolctl lets only one Python thread
    control OpenBLAS at a time), so it cannot be switched safely around each call when
    several threads simulate at once (a Dask worker). The physics code therefore runs
    BLAS single threaded and parallelises over its own pool (``matmul``). Returns the
    BLAS thread counts after the change (all 1 unless another thread holds the control).
    """
    global _BLAS_PID
    with _BLAS_LOCK:
        if _BLAS_PID != os.getpid():
            from threadpoolctl import threadpool_info, threadpool_limits

            threadpool_limits(limits=1, user_api="blas")
            _BLAS_PID = os.getpid()
            counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
            if any(c != 1 for c in counts):
                import warnings

                warnings.warn(f"could not set BLAS to one thread ({counts}): complex "
                              "matrix products may differ by rounding between runs",
                              RuntimeWarning, stacklevel=3)
                _BLAS_PID = None
    return True


def matmul(a, b, out=None, workers=None):
    """``a @ b`` for 2-D ``a (m, k)``, ``b (k, n)``, independent of the thread count.

    NumPy arrays: BLAS with one thread on fixed blocks of ``GEMM_ROWS`` rows of ``a``,
    the blocks spread over ``workers`` threads of ``pool()``; every output element is
    then computed by the same single-threaded kernel whatever ``workers`` and the
    process's BLAS threads are. CuPy arrays: ``cupy.matmul``.
    """
    xp = get_array_module(a)
    if xp is not np:
        return xp.matmul(a, b, out=out)
    m = a.shape[0]
    if out is None:
        out = np.empty((m, b.shape[1]), dtype=np.result_type(a, b))
    blocks = [(s, min(s + GEMM_ROWS, m)) for s in range(0, m, GEMM_ROWS)]

    def run(block):
        s, e = block
        np.matmul(a[s:e], b, out=out[s:e])

    single_threaded_blas()
    parallel_map(run, blocks, workers)
    return out


# -- FFTs --------------------------------------------------------------------------

_FFT_BACKEND = None


def fft_backend():
    """The FFT engine of NumPy arrays: "scipy" (default) or "fftw" (``SYNTHSTEM_FFT=fftw``
    or ``set_fft_backend("fftw")``, needs pyFFTW).

    scipy.fft stays the default because its results are bit-identical whatever the
    threads and memory alignment; pyFFTW's are not (measured: images differing by ~1e-6
    relative between runs with 1 and 2 threads, through plan and alignment choices), which
    would break "same seed, same files" across workers."""
    global _FFT_BACKEND
    if _FFT_BACKEND is None:
        _FFT_BACKEND = _choose_fft_backend(os.environ.get("SYNTHSTEM_FFT", ""))
    return _FFT_BACKEND


def _choose_fft_backend(request):
    request = request.strip().lower()
    if request not in ("",) + FFT_BACKENDS:
        raise ValueError(f"SYNTHSTEM_FFT must be one of {FFT_BACKENDS}, got {request!r}")
    if request in ("", "scipy"):
        return "scipy"
    try:
        import pyfftw  # noqa: F401
    except ImportError:
        if request == "fftw":
            raise ValueError("SYNTHSTEM_FFT=fftw needs pyFFTW: pip install 'synthstem[fftw]'") \
                from None
        return "scipy"
    return "fftw"


def set_fft_backend(name):
    """Use ``name`` ("scipy" or "fftw") from now on; returns the previous one."""
    global _FFT_BACKEND
    previous = fft_backend()
    _FFT_BACKEND = _choose_fft_backend(name)
    return previous


def empty(shape, dtype=np.complex64):
    """An uninitialised NumPy array aligned for SIMD FFTs (pyFFTW's alignment)."""
    if fft_backend() == "fftw":
        from .fftw_engine import aligned_empty

        return aligned_empty(shape, dtype)
    return np.empty(shape, dtype=dtype)


try:  # pocketfft's own entry point, as scipy.fft calls it (skips ~2-7 us of dispatch)
    from scipy.fft._pocketfft.pypocketfft import c2c as _C2C
except ImportError:  # pragma: no cover - other scipy layouts: the public API below
    _C2C = None
_COMPLEX = (np.dtype(np.complex64), np.dtype(np.complex128))


def _transform(x, axes, inverse, workers, overwrite):
    if (overwrite and _C2C is not None and type(x) is np.ndarray and x.dtype in _COMPLEX
            and fft_backend() == "scipy"):
        # in place, the call scipy.fft.fftn / ifftn makes ("backward" norm: 1/N inverse)
        return _C2C(x, tuple(a % x.ndim for a in axes), not inverse, 2 if inverse else 0, x,
                    resolve_workers(workers))
    xp = get_array_module(x)
    if xp is not np:
        f = xp.fft.ifftn if inverse else xp.fft.fftn
        y = f(x, axes=axes)
        if overwrite and x.dtype == y.dtype:
            x[...] = y
            return x
        return y
    axes = tuple(a % x.ndim for a in axes)
    inplace = overwrite and x.dtype in (np.complex64, np.complex128)
    if fft_backend() == "fftw":
        from .fftw_engine import fftw_batched

        return fftw_batched(x, axes, inverse, resolve_workers(workers), inplace)
    f = scipy.fft.ifftn if inverse else scipy.fft.fftn
    y = f(x, axes=axes, overwrite_x=inplace, workers=resolve_workers(workers))
    if inplace and not _same_memory(x, y):  # pocketfft worked out of place
        x[...] = y
        return x
    return y


def _same_memory(x, y):
    """Whether ``x`` and ``y`` are the same elements of the same buffer."""
    return (x.__array_interface__["data"][0] == y.__array_interface__["data"][0]
            and x.strides == y.strides and x.shape == y.shape)


def fft2(x, workers=None, overwrite=False):
    """Forward 2-D FFT over the last two axes (batched), unnormalised; with ``overwrite``
    (complex ``x``) the result is written into ``x`` (any view) and ``x`` is returned.
    The same holds for ``ifft2``, ``fft`` and ``ifft``."""
    return _transform(x, (-2, -1), False, workers, overwrite)


def ifft2(x, workers=None, overwrite=False):
    """Inverse 2-D FFT over the last two axes (batched), normalised by ``1/N``."""
    return _transform(x, (-2, -1), True, workers, overwrite)


def fft(x, axis=-1, workers=None, overwrite=False):
    """Forward 1-D FFT along ``axis``, unnormalised."""
    return _transform(x, (axis,), False, workers, overwrite)


def ifft(x, axis=-1, workers=None, overwrite=False):
    """Inverse 1-D FFT along ``axis``, normalised by ``1/n``."""
    return _transform(x, (axis,), True, workers, overwrite)


def describe():
    """A JSON-serialisable record of the backend, for result parameters."""
    rec = {"fft": fft_backend()}  # nothing machine-dependent: items must not differ by host
    if rec["fft"] == "fftw":
        import pyfftw

        from .fftw_engine import FFTW_FLAGS

        rec["fftw_flags"] = list(FFTW_FLAGS)
        rec["pyfftw_version"] = getattr(pyfftw, "__version__", None)
    return rec
