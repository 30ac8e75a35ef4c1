"""PRISM (Ophus 2017): probes assembled from a propagated plane-wave scattering matrix.

1. S-matrix: every ``f``-th plane wave inside the condenser aperture (wave vectors on the
   reciprocal grid ``k = (f m_x / Lx, f m_y / Ly)``, ``f`` = interpolation factor), each of
   unit amplitude, is run through the same slices as multislice (same transmission,
   propagator and antialias aperture) and kept in real space: ``S_b(x)``, complex64.
   One FFT of the first slice's transmission serves every beam (shifted spectrum), the 2D
   FFTs are pruned to the antialias band, and one beam runs per thread (see
   ``scattering_matrix``).
2. Probe at ``R``: ``psi_R(x) = sum_b c_b(R) S_b(x)`` with
   ``c_b = A_b exp(-i chi(k_b)) exp(-2 pi i k_b.R) / sqrt(N_window sum A^2)``, evaluated only
   on a window of ``(ny/f, nx/f)`` pixels (one period of the incident probe, ``L/f``)
   centred on ``R``. With ``f = 1`` the window is the whole cell and the result equals
   multislice exactly (up to rounding).
3. Detector: ``|FFT(window)|^2`` summed over the annulus on the window's reciprocal grid
   (spacing ``f/L``).

Scan positions are processed in small rectangular tiles: the S-matrix is gathered once on
the union of the tile's windows, the probes of each scan row of the tile come from one
complex GEMM over the block rows of their windows (``C (tx x n_beams) @ S_rows (n_beams x
wy * bw)``; one GEMM for the whole tile if the window spans every row), then each window
is cropped out (cost model: ``prism_tiles.tile_shape``).
Memory: the S-matrix (``n_beams * ny * nx * 8`` bytes) plus one tile and one propagating
plane wave per thread.
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np

from . import backend
from .detector import AnnularDetector, antialias_cutoff
from .wave_ops import (crop_spectrum, crop_windows, gather_block, multiply_batch, propagate_rows,
                       shifted_product)
from .multislice import batch_size_for, fresnel_propagator
from .prism_tiles import TILE_WAVES_BYTES, tile_shape
from .optics import fft_friendly, spatial_frequencies


def prism_beams(gpts, sampling, microscope, interpolation):
    """S-matrix plane waves: every ``interpolation``-th grid frequency inside the aperture.

    Returns grid indices ``(iy, ix)``, wave vectors ``(ky, kx)`` [1/Angstrom] and the
    aperture weights (soft edge over one step ``f / L`` of the interpolated grid, so that
    ``f = 1`` reproduces the multislice probe exactly).
    """
    f = int(interpolation)
    ky, kx = spatial_frequencies(gpts, sampling)
    ny, nx = gpts
    dk = (f / (ny * sampling[0]), f / (nx * sampling[1]))
    weights = microscope.aperture(kx[None, :], ky[:, None], dk)
    inside = weights > 0
    inside &= (np.arange(ny) % f == 0)[:, None] & (np.arange(nx) % f == 0)[None, :]
    iy, ix = np.nonzero(inside)
    return iy, ix, ky[iy], kx[ix], weights[iy, ix]


def downsampled_gpts(gpts, extent, microscope, interpolation):
    """Smallest grid (5-smooth, multiple of ``interpolation``, at most ``gpts``) whose
    Nyquist frequency exceeds the detector's outer angle: the exit waves are stored on it.

    The S-matrix after the last slice is band limited (antialias aperture), and only
    frequencies up to ``outer / lambda`` reach the detector, so cropping its spectrum to
    this grid loses nothing the detector sees (exact for f = 1) and shrinks the probe
    assembly by ``(n' / n)^2`` (abTEM's ``downsample="cutoff"`` does the same).
    """
    k_need = max(microscope.detector[1], microscope.convergence) * 1e-3 / microscope.wavelength
    out = []
    for n, length in zip(gpts, extent):
        m = fft_friendly(math.floor(2 * length * k_need) + 1, interpolation)
        out.append(min(m, n))
    return tuple(out)


def band_rows(mask):
    """Rows ``[r0, r1)`` of an FFT-order mask that are entirely zero, such that every other
    row (``[0, r0)`` and ``[r1, ny)``) is in the band; ``(ny, ny)`` if none is empty."""
    empty = ~mask.any(axis=1)
    idx = np.flatnonzero(empty)
    if idx.size == 0:
        return mask.shape[0], mask.shape[0]
    r0, r1 = int(idx[0]), int(idx[-1]) + 1
    if not empty[r0:r1].all():
        return mask.shape[0], mask.shape[0]
    return r0, r1


def scattering_matrix(potential, microscope, interpolation, workers=None, batch_size=None,
                      progress=False, downsample=True, device="cpu"):
    """Propagated plane waves ``S (n_beams, ny', nx')`` complex64 and ``(ky, kx, A)``.

    With ``downsample`` the exit waves are stored on ``downsampled_gpts`` (see there);
    the grid is ``S.shape[1:]`` over the same extent. Same result (to float32 rounding)
    as the reference ``scattering_matrix_direct`` of ``tests/naive.py`` (every plane wave
    through full 2D FFTs), with fewer and smaller FFTs:

    - slice 1: ``FFT[exp(2 pi i k_b.r) t_1]`` is ``FFT[t_1]`` shifted by the beam's grid
      index, so one FFT of ``t_1`` serves every beam;
    - each 2D FFT is pruned to the antialias band: after the propagator only the rows
      with ``|k_y| <`` cutoff (2/3 of them) are non-zero, so the forward FFT transforms
      all columns then only the band rows, and the inverse the band rows then all columns
      (5/6 of the 1D FFTs of a full 2D FFT);
    - the last slice transforms only the rows kept on the downsampled grid before the
      crop and the small inverse FFT.

    Beams are processed in chunks of ``batch_size`` (default 1), one chunk per thread of a
    pool of ``workers`` threads (each chunk stays in its core's cache; scipy.fft and the
    numba kernels release the GIL). ``device="gpu"``: the same steps on CuPy arrays, one
    chunk at a time; ``S`` is then a CuPy array.
    """
    xp = backend.get_xp(device)
    gpts, sampling = potential.gpts, potential.sampling
    ny, nx = gpts
    lam = microscope.wavelength
    biy, bix, kyb, kxb, amp = prism_beams(gpts, sampling, microscope, interpolation)
    trans = xp.asarray(potential.transmission(microscope.sigma, workers=workers))
    prop_host = fresnel_propagator(gpts, sampling, lam, potential.thickness, microscope.tilt)
    r0, r1 = band_rows(prop_host != 0)
    prop = xp.asarray(prop_host)
    nb = len(kxb)
    n_slices = trans.shape[0]
    my, mx = downsampled_gpts(gpts, potential.extent, microscope, interpolation) \
        if downsample else gpts
    iy = xp.asarray(np.fft.fftfreq(my, 1.0 / my).astype(np.int64) % ny)
    ix = xp.asarray(np.fft.fftfreq(mx, 1.0 / mx).astype(np.int64) % nx)
    # the propagator on the kept frequencies (with one slice shifted_product applied it)
    prop_small = prop[iy][:, ix] if n_slices > 1 else xp.ones((my, mx), dtype=np.complex64)
    # rows needed for the crop: [0, c0) and [c1, ny)
    c0, c1 = (my + 1) // 2, ny - my // 2
    scale = np.float32(my * mx / (ny * nx))
    t1k = backend.fft2(trans[0]).astype(np.complex64)
    smat = xp.empty((nb, my, mx), dtype=np.complex64)
    bs = batch_size or 1
    chunks = [(s, min(s + bs, nb)) for s in range(0, nb, bs)]

    def fft_band(w, lo, hi):
        """Forward 2D FFT of real-space ``w`` in place, band rows ``[0, lo) + [hi, ny)``."""
        backend.fft(w, axis=-2, overwrite=True)
        if lo > 0:
            backend.fft(w[:, :lo], axis=-1, overwrite=True)
        if hi < ny:
            backend.fft(w[:, hi:], axis=-1, overwrite=True)

    def ifft_band(w):
        """Inverse 2D FFT in place of ``w``, zero outside the band rows."""
        if r0 > 0:
            backend.ifft(w[:, :r0], axis=-1, overwrite=True)
        if r1 < ny:
            backend.ifft(w[:, r1:], axis=-1, overwrite=True)
        backend.ifft(w, axis=-2, overwrite=True)

    def run(chunk):
        a, b = chunk
        w = _thread_buffer("smatrix", (b - a, ny, nx), xp)
        shifted_product(w, t1k, prop, biy[a:b], bix[a:b], r0, r1)
        for i in range(1, n_slices):
            backend.check_interrupt()  # a pool thread stops here after Ctrl-C
            ifft_band(w)
            multiply_batch(w, trans[i])
            if i < n_slices - 1:
                fft_band(w, r0, r1)
                propagate_rows(w, prop, r0, r1)
            else:
                fft_band(w, c0, c1)
        out = crop_spectrum(w, iy, ix, prop_small, smat[a:b])
        backend.ifft2(out, overwrite=True)
        out *= scale
        return b - a

    nthreads = max(1, min(workers or 1, len(chunks))) if xp is np else 1
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=nb, desc="S-matrix", unit="beam")
    if nthreads == 1:
        for chunk in chunks:
            n = run(chunk)
            if bar is not None:
                bar.update(n)
    else:
        # ``nthreads`` threads, each taking the next chunk from a shared queue
        queue = iter(chunks)
        lock = threading.Lock()

        def worker():
            while True:
                with lock:
                    chunk = next(queue, None)
                if chunk is None:
                    return
                n = run(chunk)
                if bar is not None:
                    with lock:
                        bar.update(n)

        backend.run_threads([worker] * nthreads)
    if bar is not None:
        bar.close()
    return smat, kyb, kxb, amp


def prism_scan(potential, microscope, scan_x, scan_y, interpolation=4, workers=None,
               batch_size=None, progress=False, smatrix=None, device="cpu"):
    """HAADF image on the scan grid ``scan_y x scan_x`` [Angstrom] by PRISM.

    Returns
    -------
    image : (len(scan_y), len(scan_x)) float64 fraction of the incident beam.
    info : dict with ``n_beams``, ``window`` (pixels), ``smatrix_bytes`` and ``timings`` [s]
        (``smatrix``, ``assembly``, ``detector``).

    ``device="gpu"`` runs every step on CuPy arrays (tiles one after the other).
    """
    xp = backend.get_xp(device)
    f = int(interpolation)
    if potential.gpts[0] % f or potential.gpts[1] % f:
        raise ValueError(
            f"interpolation={f} must divide the potential grid {potential.gpts} (choose the "
            "grid with multiple=interpolation)"
        )
    timings = {}
    t0 = time.perf_counter()
    if smatrix is None:
        smat, kyb, kxb, amp = scattering_matrix(potential, microscope, f, workers, batch_size,
                                                progress, device=device)
    else:
        smat, kyb, kxb, amp = smatrix
    timings["smatrix"] = time.perf_counter() - t0
    # the S-matrix grid (possibly downsampled to the detector's band)
    ny, nx = smat.shape[1:]
    dy, dx = potential.extent[0] / ny, potential.extent[1] / nx
    wy, wx = ny // f, nx // f
    nb = len(kxb)
    phase0 = amp * np.exp(-1j * microscope.chi(kxb, kyb)) / np.sqrt(wy * wx * np.sum(amp**2))
    det = AnnularDetector((wy, wx), (dy, dx), microscope.wavelength, microscope.detector,
                          cutoff=antialias_cutoff(potential.sampling))
    scan_x = np.asarray(scan_x, dtype=np.float64)
    scan_y = np.asarray(scan_y, dtype=np.float64)
    image = np.empty((len(scan_y), len(scan_x)))
    # window start pixel of every scan column / row (may be negative: wrapped)
    start_x = np.rint(scan_x / dx).astype(np.int64) - wx // 2
    start_y = np.rint(scan_y / dy).astype(np.int64) - wy // 2
    step_x = (scan_x[1] - scan_x[0]) / dx if len(scan_x) > 1 else 0
    step_y = (scan_y[1] - scan_y[0]) / dy if len(scan_y) > 1 else 0
    ex_all = np.exp(-2j * np.pi * kxb[None, :] * scan_x[:, None])  # (nsx, nb)
    ey_all = np.exp(-2j * np.pi * kyb[None, :] * scan_y[:, None])  # (nsy, nb)
    if (wy, wx) == (ny, nx):
        # f = 1: the window is the whole cell, so FFT(psi_R) = sum_b c_b FFT(S_b): keep
        # the S-matrix's Fourier coefficients on the annulus only, no FFT per probe
        t1 = time.perf_counter()
        image[:] = _full_window_scan(smat, det, ex_all, ey_all, phase0, workers, xp)
        timings["assembly"] = time.perf_counter() - t1
        timings["detector"] = 0.0
        info = {"n_beams": int(nb), "window": [int(wy), int(wx)], "smatrix_gpts": [ny, nx],
                "smatrix_bytes": int(smat.nbytes), "timings": timings}
        return image, info
    # a window spanning a whole periodic axis needs no crop: |FFT|^2 is shift invariant
    full = (ny if wy == ny else 0, nx if wx == nx else 0)
    ty, tx = tile_shape((wy, wx), (step_y, step_x), (len(scan_y), len(scan_x)), nb, full)
    # buffers of each thread, reused by its tiles and by later calls (phonon configurations)
    max_bh = ny if full[0] else wy + int(np.ceil((ty - 1) * step_y)) + 2
    max_bw = nx if full[1] else wx + int(np.ceil((tx - 1) * step_x)) + 2
    # one GEMM per scan row over its windows' rows (tile_shape's model), unless the
    # window spans every row
    rows = not full[0]
    sizes = {"gather": nb * max_bh * max_bw,
             "waves": ty * tx * (wy if rows else max_bh) * max_bw,
             "windows": ty * tx * wy * wx}
    tiles = [(j, i) for j in range(0, len(scan_y), ty) for i in range(0, len(scan_x), tx)]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(tiles), desc="PRISM probes", unit="tile")
    lock = threading.Lock()

    def run(tile):
        """One tile of probes: gather, GEMM, crop, FFT, detector (all on this thread)."""
        j0, i0 = tile
        backend.check_interrupt()
        t1 = time.perf_counter()
        j1, i1 = min(j0 + ty, len(scan_y)), min(i0 + tx, len(scan_x))
        sx, sy = start_x[i0:i1], start_y[j0:j1]
        bx0 = 0 if full[1] else int(sx.min())
        by0 = 0 if full[0] else int(sy.min())
        bw = nx if full[1] else int(sx.max()) - bx0 + wx
        bh = ny if full[0] else int(sy.max()) - by0 + wy
        s_tile = _gather(smat, by0, bh, bx0, bw,
                         _thread_buffer("gather", (sizes["gather"],), xp))
        coef = (ey_all[j0:j1, None, :] * ex_all[None, i0:i1, :] * phase0).astype(np.complex64)
        npos = coef.shape[0] * coef.shape[1]
        coef = xp.asarray(coef)
        if rows:  # scan row r: its probes over block rows [sy[r] - by0, + wy) only
            gh, nsx = wy, len(sx)
            waves = _view(_thread_buffer("waves", (sizes["waves"],), xp), (npos, wy * bw))
            for r, oy in enumerate(sy - by0):
                backend.matmul(coef[r], s_tile[:, oy:oy + wy].reshape(nb, wy * bw),
                               out=waves[r * nsx:(r + 1) * nsx])
        else:
            gh = bh
            waves = _view(_thread_buffer("waves", (sizes["waves"],), xp), (npos, bh * bw))
            backend.matmul(coef.reshape(npos, nb), s_tile.reshape(nb, bh * bw), out=waves)
        waves = waves.reshape(npos, gh, bw)
        if (gh, bw) == (wy, wx):
            windows = waves
        else:
            oy = np.zeros(npos, dtype=np.int64)
            ox = np.tile(sx - bx0, len(sy)) * (not full[1])
            windows = crop_windows(waves, oy, ox, _view(
                _thread_buffer("windows", (sizes["windows"],), xp), (npos, wy, wx)))
        t2 = time.perf_counter()
        windows = backend.fft2(windows, overwrite=True)
        image[j0:j1, i0:i1] = det.integrate(windows).reshape(j1 - j0, i1 - i0)
        t3 = time.perf_counter()
        if bar is not None:
            with lock:
                bar.update(1)
        return t2 - t1, t3 - t2

    # tiles are independent (disjoint image pixels): spread over the threads
    spent = backend.parallel_map(run, tiles, workers if xp is np else 1)
    if bar is not None:
        bar.close()
    t_asm = sum(t[0] for t in spent)
    t_det = sum(t[1] for t in spent)
    timings["assembly"] = t_asm
    timings["detector"] = t_det
    info = {"n_beams": int(nb), "window": [int(wy), int(wx)], "smatrix_gpts": [ny, nx],
            "smatrix_bytes": int(smat.nbytes), "timings": timings}
    return image, info


def _full_window_scan(smat, det, ex_all, ey_all, phase0, workers, xp=np):
    """Detector signal when each probe window is the whole cell (interpolation 1)."""
    nb = smat.shape[0]
    bs = batch_size_for(smat.shape[1:])
    coeffs = xp.empty((nb, det.index.size), dtype=np.complex64)
    index = xp.asarray(det.index)
    for s in range(0, nb, bs):
        k = backend.fft2(smat[s:s + bs], workers)
        coeffs[s:s + bs] = k.reshape(len(k), -1)[:, index]
    nsy, nsx = len(ey_all), len(ex_all)
    image = np.empty((nsy, nsx))
    rows = max(1, int(TILE_WAVES_BYTES // (nsx * det.index.size * 8)))
    for j in range(0, nsy, rows):
        coef = (ey_all[j:j + rows, None, :] * ex_all[None, :, :] * phase0).astype(np.complex64)
        n = coef.shape[0]
        amp = backend.matmul(xp.asarray(coef.reshape(n * nsx, nb)), coeffs, workers=workers)
        power = (xp.abs(amp) ** 2).sum(axis=1).reshape(n, nsx) * det.scale
        image[j:j + n] = backend.to_numpy(power)
    return image


_BUFFERS = threading.local()


def _thread_buffer(name, shape, xp=np):
    """This thread's reusable aligned complex64 work array ``name`` of ``shape`` in the
    namespace ``xp`` (allocated once per thread and shape, reused by every call and phonon
    configuration: fresh large arrays cost page faults each time)."""
    cache = getattr(_BUFFERS, "arrays", None)
    if cache is None:
        cache = _BUFFERS.arrays = {}
    key = (name, shape, xp.__name__)
    buf = cache.get(key)
    if buf is None:
        for k in [k for k in cache if k[0] == name]:  # one shape per name and thread
            del cache[k]
        buf = cache[key] = (backend.empty(shape, np.complex64) if xp is np
                            else xp.empty(shape, dtype=np.complex64))
    return buf


def _gather(smat, y0, h, x0, w, buf=None):
    """``smat[:, y0:y0+h, x0:x0+w]`` with periodic wrap, as a contiguous array (in the
    flat buffer ``buf`` if given and large enough)."""
    nb, ny, nx = smat.shape
    if (y0, h, x0, w) == (0, ny, 0, nx):
        return smat
    return gather_block(smat, y0, x0, _view(buf, (nb, h, w)))


def _view(buf, shape):
    """A contiguous complex64 array of ``shape`` in the flat buffer ``buf`` (if large
    enough), else a new one."""
    n = math.prod(shape)
    if buf is not None and buf.size >= n:
        return buf[:n].reshape(shape)
    xp = np if buf is None else backend.get_array_module(buf)
    return xp.empty(shape, dtype=np.complex64)
