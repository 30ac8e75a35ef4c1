"""The one place that sets numba options for every kernel."""

JIT = dict(cache=True, nogil=True, fastmath=False)
PARALLEL_JIT = dict(JIT, parallel=True)
