"""The incoherent model of a HAADF image (``simulate(method="incoherent")``).

Model (docs/physics.md, "incoherent")::

    I(R) = sum_a sigma_a [P_{z_a} * G_{u_a}](R - r_a)

- ``sigma_a`` [Angstrom^2]: the atom's HAADF cross-section for the detector annulus
  (``physics.cross_sections``: ``gamma^2 integral |f_e|^2 dOmega``, damping "atom" or "tds").
- ``P_z`` [1/Angstrom^2]: the aberrated probe intensity (unit integral) at the atom's
  depth ``z`` below the entrance plane ``z = 0`` of the cell (where multislice starts):
  free propagation by ``z`` turns ``chi``'s defocus term into ``defocus - z`` (optics.py:
  ``C10 = -defocus``, positive defocus focuses the probe ``defocus`` Angstrom inside),
  averaged over the focal-spread defoci. Depth is resolved on planes ``DELTA`` apart
  (``slab_thickness``, default ``depth_of_field / SLAB_DIVISOR``); an atom between two
  planes is split linearly between them (so the probe is interpolated linearly in depth).
- ``G_u``: a Gaussian of the atom's in-plane RMS thermal displacement ``u_a`` (the exact
  frozen-phonon average of an incoherent image); ``simulate`` adds the source-size blur.
- Specimen mistilt (``Microscope.tilt_x, tilt_y``): the probe at depth ``z`` is displaced
  by ``z tan(tilt)`` relative to the atoms, as multislice's tilted propagator.
- No channelling, no dynamical scattering, no absorption: every atom sees the vacuum probe.

Evaluation: Fourier series on the scan grid, band-limited to ``2 alpha / lambda``. Per
depth plane the atoms' ``sigma_a`` are spread onto a periodic grid (spacing ``h <= lambda /
(8 alpha)``, twice the band's Nyquist rate) with Gaussians of variance ``s0^2 + u_a^2``
(``s0^2 = SPREAD_VAR h^2``, cut at ``SPREAD_CUT`` standard deviations; numba kernel
``kernels.incoherent.spread_gaussians``), transformed (rfft2), cropped to the band,
divided by the spreading Gaussian ``exp(-2 pi^2 s0^2 k^2)`` (Gaussian gridding, Greengard &
Lee 2004: aliasing and truncation errors ``exp(-pi^2 SPREAD_VAR) ~ 1e-6`` relative),
multiplied by the plane's probe-intensity spectrum and summed; one inverse FFT.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import scipy.fft

from ..kernels.incoherent import spread_gaussians
from .optics import fft_friendly

#: full width at half maximum of the on-axis intensity of an aberration-free probe along z
#: in units of ``lambda / alpha^2`` (Born & Wolf: ``sinc^2(u / 4)`` at half maximum)
DOF_FACTOR = 1.77
#: default depth-plane spacing = depth of field / SLAB_DIVISOR (benchmarks/INCOHERENT.md)
SLAB_DIVISOR = 8
#: spreading Gaussian variance in grid steps^2: ``6 / (pi sqrt 2)`` balances aliasing and
#: truncation at a half-width of 6 steps (errors ~ exp(-13.3) = 1.6e-6 relative)
SPREAD_VAR = 6.0 / (math.pi * math.sqrt(2.0))
#: the spreading Gaussians are cut at this many of their standard deviations
SPREAD_CUT = 5.2
#: spreading grid oversampling relative to the band's Nyquist rate
OVERSAMPLING = 2


def depth_of_field(microscope):
    """Depth of field [Angstrom]: ``DOF_FACTOR * lambda / alpha^2``."""
    return DOF_FACTOR * microscope.wavelength / (microscope.convergence * 1e-3) ** 2


def default_slab_thickness(microscope):
    """Default spacing [Angstrom] of the depth planes: ``depth_of_field / SLAB_DIVISOR``."""
    return depth_of_field(microscope) / SLAB_DIVISOR


def band_limit(microscope):
    """Highest spatial frequency [1/Angstrom] of a HAADF image: ``2 alpha / lambda``."""
    return 2 * microscope.convergence * 1e-3 / microscope.wavelength


def _scan_freqs(n, length):
    m = np.fft.fftfreq(n, 1.0 / n).astype(int)
    return m, m / length


@lru_cache(maxsize=4)
def _aperture_probe(microscope, gy, gx, ly, lx):
    """Indices inside the aperture, the probe coefficients there, their ``|k|^2``."""
    base = microscope.probe_k((gy, gx), (ly / gy, lx / gx), dtype=np.complex128)
    kyp, kxp = np.fft.fftfreq(gy, ly / gy), np.fft.fftfreq(gx, lx / gx)
    inside = np.nonzero(base)
    return inside, base[inside], (kyp[inside[0]] ** 2 + kxp[inside[1]] ** 2)


def probe_intensity_spectrum(microscope, defoci, weights, scan_shape, extent, workers=None):
    """Fourier coefficients of the probe intensity on the scan grid, rfft layout.

    ``P_hat(k) = integral |psi(r)|^2 exp(-2 pi i k.r) d^2r`` (``P_hat(0) = 1``) averaged over
    ``defoci`` [Angstrom] with ``weights``, at the frequencies ``(m_y / Ly, m_x / Lx)`` of
    the ``scan_shape`` grid (``|m| < n / 2``; higher ones are 0). Shape ``(ny, nx // 2 + 1)``.
    """
    from dataclasses import replace

    ly, lx = extent
    nsy, nsx = scan_shape
    kb = band_limit(microscope)
    # |psi|^2 has frequencies up to kb: a grid of > 2 kb L points holds them without aliasing
    gy = max(fft_friendly(2 * math.ceil(kb * ly) + 2), nsy)
    gx = max(fft_friendly(2 * math.ceil(kb * lx) + 2), nsx)
    # the defocus term of chi is -pi lambda C10 |k|^2 = pi lambda defocus |k|^2: one
    # aberrated probe at defocus 0, times exp(i pi lambda d |k|^2) per defocus d
    inside, base, k2 = _aperture_probe(replace(microscope, defocus=0.0), gy, gx, ly, lx)
    lam = microscope.wavelength
    spec = np.zeros((gy, gx // 2 + 1), dtype=np.complex128)
    for d, w in zip(defoci, weights):
        psi_k = np.zeros((gy, gx), dtype=np.complex128)
        psi_k[inside] = base * np.exp(1j * np.pi * lam * float(d) * k2)
        psi = scipy.fft.ifft2(psi_k, workers=workers)
        spec += w * scipy.fft.rfft2(psi.real**2 + psi.imag**2, workers=workers)
    my, _ = _scan_freqs(nsy, ly)
    mx = np.arange(nsx // 2 + 1)
    out = spec[np.ix_(my % gy, np.minimum(mx, gx // 2))]
    out[np.abs(my) >= nsy / 2, :] = 0
    out[:, mx >= nsx / 2] = 0
    out[:, mx > gx // 2] = 0
    return out


def _planes(z, slab):
    """Plane index below each atom, its linear weight on the next plane, plane depths."""
    t = np.asarray(z, dtype=np.float64) / slab
    j = np.floor(t)
    frac = t - j
    j0 = int(j.min()) if len(t) else 0
    index = (j - j0).astype(np.int64)
    n_planes = (int(index.max()) + 2) if len(t) else 1
    return index, frac, (j0 + np.arange(n_planes)) * slab


def incoherent_image(positions, sigma, blur, microscope, scan_shape, extent, defoci=None,
                     focal_weights=None, slab_thickness=None, workers=None):
    """Incoherent image on the scan grid [fraction of the beam] (module docstring).

    Parameters
    ----------
    positions : (n, 3) float [Angstrom]
        Atom positions; ``z`` is the depth below the entrance plane ``z = 0``.
    sigma : (n,) float [Angstrom^2]
        HAADF cross-section of each atom (``cross_sections.haadf_cross_section``).
    blur : (n,) float [Angstrom]
        In-plane RMS thermal displacement per axis of each atom (0: a point).
    microscope : Microscope
        Optics (aberrations, defocus, convergence); the detector is in ``sigma``.
    scan_shape : (ny, nx)
        Scan grid; pixel ``(j, i)`` is the probe at ``(i Lx / nx, j Ly / ny)``.
    extent : (Ly, Lx) [Angstrom]
        Periodic field of view.
    defoci, focal_weights : sequences, optional
        Focal-spread average (``Microscope.focal_series``); default the microscope's defocus.
    slab_thickness : float, optional
        Depth-plane spacing [Angstrom]; default ``default_slab_thickness(microscope)``.
    workers : int, optional
        FFT threads (the image does not depend on it).

    Returns
    -------
    image : (ny, nx) float64
    info : dict (``slab_thickness``, ``n_planes``, ``spread_gpts``, ``spread_sigma``)
    """
    ly, lx = (float(v) for v in extent)
    nsy, nsx = (int(v) for v in scan_shape)
    positions = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    sigma = np.asarray(sigma, dtype=np.float64)
    blur = np.asarray(blur, dtype=np.float64)
    if defoci is None:
        defoci, focal_weights = [microscope.defocus], [1.0]
    slab = default_slab_thickness(microscope) if slab_thickness is None else float(slab_thickness)
    if not (math.isfinite(slab) and slab > 0):
        raise ValueError(f"slab_thickness must be > 0 Angstrom, got {slab_thickness}")
    kb = band_limit(microscope)
    ngy = fft_friendly(max(OVERSAMPLING * (2 * math.ceil(kb * ly) + 2), nsy))
    ngx = fft_friendly(max(OVERSAMPLING * (2 * math.ceil(kb * lx) + 2), nsx))
    hy, hx = ly / ngy, lx / ngx
    h = max(hy, hx)
    s0 = math.sqrt(SPREAD_VAR) * h
    width = np.sqrt(s0**2 + blur**2)
    info = {"slab_thickness": slab, "spread_gpts": [ngy, ngx], "spread_sigma": s0,
            "depth_of_field": depth_of_field(microscope)}
    spectrum = np.zeros((nsy, nsx // 2 + 1), dtype=np.complex128)
    if len(positions) == 0:
        info["n_planes"] = 0
        return np.zeros((nsy, nsx)), info
    index, frac, depths = _planes(positions[:, 2], slab)
    info["n_planes"] = len(depths)
    info["plane_depths"] = [float(depths[0]), float(depths[-1])]
    my, ky = _scan_freqs(nsy, ly)
    mx = np.arange(nsx // 2 + 1)
    kx = mx / lx
    k2 = ky[:, None] ** 2 + kx[None, :] ** 2
    # the spreading grid's points are (i hx, j hy); an isotropic Gaussian of s0 [Angstrom]
    deconv = np.exp(2 * np.pi**2 * s0**2 * k2) * (hx * hy)
    band = (np.abs(my)[:, None] < nsy / 2) & (mx[None, :] < nsx / 2)
    rows = my % ngy
    # specimen mistilt: the probe at depth z is displaced by z tan(tilt) (optics.py)
    tx, ty = (math.tan(t * 1e-3) for t in microscope.tilt)
    xg = np.mod(positions[:, 0] - positions[:, 2] * tx, lx) / hx
    yg = np.mod(positions[:, 1] - positions[:, 2] * ty, ly) / hy
    # by plane, then by row (memory order for the kernel)
    order = np.lexsort((np.floor(yg), index))
    starts = np.searchsorted(index[order], np.arange(len(depths) + 1))
    wx, wy = width / hx, width / hy  # in grid steps
    halfx = np.ceil(SPREAD_CUT * wx).astype(np.int64)
    halfy = np.ceil(SPREAD_CUT * wy).astype(np.int64)
    norm = sigma / (2 * np.pi * width**2)
    grid, upper = np.zeros((ngy, ngx)), np.zeros((ngy, ngx))
    touched = False
    for p in range(len(depths)):
        sel = order[starts[p]:starts[p + 1]]  # atoms between planes p and p + 1
        if len(sel):
            spread_gaussians(grid, upper, xg[sel], yg[sel], norm[sel] * (1.0 - frac[sel]),
                             norm[sel] * frac[sel], wx[sel], wy[sel], halfx[sel], halfy[sel])
            touched = True
        if touched:
            s = scipy.fft.rfft2(grid, workers=workers)[np.ix_(rows, mx)]
            pspec = probe_intensity_spectrum(microscope, np.asarray(defoci) - depths[p],
                                             focal_weights, (nsy, nsx), (ly, lx), workers)
            spectrum += s * deconv * pspec
        grid, upper = upper, grid
        upper[:] = 0.0
        touched = len(sel) > 0
    spectrum[~band] = 0
    image = scipy.fft.irfft2(spectrum, s=(nsy, nsx), workers=workers) * (nsy * nsx) / (lx * ly)
    return image, info


def incoherent_inputs(atoms, microscope, parametrization, damping, phonons, phonon_rms):
    """Per-atom cross-sections [Angstrom^2] and thermal blurs [Angstrom], and their record.

    The thermal RMS per axis of each atom is the in-plane mean of its displacement tensor
    (``atoms.arrays['synthstem_adp']``, ``sqrt((Uxx + Uyy) / 2)``) where it has one, else
    ``phonon_rms``. With ``phonons = 0`` each atom is blurred by that Gaussian (the exact
    thermal average); with ``phonons > 0`` the displaced configurations carry the thermal
    motion and the blur is 0. ``damping="tds"`` uses the same RMS in ``1 - exp(-2M)``.
    """
    from ase.data import chemical_symbols

    from ..structures.thermal import ADP_KEY, rms_per_atom
    from .cross_sections import DAMPING, haadf_cross_section
    from . import parametrization as param

    if damping not in DAMPING:
        raise ValueError(f"incoherent_damping must be one of {DAMPING}, got {damping!r}")
    numbers = atoms.get_atomic_numbers()
    present, inverse = np.unique(numbers, return_inverse=True)
    rms = rms_per_atom([chemical_symbols[z] for z in present], phonon_rms,
                       "phonon_rms")[inverse.ravel()]
    adp = atoms.arrays.get(ADP_KEY)
    if adp is not None:
        adp = np.asarray(adp, dtype=np.float64).reshape(len(atoms), 3, 3)
        has = np.abs(adp).reshape(len(atoms), -1).max(axis=1) > 0
        rms[has] = np.sqrt(np.clip((adp[has, 0, 0] + adp[has, 1, 1]) / 2, 0, None))
    rms = np.round(rms, 6)
    micro = np.rint(rms * 1e6).astype(np.int64) if damping == "tds" else 0 * numbers
    keys, inverse = np.unique(numbers.astype(np.int64) << 40 | micro, return_inverse=True)
    table, values = {}, np.empty(len(keys))
    for k, key in enumerate(keys):
        z, u = int(key) >> 40, (int(key) & (2**40 - 1)) * 1e-6
        s = chemical_symbols[int(z)]
        values[k] = haadf_cross_section(s, microscope.energy, microscope.detector,
                                        parametrization, damping, float(u))
        table[s if damping == "atom" else f"{s}@{u:g}A"] = values[k]
    sigma = values[inverse.ravel()]
    sums = np.bincount(numbers, weights=rms)
    counts = np.bincount(numbers)
    mean_rms = {chemical_symbols[z]: float(sums[z] / counts[z]) for z in np.flatnonzero(counts)}
    blur = np.zeros(len(atoms)) if phonons else rms
    record = {
        "model": "sum_a sigma_a [P_z(a) * G_u(a)](R - r_a): depth-resolved probe intensity, "
                 "per-element annular-detector cross-sections, no channelling",
        "cross_sections": table,
        "cross_section_source": "gamma^2 * integral over the detector annulus of |f_e(q)|^2 "
                                f"dOmega, f_e: {parametrization} "
                                f"({param.reference(parametrization)})",
        "damping": damping,
        "thermal_blur": "configurations" if phonons else "analytic Gaussian",
        "thermal_rms": mean_rms,
        "source_size": microscope.source_size,
    }
    return sigma, blur, record
