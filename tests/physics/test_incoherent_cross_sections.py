"""HAADF cross-sections (physics/cross_sections.py) against a slow quadrature, Parseval's
theorem on the projected potential, and textbook behaviour."""

import numpy as np
import pytest
from scipy.integrate import quad

from synthstem.physics import parametrization as param
from synthstem.physics.cross_sections import cross_section_table, gamma, haadf_cross_section
from synthstem.physics.optics import Microscope
from synthstem.physics.optics import wavelength

Z_SET = {"C": 6, "Si": 14, "Fe": 26, "Mo": 42, "W": 74, "Pt": 78, "Au": 79}


def slow_cross_section(element, energy, detector, parametrization, damping="atom", rms=0.0,
                       n=1601):
    """Riemann sum of gamma^2 |f_e|^2 over a Cartesian grid of scattering angles
    (theta_x, theta_y) [rad] covering the annulus, dOmega = dtheta_x dtheta_y."""
    lam = wavelength(energy)
    inner, outer = (v * 1e-3 for v in detector)
    t = np.linspace(-outer, outer, n)
    step = t[1] - t[0]
    tx, ty = np.meshgrid(t, t)
    theta = np.hypot(tx, ty)
    inside = (theta >= inner) & (theta < outer)
    q = theta[inside] / lam
    f2 = param.scattering_factor(element, q, parametrization) ** 2
    if damping == "tds":
        f2 = f2 * (1 - np.exp(-4 * np.pi**2 * rms**2 * q**2))
    return gamma(energy) ** 2 * np.sum(f2) * step**2


@pytest.mark.parametrize("parametrization", ["lobato", "kirkland"])
@pytest.mark.parametrize("element", ["C", "Pt"])
def test_against_slow_annulus_sum(element, parametrization):
    for energy, detector in ((200e3, (100.0, 150.0)), (80e3, (60.0, 200.0))):
        fast = haadf_cross_section(element, energy, detector, parametrization)
        slow = slow_cross_section(element, energy, detector, parametrization)
        assert fast == pytest.approx(slow, rel=3e-3)


def test_tds_damping_against_slow_sum():
    fast = haadf_cross_section("Sr", 300e3, (40.0, 120.0), damping="tds", rms=0.09)
    slow = slow_cross_section("Sr", 300e3, (40.0, 120.0), "lobato", "tds", 0.09)
    assert fast == pytest.approx(slow, rel=3e-3)


@pytest.mark.parametrize("parametrization", ["lobato", "kirkland"])
@pytest.mark.parametrize("element", ["C", "Mo", "Pt"])
def test_full_angle_equals_parseval_of_projected_potential(element, parametrization):
    """integral |f_e|^2 d^2q = integral |v_z / C|^2 d^2r (2-D Parseval; v_z from the
    analytic Bessel-function projection, another code path)."""
    energy = 200e3
    def f(r):
        return (param.projected_potential(element, r, parametrization)
                / param.POTENTIAL_PREFACTOR) ** 2 * 2 * np.pi * r
    real_space = quad(f, 1e-12, 1, limit=400)[0] + quad(f, 1, 60, limit=400)[0]
    expected = gamma(energy) ** 2 * wavelength(energy) ** 2 * real_space
    full = haadf_cross_section(element, energy, (0.0, np.inf), parametrization)
    assert full == pytest.approx(expected, rel=1e-6)


def test_monotone_in_z_and_power_law():
    for detector in ((100.0, 150.0), (60.0, 200.0), (40.0, 100.0)):
        sigma = [haadf_cross_section(z, 200e3, detector) for z in range(1, 87)]
        assert np.all(np.diff(sigma) > 0), detector
        z = np.array(list(Z_SET.values()))
        s = np.array([haadf_cross_section(e, 200e3, detector) for e in Z_SET])
        exponent = np.polyfit(np.log(z), np.log(s), 1)[0]
        assert 1.6 <= exponent <= 2.0, (detector, exponent)


def test_relativistic_scaling_at_fixed_scattering_vectors():
    """At fixed q1, q2 the integral of |f_e|^2 is the same: sigma scales as gamma^2 lambda^2."""
    q1, q2 = 4.0, 6.0  # [1/Angstrom]
    vals = []
    for energy in (60e3, 200e3, 300e3):
        lam = wavelength(energy)
        s = haadf_cross_section("Fe", energy, (q1 * lam * 1e3, q2 * lam * 1e3))
        vals.append(s / (gamma(energy) ** 2 * lam**2))
    assert np.allclose(vals, vals[0], rtol=1e-10)
    assert gamma(200e3) == pytest.approx(1.3914, abs=1e-4)


def test_tds_limits_and_caching():
    full = haadf_cross_section("Pt")
    assert haadf_cross_section("Pt", damping="tds", rms=0.0) == 0.0
    assert haadf_cross_section("Pt", damping="tds", rms=5.0) == pytest.approx(full, rel=1e-9)
    small = haadf_cross_section("Pt", damping="tds", rms=0.05)
    large = haadf_cross_section("Pt", damping="tds", rms=0.1)
    assert 0 < small < large < full
    assert haadf_cross_section("Pt", rms=0.3) == full  # "atom" ignores rms


@pytest.mark.parametrize("kwargs, match", [
    (dict(detector=(150.0, 100.0)), "inner < outer"),
    (dict(detector=(-1.0, 100.0)), "inner < outer"),
    (dict(detector="wide"), "inner, outer"),
    (dict(damping="debye"), "damping must be one of"),
    (dict(rms=-0.1), "rms must be"),
    (dict(energy=0.0), "energy must be"),
])
def test_bad_input_names_the_problem(kwargs, match):
    with pytest.raises(ValueError, match=match):
        haadf_cross_section("C", **kwargs)
    with pytest.raises(ValueError, match="Xx"):
        haadf_cross_section("Xx")


def test_table_for_a_microscope():
    scope = Microscope(energy=300e3, detector=(70.0, 200.0))
    t = cross_section_table(["Pt", 14], scope, damping="tds", rms={"Pt": 0.07})
    assert t == {"Pt": haadf_cross_section("Pt", 300e3, (70.0, 200.0), damping="tds", rms=0.07),
                 "Si": 0.0}
