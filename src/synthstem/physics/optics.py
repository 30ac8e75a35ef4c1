"""Microscope optics: relativistic wavelength, interaction constant, aberrations, probe.

Conventions
-----------
- Aberration phase (Krivanek notation, abTEM sign convention)::

      chi(alpha, phi) = 2 pi / lambda * [ C10 alpha^2 / 2
                                         + C12 alpha^2 / 2 cos(2 (phi - phi12))
                                         + C21 alpha^3 / 3 cos(phi - phi21)
                                         + C23 alpha^3 / 3 cos(3 (phi - phi23))
                                         + C30 alpha^4 / 4 + C50 alpha^6 / 6 ]

  with ``C10 = -defocus`` (positive defocus = underfocus, the Scherzer side for Cs > 0),
  ``C30 = Cs``, ``C50 = C5``, ``C12 = astigmatism``, ``C21 = coma`` (axial coma).
  Probe in reciprocal space:
  ``psi(k) = A(k) exp(-i chi(k)) exp(-2 pi i k.R)`` with ``A`` the condenser aperture
  ``lambda |k| <= convergence``, its edge softened over one reciprocal grid step so that
  the discrete aperture has the area of the disc (abTEM's convention).
- The probe is normalised so that ``sum |psi(x)|^2 = 1`` over the grid.
- ``source_size`` is the standard deviation [Angstrom] of a Gaussian source; it blurs
  the final image (partial spatial coherence in the incoherent-source approximation).
- ``focal_spread`` is the standard deviation [Angstrom] of a Gaussian distribution of
  defocus (partial temporal coherence, ``Cc dE / E``; its 1/e half-width is ``sqrt(2)``
  times larger): the image is the Gauss-Hermite weighted average of the images at the
  defoci of ``focal_series`` (an incoherent sum over defocus).
- ``tilt_x, tilt_y`` [mrad] are the specimen mistilt: the beam direction relative to the
  specimen's z axis. Multislice and PRISM use the tilted Fresnel propagator
  ``exp(-i pi lambda dz k^2 - 2 pi i dz (kx tan tilt_x + ky tan tilt_y))`` (abTEM's), i.e.
  the wave drifts by ``dz tan(tilt)`` per slice relative to the atoms (a small-angle
  approximation; |tilt| <= ``MAX_TILT``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from ase.units import _c, _e, _hplanck, _me
from scipy.fft import next_fast_len

#: fraction of the Nyquist frequency kept by the antialias aperture
ANTIALIAS = 2.0 / 3.0
#: largest specimen mistilt [mrad] accepted (the tilted propagator is a small-angle model)
MAX_TILT = 50.0


def wavelength(energy):
    """Relativistic electron wavelength [Angstrom] at acceleration voltage ``energy`` [eV]."""
    energy = float(energy)
    if not energy > 0:
        raise ValueError(f"energy must be > 0 eV, got {energy}")
    e = energy * _e
    return _hplanck * _c / math.sqrt(e * (2 * _me * _c**2 + e)) * 1e10


def interaction_constant(energy):
    """Relativistic interaction constant sigma [rad / (V Angstrom)].

    ``sigma = 2 pi m e lambda / h^2`` with the relativistic mass ``m = gamma m0``, so that
    the transmission function of a slice is ``exp(i sigma v_z)`` with ``v_z`` in [V Angstrom].
    """
    lam = wavelength(energy) * 1e-10
    gamma = 1 + float(energy) * _e / (_me * _c**2)
    return 2 * math.pi * gamma * _me * _e * lam / _hplanck**2 * 1e-10


@dataclass(frozen=True)
class Microscope:
    """Probe-forming optics and annular detector of a STEM.

    Parameters
    ----------
    energy : float
        Acceleration voltage [eV], > 0. Default 200e3.
    convergence : float
        Probe semi-angle [mrad], > 0. Default 20.
    defocus : float
        Defocus [Angstrom] (``C10 = -defocus``; positive = underfocus). Default 0.
    Cs : float
        Third-order spherical aberration C30 [Angstrom]. Default 0.
    C5 : float
        Fifth-order spherical aberration C50 [Angstrom]. Default 0.
    astigmatism : float
        Two-fold astigmatism C12 magnitude [Angstrom]; ``astigmatism_angle`` [rad].
    C23 : float
        Three-fold astigmatism magnitude [Angstrom]; ``C23_angle`` [rad].
    coma : float
        Axial coma C21 magnitude [Angstrom]; ``coma_angle`` [rad].
    source_size : float
        Gaussian standard deviation of the effective source [Angstrom], >= 0.
    focal_spread : float
        Standard deviation of the defocus distribution [Angstrom], >= 0 (partial temporal
        coherence; 0 = fully coherent).
    tilt_x, tilt_y : float
        Specimen mistilt [mrad], ``|tilt| <= MAX_TILT``: beam direction relative to the
        specimen's z axis (tilted Fresnel propagator).
    detector : tuple of float
        Inner and outer collection semi-angles of the annular detector [mrad],
        ``0 <= inner < outer``. Default (100, 150).
    """

    energy: float = 200e3
    convergence: float = 20.0
    defocus: float = 0.0
    Cs: float = 0.0
    C5: float = 0.0
    astigmatism: float = 0.0
    astigmatism_angle: float = 0.0
    C23: float = 0.0
    C23_angle: float = 0.0
    source_size: float = 0.0
    detector: tuple = field(default=(100.0, 150.0))
    focal_spread: float = 0.0
    tilt_x: float = 0.0
    tilt_y: float = 0.0
    coma: float = 0.0
    coma_angle: float = 0.0

    def __post_init__(self):
        for name in ("energy", "convergence", "defocus", "Cs", "C5", "astigmatism",
                     "astigmatism_angle", "C23", "C23_angle", "source_size", "focal_spread",
                     "tilt_x", "tilt_y", "coma", "coma_angle"):
            value = getattr(self, name)
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be a number, got {value!r}") from None
            if not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value}")
            object.__setattr__(self, name, value)
        if self.energy <= 0:
            raise ValueError(f"energy must be > 0 eV, got {self.energy}")
        if self.convergence <= 0:
            raise ValueError(f"convergence must be > 0 mrad, got {self.convergence}")
        if self.source_size < 0:
            raise ValueError(f"source_size must be >= 0 Angstrom, got {self.source_size}")
        if self.focal_spread < 0:
            raise ValueError(f"focal_spread must be >= 0 Angstrom, got {self.focal_spread}")
        for name in ("tilt_x", "tilt_y"):
            if abs(getattr(self, name)) > MAX_TILT:
                raise ValueError(f"{name} must be within +-{MAX_TILT:g} mrad (small-angle "
                                 f"tilted propagator), got {getattr(self, name)}")
        try:
            inner, outer = (float(v) for v in self.detector)
        except (TypeError, ValueError):
            raise ValueError(
                f"detector must be (inner, outer) in mrad, got {self.detector!r}"
            ) from None
        if not (math.isfinite(inner) and math.isfinite(outer)):
            raise ValueError(f"detector angles must be finite, got {self.detector!r}")
        if inner < 0:
            raise ValueError(f"detector inner angle must be >= 0 mrad, got {inner}")
        if outer <= inner:
            raise ValueError(
                f"detector outer angle must be > inner angle, got detector=({inner}, {outer})"
            )
        object.__setattr__(self, "detector", (inner, outer))

    # -- derived quantities -------------------------------------------------------------
    @property
    def wavelength(self):
        """Relativistic wavelength [Angstrom]."""
        return wavelength(self.energy)

    @property
    def sigma(self):
        """Interaction constant [rad / (V Angstrom)]."""
        return interaction_constant(self.energy)

    def to_dict(self):
        """JSON-safe dict of all parameters."""
        d = asdict(self)
        d["detector"] = list(self.detector)
        return d

    @property
    def tilt(self):
        """Specimen mistilt ``(tilt_x, tilt_y)`` [mrad]."""
        return (self.tilt_x, self.tilt_y)

    def focal_series(self, points):
        """Defoci [Angstrom] and weights (sum 1) of the focal-spread average.

        Gauss-Hermite quadrature of a normal distribution of defocus with mean
        ``defocus`` and standard deviation ``focal_spread``: ``points`` nodes
        (``numpy.polynomial.hermite_e.hermegauss``), exact for polynomials in defocus
        up to degree ``2 points - 1``. Without focal spread: ``([defocus], [1.0])``.
        """
        if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points < 1:
            raise ValueError(f"focal_points must be an integer >= 1, got {points!r}")
        if self.focal_spread == 0 or points == 1:
            return np.array([self.defocus]), np.array([1.0])
        nodes, weights = np.polynomial.hermite_e.hermegauss(int(points))
        return self.defocus + self.focal_spread * nodes, weights / weights.sum()

    def max_sampling(self):
        """Largest real-space sampling [Angstrom] that keeps the detector's outer angle
        (and the aperture) inside the antialiased band ``2/3`` of Nyquist."""
        angle = max(self.detector[1], self.convergence) * 1e-3
        return ANTIALIAS * self.wavelength / (2 * angle)

    def scan_sampling(self):
        """Nyquist scan step [Angstrom] of the HAADF image: ``lambda / (4 alpha)``.

        The image is band-limited to ``2 alpha / lambda`` (autocorrelation of the aperture).
        """
        return self.wavelength / (4 * self.convergence * 1e-3)

    # -- reciprocal space ---------------------------------------------------------------
    def chi(self, kx, ky):
        """Aberration phase [rad] at spatial frequencies ``kx, ky`` [1/Angstrom]."""
        lam = self.wavelength
        ax = np.asarray(kx) * lam
        ay = np.asarray(ky) * lam
        a2 = ax**2 + ay**2
        phi = np.arctan2(ay, ax)
        c10 = -self.defocus
        chi = 0.5 * a2 * (c10 + self.astigmatism * np.cos(2 * (phi - self.astigmatism_angle)))
        if self.C23:
            chi = chi + self.C23 / 3 * a2**1.5 * np.cos(3 * (phi - self.C23_angle))
        if self.coma:
            chi = chi + self.coma / 3 * a2**1.5 * np.cos(phi - self.coma_angle)
        if self.Cs:
            chi = chi + self.Cs / 4 * a2**2
        if self.C5:
            chi = chi + self.C5 / 6 * a2**3
        return 2 * np.pi / lam * chi

    def aperture(self, kx, ky, dk=None):
        """Condenser aperture weights in [0, 1] at spatial frequencies ``kx, ky``.

        With ``dk = (dky, dkx)`` [1/Angstrom], the reciprocal grid spacing, the edge is
        soft: the weight falls linearly from 1 to 0 over one grid step across the edge
        (``clip((alpha_c - alpha) / d_alpha + 1/2, 0, 1)``, as abTEM), so that the
        discrete aperture has the area of the continuous disc. Without ``dk`` it is hard:
        ``lambda |k| <= convergence``.
        """
        kx, ky = np.asarray(kx, dtype=np.float64), np.asarray(ky, dtype=np.float64)
        lam = self.wavelength
        alpha = np.hypot(kx, ky) * lam
        cutoff = self.convergence * 1e-3
        if dk is None:
            return (alpha <= cutoff * (1 + 1e-9)).astype(np.float64)
        phi = np.arctan2(ky, kx)
        step = np.hypot(np.cos(phi) * dk[1], np.sin(phi) * dk[0]) * lam
        return np.clip((cutoff - alpha) / step + 0.5, 0.0, 1.0)

    def probe_k(self, gpts, sampling, positions=None, dtype=np.complex64):
        """Probe wave function(s) in reciprocal space on an FFT grid (unshifted order).

        Parameters
        ----------
        gpts : (ny, nx)
        sampling : (dy, dx) [Angstrom]
        positions : (n, 2) array of (x, y) [Angstrom] or None (probe at the origin)

        Returns
        -------
        (ny, nx) or (n, ny, nx) complex array whose inverse FFT (scipy convention) is
        normalised to ``sum |psi(x)|^2 = 1``.
        """
        ny, nx = gpts
        ky, kx = spatial_frequencies(gpts, sampling)
        kx2, ky2 = kx[None, :], ky[:, None]
        dk = (1.0 / (ny * sampling[0]), 1.0 / (nx * sampling[1]))
        base = self.aperture(kx2, ky2, dk) * np.exp(-1j * self.chi(kx2, ky2))
        norm = np.sqrt(np.sum(np.abs(base) ** 2))
        if norm == 0:
            raise ValueError(
                "convergence: the aperture contains no Fourier component at this sampling"
            )
        # ifft divides by N: psi(x) = 1/N sum psi(k) e^{..}; sum|psi(x)|^2 = sum|psi(k)|^2/N
        base = base * (math.sqrt(nx * ny) / norm)
        if positions is None:
            return base.astype(dtype)
        pos = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
        phx = np.exp(-2j * np.pi * kx[None, :] * pos[:, 0:1])
        phy = np.exp(-2j * np.pi * ky[None, :] * pos[:, 1:2])
        return (base[None] * phy[:, :, None] * phx[:, None, :]).astype(dtype)

    def probe(self, gpts, sampling, position=(0.0, 0.0)):
        """Probe wave function in real space (ny, nx), ``sum |psi|^2 = 1``."""
        from scipy.fft import ifft2

        return ifft2(self.probe_k(gpts, sampling, [position], dtype=np.complex128)[0])


def spatial_frequencies(gpts, sampling):
    """FFT-ordered spatial frequencies ``(ky, kx)`` [1/Angstrom]."""
    ny, nx = gpts
    dy, dx = sampling
    return np.fft.fftfreq(ny, dy), np.fft.fftfreq(nx, dx)


def _is_smooth(n, primes=(2, 3, 5)):
    for p in primes:
        while n % p == 0:
            n //= p
    return n == 1


def fft_friendly(n_min, multiple=1):
    """Smallest 5-smooth integer >= ``n_min`` that is a multiple of ``multiple``."""
    n = max(int(math.ceil(n_min)), 1)
    n = -(-n // multiple) * multiple
    while not _is_smooth(n):
        n += multiple
    return n


def choose_gpts(length, max_sampling, multiple=1):
    """Grid points along one axis of ``length`` [Angstrom] with sampling <= ``max_sampling``."""
    return fft_friendly(length / max_sampling * (1 - 1e-12), multiple)


__all__ = ["Microscope", "wavelength", "interaction_constant", "spatial_frequencies",
           "fft_friendly", "choose_gpts", "next_fast_len", "ANTIALIAS"]
