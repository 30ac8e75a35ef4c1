"""HAADF cross-sections of single atoms from the electron scattering factors.

The fraction of a probe that an atom scatters onto an annular detector is, in the
incoherent (local, first Born) approximation, ``sigma |psi(r_atom)|^2`` with the
cross-section [Angstrom^2]

    sigma = gamma^2 integral_annulus |f_e(q)|^2 D(q) dOmega
          = 2 pi gamma^2 lambda^2 integral_{q1}^{q2} |f_e(q)|^2 D(q) q dq

- ``f_e(q)`` [Angstrom]: the tabulated (rest-mass) electron scattering factor
  (``physics.parametrization``, Lobato or Kirkland); ``gamma f_e`` is the relativistic
  scattering amplitude (``gamma = 1 + e E / (m0 c^2)``), so ``|f|^2 = gamma^2 |f_e|^2``.
  Equivalently ``gamma lambda f_e = sigma_int * C f_e`` is the weak-phase amplitude that
  multislice gives (``sigma_int`` the interaction constant, ``C f_e`` the transformed
  projected potential): multislice and this model share the same first-order physics.
- ``q = theta / lambda`` (paraxial, as the multislice detector: ``inner <= lambda |k| <
  outer``); ``dOmega = lambda^2 d^2q`` (small angle; ``sin theta`` vs ``theta`` differs by
  0.4 % at 150 mrad). ``q1, q2`` from the detector's inner and outer angles [mrad].
- ``D(q)``, thermal damping, two named forms:

  * ``"atom"`` (default): ``D = 1``. An isolated atom (single atoms, amorphous films, atoms
    without crystalline neighbours in line) scatters ``|f|^2`` whatever its position;
    thermal motion only blurs where it is (the image model convolves each atom with a
    Gaussian of its RMS displacement, ``physics.incoherent``).
  * ``"tds"``: ``D = 1 - exp(-2M)``, ``2M = 4 pi^2 <u^2> q^2`` (``<u^2>`` the mean-square
    displacement per axis, ``B = 8 pi^2 <u^2>``): the thermal-diffuse (Einstein model)
    part of the scattering of an atom in a crystal, where the remaining Bragg part
    ``exp(-2M) |f|^2`` is taken as not collected incoherently (Pennycook & Jesson 1991;
    Kirkland 2010 ch. 5).

The integral is a Gauss-Legendre quadrature (``QUAD_NODES`` nodes on ``[q1, q2]``, the
integrand is smooth), cached per (element, energy, angles, table, damping, rms);
``tests/physics/test_incoherent_cross_sections.py`` compares it with a Riemann sum over a
Cartesian grid of the annulus and with Parseval's theorem on the projected potential.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from ase.units import _c, _e, _me

from . import parametrization as param
from .optics import wavelength

__all__ = ["DAMPING", "QUAD_NODES", "haadf_cross_section", "cross_section_table", "gamma"]

#: thermal damping forms of ``haadf_cross_section`` (module docstring)
DAMPING = ("atom", "tds")
#: Gauss-Legendre nodes of the annulus integral (converged to < 1e-10 relative)
QUAD_NODES = 96


def gamma(energy):
    """Relativistic factor ``1 + e E / (m0 c^2)`` at acceleration voltage ``energy`` [eV]."""
    return 1.0 + float(energy) * _e / (_me * _c**2)


def _check(energy, detector, damping, rms):
    energy = float(energy)
    if not (math.isfinite(energy) and energy > 0):
        raise ValueError(f"energy must be > 0 eV, got {energy}")
    try:
        inner, outer = (float(v) for v in detector)
    except (TypeError, ValueError):
        raise ValueError(f"detector must be (inner, outer) in mrad, got {detector!r}") from None
    if not (math.isfinite(inner) and 0 <= inner < outer):
        raise ValueError(f"detector must satisfy 0 <= inner < outer mrad, got {detector!r}")
    if damping not in DAMPING:
        raise ValueError(f"damping must be one of {DAMPING}, got {damping!r}")
    rms = float(rms)
    if not (math.isfinite(rms) and rms >= 0):
        raise ValueError(f"rms must be finite and >= 0 Angstrom, got {rms}")
    return energy, inner, outer, rms


def haadf_cross_section(element, energy=200e3, detector=(100.0, 150.0),
                        parametrization="lobato", damping="atom", rms=0.0):
    """Cross-section [Angstrom^2] of one atom for an annular detector (module docstring).

    Parameters
    ----------
    element : str or int
        Chemical symbol or atomic number.
    energy : float
        Acceleration voltage [eV].
    detector : (float, float)
        Inner and outer semi-angles [mrad]; ``outer = inf`` integrates to all angles.
    parametrization : {"lobato", "kirkland"}
        Scattering-factor table.
    damping : {"atom", "tds"}
        ``"atom"``: ``|f|^2``; ``"tds"``: ``|f|^2 (1 - exp(-4 pi^2 rms^2 q^2))``.
    rms : float
        RMS displacement per axis [Angstrom] (used by ``"tds"`` only).

    Returns
    -------
    float
        ``sigma`` such that the detected fraction of a probe of intensity density
        ``P(r)`` [1/Angstrom^2] at the atom is ``sigma P``.
    """
    energy, inner, outer, rms = _check(energy, detector, damping, rms)
    symbol = param._symbol(element)
    param.parameters(symbol, parametrization)  # names a missing element
    if damping == "atom":
        rms = 0.0
    return _cross_section(symbol, energy, inner, outer, str(parametrization).lower(),
                          damping, round(rms, 6))


@lru_cache(maxsize=4096)
def _cross_section(symbol, energy, inner, outer, parametrization, damping, rms):
    lam = wavelength(energy)
    nodes, weights = np.polynomial.legendre.leggauss(QUAD_NODES)
    if math.isinf(outer):  # q = q1 + t / (1 - t), t in [0, 1)
        q1 = inner * 1e-3 / lam
        t = 0.5 * (nodes + 1)
        q = q1 + t / (1 - t)
        w = 0.5 * weights / (1 - t) ** 2
    else:
        q1, q2 = inner * 1e-3 / lam, outer * 1e-3 / lam
        q = 0.5 * (q2 - q1) * nodes + 0.5 * (q2 + q1)
        w = 0.5 * (q2 - q1) * weights
    f = param.scattering_factor(symbol, q, parametrization)
    integrand = f**2 * q
    if damping == "tds":
        integrand = integrand * -np.expm1(-4 * np.pi**2 * rms**2 * q**2)
    return float(2 * np.pi * gamma(energy) ** 2 * lam**2 * np.sum(w * integrand))


def cross_section_table(elements, microscope, parametrization="lobato", damping="atom",
                        rms=None):
    """``{symbol: sigma [Angstrom^2]}`` for a microscope's energy and detector.

    ``rms``: ``{symbol: RMS per axis [Angstrom]}`` for ``damping="tds"``.
    """
    out = {}
    for element in elements:
        symbol = param._symbol(element)
        u = 0.0 if rms is None else float(rms.get(symbol, 0.0))
        out[symbol] = haadf_cross_section(symbol, microscope.energy, microscope.detector,
                                          parametrization, damping, u)
    return out

