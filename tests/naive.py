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
