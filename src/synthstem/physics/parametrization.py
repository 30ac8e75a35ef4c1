"""Electron scattering factors and their analytic projected potentials.

Two published parametrizations are bundled in ``data/scattering_parameters.json``:

- ``"lobato"`` (default): I. Lobato and D. Van Dyck, Acta Cryst. A70 (2014) 636-649,
  ``f_e(g) = sum_{i=1..5} a_i (2 + b_i g^2) / (1 + b_i g^2)^2``.
- ``"kirkland"``: E. J. Kirkland, Advanced Computing in Electron Microscopy, 2nd ed.,
  Springer (2010), Appendix C,
  ``f_e(q) = sum_{i=1..3} a_i / (q^2 + b_i) + sum_{i=1..3} c_i exp(-d_i q^2)``.

``q`` (``g``) is the spatial frequency ``1/d`` [1/Angstrom], ``f_e`` is in [Angstrom].

The projected (z-integrated) atomic potential follows from the 2D Fourier transform of
``f_e`` with the prefactor ``h^2 / (2 pi m0 e) = 2 pi a0 e`` (= 47.878 V Angstrom^2)::

    v_z(r) = (h^2 / (2 pi m0 e)) * integral f_e(q) J0(2 pi q r) 2 pi q dq   [V Angstrom]

Both forms have closed projections (Bessel K0, K1 and Gaussians):

- Lobato: ``v_z(r) = C sum_i a_i [2 pi / b_i K0(2 pi r / sqrt(b_i))
  + 2 pi^2 r / b_i^1.5 K1(2 pi r / sqrt(b_i))]``
- Kirkland: ``v_z(r) = C [sum_i 2 pi a_i K0(2 pi r sqrt(b_i))
  + sum_i pi c_i / d_i exp(-pi^2 r^2 / d_i)]``

with ``C = h^2 / (2 pi m0 e)``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from ase.data import atomic_numbers, chemical_symbols
from ase.units import _e, _hplanck, _me
from scipy.special import k0, k1

PARAMETRIZATIONS = ("lobato", "kirkland")

#: h^2 / (2 pi m0 e) [V Angstrom^2]: converts f_e [Angstrom] to a potential [V Angstrom^3]
POTENTIAL_PREFACTOR = _hplanck**2 / (2 * np.pi * _me * _e) * 1e20

_DATA = Path(__file__).with_name("data") / "scattering_parameters.json"


@lru_cache(maxsize=1)
def _table():
    with open(_DATA, encoding="utf-8") as fh:
        return json.load(fh)


def reference(parametrization="lobato"):
    """The literature reference of a parametrization (string)."""
    return _table()[_check_name(parametrization)]["reference"]


def _check_name(parametrization):
    name = str(parametrization).lower()
    if name not in PARAMETRIZATIONS:
        raise ValueError(
            f"parametrization must be one of {PARAMETRIZATIONS}, got {parametrization!r}"
        )
    return name


def _symbol(element):
    if isinstance(element, (int, np.integer)):
        if not 0 < int(element) < len(chemical_symbols):
            raise ValueError(f"element: no atomic number {element}")
        return chemical_symbols[int(element)]
    if element not in atomic_numbers:
        raise ValueError(f"element: unknown chemical symbol {element!r}")
    return element


def parameters(element, parametrization="lobato"):
    """Fit coefficients of one element as a dict of float64 arrays.

    Raises ``ValueError`` naming the element if it is missing from the table.
    """
    name = _check_name(parametrization)
    symbol = _symbol(element)
    table = _table()[name]["elements"]
    if symbol not in table:
        raise ValueError(
            f"element {symbol!r} is missing from the {name} scattering-factor table"
        )
    return {k: np.asarray(v, dtype=np.float64) for k, v in table[symbol].items()}


def check_elements(symbols, parametrization="lobato"):
    """Raise ``ValueError`` if any of ``symbols`` has no coefficients in the table."""
    for s in sorted(set(symbols)):
        parameters(s, parametrization)


def scattering_factor(element, q, parametrization="lobato"):
    """Electron scattering factor ``f_e(q)`` [Angstrom] at ``q`` [1/Angstrom]."""
    p = parameters(element, parametrization)
    q2 = np.asarray(q, dtype=np.float64)[..., None] ** 2
    if _check_name(parametrization) == "lobato":
        a, b = p["a"], p["b"]
        return np.sum(a * (2 + b * q2) / (1 + b * q2) ** 2, axis=-1)
    a, b, c, d = p["a"], p["b"], p["c"], p["d"]
    return np.sum(a / (q2 + b), axis=-1) + np.sum(c * np.exp(-d * q2), axis=-1)


def projected_potential(element, r, parametrization="lobato"):
    """Analytic projected potential ``v_z(r)`` [V Angstrom] at radius ``r`` [Angstrom] > 0."""
    p = parameters(element, parametrization)
    r = np.asarray(r, dtype=np.float64)[..., None]
    if np.any(r <= 0):
        raise ValueError("r must be positive: the projected potential diverges at r = 0")
    if _check_name(parametrization) == "lobato":
        a, b = p["a"], p["b"]
        sb = np.sqrt(b)
        x = 2 * np.pi * r / sb
        v = a * (2 * np.pi / b * k0(x) + 2 * np.pi**2 * r / b**1.5 * k1(x))
    else:
        a, b, c, d = p["a"], p["b"], p["c"], p["d"]
        v = 2 * np.pi * a * k0(2 * np.pi * r * np.sqrt(b))
        v = np.concatenate([v, np.pi * c / d * np.exp(-np.pi**2 * r**2 / d)], axis=-1)
    return POTENTIAL_PREFACTOR * np.sum(v, axis=-1)


def projected_potential_derivative(element, r, parametrization="lobato", h=1e-5):
    """Central-difference derivative ``d v_z / d r`` [V] (used for the cutoff taper)."""
    return (
        projected_potential(element, r + h, parametrization)
        - projected_potential(element, r - h, parametrization)
    ) / (2 * h)


def potential_3d(element, r, parametrization="lobato"):
    """Analytic 3-D atomic potential ``V(r)`` [V] at radius ``r`` [Angstrom] > 0.

    Inverse 3-D Fourier transforms of the fits (``integral d^3q exp(2 pi i q.r) / (q^2 +
    m^2) = pi exp(-2 pi m r) / r``):

    - Lobato: ``V = C sum_i a_i [pi / (b_i r) + pi^2 / b_i^1.5] exp(-2 pi r / sqrt(b_i))``
    - Kirkland: ``V = C [sum_i pi a_i exp(-2 pi r sqrt(b_i)) / r
      + sum_i c_i (pi / d_i)^1.5 exp(-pi^2 r^2 / d_i)]``

    Integrated along a line at distance ``R`` they give ``projected_potential(R)``.
    """
    p = parameters(element, parametrization)
    r = np.asarray(r, dtype=np.float64)[..., None]
    if np.any(r <= 0):
        raise ValueError("r must be positive: the atomic potential diverges at r = 0")
    if _check_name(parametrization) == "lobato":
        a, b = p["a"], p["b"]
        v = a * (np.pi / (b * r) + np.pi**2 / b**1.5) * np.exp(-2 * np.pi * r / np.sqrt(b))
    else:
        a, b, c, d = p["a"], p["b"], p["c"], p["d"]
        v = np.pi * a * np.exp(-2 * np.pi * r * np.sqrt(b)) / r
        v = np.concatenate([v, c * (np.pi / d) ** 1.5 * np.exp(-np.pi**2 * r**2 / d)], axis=-1)
    return POTENTIAL_PREFACTOR * np.sum(v, axis=-1)


def half_slab_transform(element, k, s, parametrization="lobato"):
    """Lateral 2-D Fourier transform [V Angstrom^3] of the potential integrated over
    ``0 <= z <= s``: ``C integral_0^s dz integral dq_z f_e(sqrt(k^2 + q_z^2))
    exp(2 pi i q_z z)``, at lateral frequency ``k`` [1/Angstrom] and depth ``s``
    [Angstrom] (broadcast against each other).

    Closed forms: with ``m = sqrt(k^2 + 1/b)`` (Lobato) or ``sqrt(k^2 + b)`` (Kirkland),
    ``beta = 2 pi m``, the 1-D transform of ``1/(q_z^2 + m^2)`` is
    ``(pi / m) exp(-beta |z|)`` and that of ``1/(q_z^2 + m^2)^2`` is
    ``pi / (2 m^3) (1 + beta |z|) exp(-beta |z|)``; Gaussians give ``erf``. As
    ``s -> inf`` it tends to ``C f_e(k) / 2`` (half the projected potential).
    """
    from scipy.special import erf

    p = parameters(element, parametrization)
    k2 = np.asarray(k, dtype=np.float64)[..., None] ** 2
    s = np.asarray(s, dtype=np.float64)[..., None]
    if _check_name(parametrization) == "lobato":
        a, b = p["a"], p["b"]
        m = np.sqrt(k2 + 1.0 / b)
        beta = 2 * np.pi * m
        e = np.exp(-beta * s)
        h = a * (np.pi / (b * m) * (1 - e) / beta
                 + np.pi / (2 * b**2 * m**3) * (2 - (2 + beta * s) * e) / beta)
        return POTENTIAL_PREFACTOR * np.sum(h, axis=-1)
    a, b, c, d = p["a"], p["b"], p["c"], p["d"]
    m = np.sqrt(k2 + b)
    beta = 2 * np.pi * m
    h1 = np.sum(a * np.pi / m * (1 - np.exp(-beta * s)) / beta, axis=-1)
    h2 = np.sum(c * np.exp(-d * k2) * 0.5 * erf(np.pi * s / np.sqrt(d)), axis=-1)
    return POTENTIAL_PREFACTOR * (h1 + h2)
