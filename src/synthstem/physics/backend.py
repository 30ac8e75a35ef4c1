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
- the worker threads: ``available_cpus()`` (CPU affinity, not ``os.cpu_count()``), one
  shared thread pool ``pool()`` and ``run_threads`` / ``parallel_map`` on it, which stop
  promptly on Ctrl-C: the caller's KeyboardInterrupt cancels the queued tasks and the
  running ones stop at their next ``check_interrupt()`` (between FFT batches, slices,
  probe tiles), so that no thread computes on after the interrupt;
- thread-count independent linear algebra: ``matmul(a, b, out)`` sets BLAS to one thread
  (process-wide, once: see ``single_threaded_blas``) and runs it on fixed row blocks
  spread over the pool, so a result never depends on how many BLAS or worker threads the
  process has (OpenBLAS's 2-thread complex GEMM differs from its 1-thread one by ~1e-14,
  which made process-pool runs differ from serial runs).

Nothing here knows any physics.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import FIRST_EXCEPTION
from concurrent.futures import wait as wait_futures

import numpy as np
import scipy.fft

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


# -- threads -----------------------------------------------------------------------


def available_cpus():
    """CPUs this process may run on (its affinity mask, not the machine's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_threads():
    """Threads of one simulation when none are asked for: ``OMP_NUM_THREADS`` if set (a
    run's worker processes get their share of the CPUs that way), else
    ``available_cpus()``."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    if value.strip().isdigit() and int(value) >= 1:
        return min(int(value), available_cpus())
    return available_cpus()


def resolve_workers(workers):
    """Threads to use: ``workers`` if given, else 1 (the scipy.fft default)."""
    return 1 if workers is None else max(1, int(workers))


_POOL = None
_POOL_LOCK = threading.Lock()


def pool():
    """The shared thread pool (``available_cpus()`` threads) of the physics code."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=available_cpus(),
                                       thread_name_prefix="synthstem")
    return _POOL


class Interrupted(KeyboardInterrupt):
    """Raised in a pool thread by :func:`check_interrupt` when its caller was interrupted."""


_LOCAL = threading.local()  # .token: the cancel token of the pool task this thread runs
_SIGINT = [False]  # set by the SIGINT handler of interruptible() (a plain flag: no lock)
#: [s] how often a caller waiting for its pool tasks looks at the Ctrl-C flag
POLL_SECONDS = 0.05


class _Token:
    """Cancellation of one :func:`run_threads` call (and of the calls nested in it)."""

    def __init__(self, parent):
        self.event, self.parent = threading.Event(), parent

    def is_set(self):
        return self.event.is_set() or (self.parent is not None and self.parent.is_set())


def _on_sigint(signum, frame):
    _SIGINT[0] = True


@contextmanager
def interruptible():
    """Ctrl-C while the physics runs: the SIGINT handler only sets a flag, and
    KeyboardInterrupt is raised in the main thread at its next :func:`check_interrupt`
    (between units of work), never inside a lock, a thread pool's bookkeeping or a C call.

    Installed only in the main thread and only over Python's default SIGINT handler (a
    run's own Ctrl-C policy, ``runs.execute.Interrupt``, is left alone). A Ctrl-C after
    the last check raises KeyboardInterrupt on exit.
    """
    install = (threading.current_thread() is threading.main_thread()
               and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    if not install:
        yield
        return
    _SIGINT[0] = False
    old = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
        hit, _SIGINT[0] = _SIGINT[0], False
    if hit:
        raise KeyboardInterrupt


def check_interrupt():
    """Stop here after Ctrl-C: KeyboardInterrupt in the main thread (inside
    :func:`interruptible`), :class:`Interrupted` in a pool thread (Ctrl-C, or its caller
    stopped it); a no-op otherwise. Called by the physics loops between units of work
    (slices, S-matrix beam chunks, probe tiles, potential blocks, phonon configurations)."""
    if _SIGINT[0]:
        if threading.current_thread() is threading.main_thread():
            _SIGINT[0] = False
            raise KeyboardInterrupt
        raise Interrupted
    token = getattr(_LOCAL, "token", None)
    if token is not None and token.is_set():
        raise Interrupted


def run_threads(fns):
    """``[fn() for fn in fns]`` on ``pool()`` threads, results in order.

    The caller waits in short polls, looking at the Ctrl-C flag (:func:`interruptible`).
    On any exception of the caller (KeyboardInterrupt) or of a task, the queued tasks are
    cancelled, the running ones are told to stop (they raise :class:`Interrupted` at their
    next :func:`check_interrupt`) and waited for, then the exception is re-raised: no
    thread is left computing.
    """
    token = _Token(getattr(_LOCAL, "token", None))

    def guarded(fn):
        def task():
            before = getattr(_LOCAL, "token", None)
            _LOCAL.token = token
            try:
                check_interrupt()
                return fn()
            finally:
                _LOCAL.token = before
        return task

    futures = []
    try:
        futures = [pool().submit(guarded(fn)) for fn in fns]
        while True:
            done, pending = wait_futures(futures, timeout=POLL_SECONDS, return_when=FIRST_EXCEPTION)
            check_interrupt()
            failed = [f for f in futures if f.done() and not f.cancelled() and f.exception() is not None]
            if failed:  # a task failed: its exception, the others stopped below
                raise failed[0].exception()
            if not pending:
                return [f.result() for f in futures]
    except BaseException:
        token.event.set()
        for f in futures:
            f.cancel()
        while True:  # a second Ctrl-C must not leave the threads running either
            try:
                wait_futures(futures)
                break
            except KeyboardInterrupt:
                continue
        raise


def parallel_map(fn, items, workers):
    """``[fn(i) for i in items]`` on up to ``workers`` threads of ``pool()`` (in order);
    stops promptly on Ctrl-C (see :func:`run_threads`)."""
    items = list(items)
    if resolve_workers(workers) <= 1 or len(items) <= 1:
        out = []
        for i in items:
            check_interrupt()
            out.append(fn(i))
        return out
    return run_threads([(lambda i=i: fn(i)) for i in items])


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
