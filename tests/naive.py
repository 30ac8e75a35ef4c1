"""Slow, obviously correct twins of every numba kernel (``synthstem.kernels``) and the
reference PRISM S-matrix (plain loops or whole-array NumPy, no shortcuts).

Each twin has the signature of its kernel where practical and returns a new array;
``tests/physics/test_kernels.py`` compares them.
"""

import numpy as np

from synthstem.physics import backend
from synthstem.physics.multislice import batch_size_for, fresnel_propagator, transmit_and_propagate
from synthstem.physics.prism import downsampled_gpts, prism_beams


# -- kernels/waves.py ------------------------------------------------------------------
def multiply_batch(waves, factor):
    out = np.array(waves)
    for b in range(out.shape[0]):
        out[b] = out[b] * factor
    return out


def intensity_sum(waves, flat_index, scale):
    out = np.zeros(waves.shape[0])
    for b in range(waves.shape[0]):
        for p in flat_index:
            out[b] += abs(complex(waves[b, p])) ** 2
    return out * scale


def propagate_rows(waves, prop, r0, r1):
    out = np.array(waves)
    for b in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[b, j] = 0 if r0 <= j < r1 else out[b, j] * prop[j]
    return out


def shifted_product(shape, spectrum, prop, shift_y, shift_x, r0, r1):
    """``out[b] = roll(spectrum, (shift_y[b], shift_x[b])) * prop`` outside rows [r0, r1)."""
    out = np.zeros(shape, dtype=np.complex64)
    for b in range(shape[0]):
        rolled = np.roll(spectrum, (int(shift_y[b]), int(shift_x[b])), axis=(0, 1))
        out[b] = rolled * prop
        out[b, r0:r1] = 0
    return out


def gather_block(smat, y0, x0, h, w):
    nb, ny, nx = smat.shape
    out = np.empty((nb, h, w), dtype=smat.dtype)
    for j in range(h):
        for i in range(w):
            out[:, j, i] = smat[:, (y0 + j) % ny, (x0 + i) % nx]
    return out


def crop_spectrum(waves, iy, ix, factor):
    out = np.empty((waves.shape[0], len(iy), len(ix)), dtype=waves.dtype)
    for j, jj in enumerate(iy):
        for i, ii in enumerate(ix):
            out[:, j, i] = waves[:, jj, ii] * factor[j, i]
    return out


def crop_windows(waves, oy, ox, h, w):
    return np.stack([waves[p, oy[p]:oy[p] + h, ox[p]:ox[p] + w] for p in range(len(oy))])


# -- kernels/potential.py --------------------------------------------------------------
def place_radial_profiles(shape, xs, ys, species, tables, drs, cutoffs, dx, dy):
    """Every atom and its 8 periodic images, radial profile linearly interpolated."""
    ny, nx = shape
    out = np.zeros(shape)
    jj, ii = np.mgrid[0:ny, 0:nx]
    lx, ly = nx * dx, ny * dy
    for x, y, s in zip(xs, ys, species):
        for sx in (-1, 0, 1):
            for sy in (-1, 0, 1):
                r = np.hypot(ii * dx - x - sx * lx, jj * dy - y - sy * ly)
                inside = r < cutoffs[s]
                grid_r = np.arange(tables.shape[1]) * drs[s]
                out[inside] += np.interp(r[inside], grid_r, tables[s])
    return out


def _half_fraction(phi_row0, phi_row1, fr, s_max, z):
    """``sign(z) phi(r, |z|) / 2`` (arrays): bilinear in the radial rows and the depth grid
    ``s_j = s_max (j/NS)^2`` (``phi = 1`` from ``s_max`` on)."""
    ns = phi_row0.shape[-1] - 1
    a = np.abs(z)
    t = ns * np.sqrt(np.minimum(a / s_max, 1.0))
    j = np.minimum(t.astype(np.int64), ns - 1)
    g = t - j
    rows = np.arange(len(j))
    v = ((1 - fr) * ((1 - g) * phi_row0[rows, j] + g * phi_row0[rows, j + 1])
         + fr * ((1 - g) * phi_row1[rows, j] + g * phi_row1[rows, j + 1]))
    v = np.where(a >= s_max, 1.0, v)
    return np.where(z < 0, -0.5, 0.5) * v


def place_finite_profiles(shape, xs, ys, zs, species, tables, drs, cutoffs, phis, dz, dx,
                          dy, r_finite):
    """Finite projection, every slab of every slice from the formula: at lateral distance
    ``r`` (each atom and its 8 periodic images) slice ``k`` gets
    ``w T(r) [psi(zb) - psi(za)]`` over its slab ``[(k - 1/2) dz, (k + 1/2) dz] - z0``
    (first slab from -inf, last to +inf) plus ``(1 - w) T(r)`` in the atom's nearest
    plane, ``w`` = 1 within ``0.75 r_finite``, 0 beyond ``r_finite``, linear between."""
    n_sl, ny, nx = shape
    out = np.zeros(shape)
    jj, ii = np.mgrid[0:ny, 0:nx]
    lx, ly = nx * dx, ny * dy
    nr = phis.shape[1] - 1
    for x, y, z0, s in zip(xs, ys, zs, species):
        rc = cutoffs[s]
        k0 = min(max(int(np.floor(z0 / dz + 0.5)), 0), n_sl - 1)
        for sx in (-1, 0, 1):
            for sy in (-1, 0, 1):
                r = np.hypot(ii * dx - x - sx * lx, jj * dy - y - sy * ly)
                inside = r < rc
                r = r[inside]
                v = np.interp(r, np.arange(tables.shape[1]) * drs[s], tables[s])
                w = np.clip((r_finite - r) / (0.25 * r_finite), 0.0, 1.0)
                s_max = np.sqrt(np.maximum(rc**2 - r**2, 4e-4 * rc**2))
                u = nr * np.sqrt(r / rc)
                ir = np.minimum(u.astype(np.int64), nr - 1)
                fr = u - ir
                psi = [np.full(r.size, -0.5)]
                for k in range(1, n_sl):
                    psi.append(_half_fraction(phis[s][ir], phis[s][ir + 1], fr, s_max,
                                              (k - 0.5) * dz - z0))
                psi.append(np.full(r.size, 0.5))
                for k in range(n_sl):
                    add = w * v * (psi[k + 1] - psi[k])
                    if k == k0:
                        add = add + (1 - w) * v
                    out[k][inside] += add
    return out


# -- kernels/noise.py ------------------------------------------------------------------
def splat_rows(image, shifts):
    ny, nx = image.shape
    out = np.zeros((ny, nx))
    for j in range(ny):
        for i in range(nx):
            x = min(max(i + shifts[j], 0.0), nx - 1.0)
            i0 = min(int(np.floor(x)), nx - 2)
            f = x - i0
            out[j, i0] += (1 - f) * image[j, i]
            out[j, i0 + 1] += f * image[j, i]
    return out


# -- physics/prism.py: the reference S-matrix --------------------------------------------
def scattering_matrix_direct(potential, microscope, interpolation, workers=None,
                             batch_size=None, downsample=True):
    """Every PRISM plane wave through full 2D FFTs (no shifted first slice, no band
    pruning): the reference of ``synthstem.physics.prism.scattering_matrix``.

    With ``downsample`` the exit waves are cropped in Fourier space to
    ``downsampled_gpts``; returns ``(S, ky, kx, A)`` like the fast version.
    """
    gpts, sampling = potential.gpts, potential.sampling
    ny, nx = gpts
    _, _, kyb, kxb, amp = prism_beams(gpts, sampling, microscope, interpolation)
    trans = potential.transmission(microscope.sigma, workers=workers)
    prop = fresnel_propagator(gpts, sampling, microscope.wavelength, potential.thickness,
                              microscope.tilt)
    x = np.arange(nx) * sampling[1]
    y = np.arange(ny) * sampling[0]
    nb = len(kxb)
    my, mx = downsampled_gpts(gpts, potential.extent, microscope, interpolation) \
        if downsample else gpts
    iy = np.fft.fftfreq(my, 1.0 / my).astype(np.int64) % ny
    ix = np.fft.fftfreq(mx, 1.0 / mx).astype(np.int64) % nx
    scale = np.float32(my * mx / (ny * nx))
    smat = np.empty((nb, my, mx), dtype=np.complex64)
    bs = batch_size or batch_size_for(gpts)
    for s in range(0, nb, bs):
        ex = np.exp(2j * np.pi * kxb[s:s + bs, None] * x[None, :]).astype(np.complex64)
        ey = np.exp(2j * np.pi * kyb[s:s + bs, None] * y[None, :]).astype(np.complex64)
        waves = ey[:, :, None] * ex[:, None, :]
        waves = transmit_and_propagate(waves, trans, prop, workers)  # reciprocal space
        waves = waves[:, iy][:, :, ix]
        smat[s:s + bs] = backend.ifft2(waves, workers) * scale
    return smat, kyb, kxb, amp


# -- physics/prism.py: the probe assembly ----------------------------------------------
def prism_scan_direct(smatrix, extent, microscope, scan_x, scan_y, interpolation, cutoff):
    """Every probe on its own: ``psi_R = sum_b c_b S_b`` on the ``(ny/f, nx/f)`` window
    centred on ``R`` (periodic indices), ``|FFT|^2`` summed over the annulus. The reference
    of ``synthstem.physics.prism.prism_scan`` (tiles, gathered blocks, GEMMs, crops)."""
    from synthstem.physics.detector import annular_mask

    smat, kyb, kxb, amp = smatrix
    nb, ny, nx = smat.shape
    dy, dx = extent[0] / ny, extent[1] / nx
    wy, wx = ny // interpolation, nx // interpolation
    phase0 = amp * np.exp(-1j * microscope.chi(kxb, kyb)) / np.sqrt(wy * wx * np.sum(amp**2))
    mask = annular_mask((wy, wx), (dy, dx), microscope.wavelength, microscope.detector, cutoff)
    image = np.empty((len(scan_y), len(scan_x)))
    for j, y in enumerate(scan_y):
        for i, x in enumerate(scan_x):
            c = phase0 * np.exp(-2j * np.pi * (kxb * x + kyb * y))
            rows = (np.arange(wy) + int(np.rint(y / dy)) - wy // 2) % ny
            cols = (np.arange(wx) + int(np.rint(x / dx)) - wx // 2) % nx
            psi = np.tensordot(c, smat[:, rows][:, :, cols].astype(np.complex128), axes=1)
            image[j, i] = np.sum(np.abs(np.fft.fft2(psi))[mask] ** 2) / (wy * wx)
    return image


# -- kernels/incoherent.py -------------------------------------------------------------
def spread_gaussians(grid0, grid1, x, y, w0, w1, width_x, width_y, half_x, half_y):
    """Each point's truncated Gaussian evaluated on its own window, added with np.add.at."""
    g0, g1 = np.array(grid0, dtype=np.float64), np.array(grid1, dtype=np.float64)
    ny, nx = g0.shape
    for a in range(len(x)):
        ci, cj = int(np.floor(x[a] + 0.5)), int(np.floor(y[a] + 0.5))
        i = np.arange(ci - half_x[a], ci + half_x[a] + 1)
        j = np.arange(cj - half_y[a], cj + half_y[a] + 1)
        g = np.exp(-((i[None, :] - x[a]) ** 2) / (2 * width_x[a] ** 2)
                   - ((j[:, None] - y[a]) ** 2) / (2 * width_y[a] ** 2))
        jj, ii = np.meshgrid(j % ny, i % nx, indexing="ij")
        np.add.at(g0, (jj, ii), w0[a] * g)
        np.add.at(g1, (jj, ii), w1[a] * g)
    return g0, g1
