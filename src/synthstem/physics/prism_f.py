"""Accuracy levels and the PRISM interpolation rule: the cheapest ``f`` whose window holds the probe.

PRISM assembles each probe on a window of ``L / f`` (``physics/prism.py``); the exit wave
outside it is replaced by periodic replicas, which is the error the PRISM check measures
(``physics/prism_check.py``). How far the wave reaches was measured by
``benchmarks/prism_f_table.py`` (plain multislice of one probe through fcc Al, Cu, Ag, Au on
[001] and [011], 80-300 kV, 15-30 mrad, 0-200 A): ``data/prism_spread.json`` holds, per
heaviest element, energy, convergence, leak ``eps`` and depth, the half-width of the square
window that holds all but ``eps`` of the intensity. An item's spread adds its own probe's
broadening in vacuum (aberrations, defocus, focal spread; computed here, one small FFT per
focal point) and its mistilt's walk ``t tan(tilt)``:

    spread = table(Z, E, alpha, t, eps) + max(0, vacuum(item) - vacuum(ideal)) + t tan|tilt|

The rule: the largest ``f <= MAX_F`` with ``min(Lx, Ly) / (2 f) >= cover x spread``; f = 1
(window = cell, PRISM equals multislice) always fits. ``eps`` and ``cover`` per level were
chosen on the measured check errors of benchmarks/PRISM_F.md (predicted vs checked error).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.fft

#: accuracy levels: ``tolerance`` = largest PRISM check error (max |PRISM - multislice| over
#: the checked probe positions / image contrast) an image may have; the f rule allows a
#: window half-width >= ``cover`` x the spread that leaks ``eps`` of the intensity (chosen on
#: the checked errors of benchmarks/PRISM_F.md: "dataset" refuses every failing case there)
LEVELS = {
    "dataset": {"tolerance": 0.1, "eps": 0.1, "cover": 0.8},
    "converged": {"tolerance": 0.02, "eps": 0.02, "cover": 1.0},
}
#: largest interpolation factor the rule picks
MAX_F = 8
#: table half-widths above this fraction of the measurement cell's half-width are "the
#: whole cell" (the wave reached the cell's edge; no f > 1 is chosen from them)
SATURATION = 0.9
#: largest S-matrix [bytes] of an f = 1 choice; above it the rule picks multislice (same
#: result, probe by probe, little memory)
SMATRIX_BUDGET = 2 * 2**30
_DATA = Path(__file__).parent / "data" / "prism_spread.json"


def check_level(accuracy):
    """``accuracy`` validated: None or a key of ``LEVELS``."""
    if accuracy is None or accuracy in LEVELS:
        return accuracy
    raise ValueError(f"accuracy must be one of {tuple(LEVELS)} or None, got {accuracy!r}")


@lru_cache(maxsize=1)
def spread_table():
    """The measured table (``data/prism_spread.json``, benchmarks/prism_f_table.py)."""
    with open(_DATA) as fh:
        return json.load(fh)


def _bracket(values, x):
    """Indices and weight of linear interpolation in sorted ``values`` (clamped)."""
    values = list(values)
    if x <= values[0]:
        return 0, 0, 0.0
    if x >= values[-1]:
        return len(values) - 1, len(values) - 1, 0.0
    j = int(np.searchsorted(values, x))
    return j - 1, j, (x - values[j - 1]) / (values[j] - values[j - 1])


def table_spread(z, energy, convergence, thickness, eps):
    """Measured half-width [Angstrom] for heaviest element ``z`` (the next tabulated Z at or
    above it; above the heaviest, the heaviest), ``energy`` [eV], ``convergence`` [mrad]
    (both interpolated linearly, clamped), ``thickness`` [Angstrom] (interpolated; beyond
    the table: ``inf``) and leak ``eps`` (a tabulated value)."""
    data = spread_table()
    if eps not in data["eps"]:
        raise ValueError(f"eps must be one of {data['eps']}, got {eps}")
    if thickness > data["depth"]:
        return math.inf
    zs = data["z"]
    zkey = str(next((v for v in zs if v >= z), zs[-1]))
    e = data["eps"].index(eps)
    ie0, ie1, we = _bracket(data["energies"], energy)
    ia0, ia1, wa = _bracket(data["convergences"], convergence)
    pos = thickness / data["step"]
    i0 = min(int(pos), len(data["table"][zkey][next(iter(data["table"][zkey]))][e]) - 1)
    wt = pos - i0

    def at(ie, ia):
        w = data["table"][zkey][f"{data['energies'][ie]:.0f}:{data['convergences'][ia]:g}"][e]
        return w[i0] if wt == 0 or i0 + 1 >= len(w) else (1 - wt) * w[i0] + wt * w[i0 + 1]

    low = (1 - wa) * at(ie0, ia0) + wa * at(ie0, ia1)
    high = (1 - wa) * at(ie1, ia0) + wa * at(ie1, ia1)
    w = float((1 - we) * low + we * high)
    # the measurement cell is ``lateral`` wide: a wave filling most of it spreads at least
    # that far (the table cannot say more)
    return math.inf if w >= SATURATION * data["lateral"] / 2 else w


_VACUUM = {}


def vacuum_half_widths(microscope, eps_values, extent=48.0, sampling=0.1, focal_points=7):
    """Half-widths [Angstrom] of the square windows holding all but each ``eps`` of the
    probe's intensity in vacuum (the focal-spread average as ``simulate`` makes it).
    Memoised per microscope (a plan of thousands of items often shares a few)."""
    key = (repr(microscope), tuple(eps_values), extent, sampling, focal_points)
    if key not in _VACUUM:
        if len(_VACUUM) > 4096:
            _VACUUM.clear()
        _VACUUM[key] = _vacuum_half_widths(microscope, eps_values, extent, sampling, focal_points)
    return list(_VACUUM[key])


def _vacuum_half_widths(microscope, eps_values, extent, sampling, focal_points):
    n = int(round(extent / sampling))
    gpts, samp = (n, n), (extent / n, extent / n)
    defoci, weights = microscope.focal_series(focal_points)
    intensity = 0.0
    centre = extent / 2
    for d, w in zip(defoci, weights):
        scope = replace(microscope, defocus=float(d))
        wave = scipy.fft.ifft2(scope.probe_k(gpts, samp, [(centre, centre)],
                                             dtype=np.complex128)[0])
        intensity = intensity + w * np.abs(wave) ** 2
    x = np.abs(np.arange(n) * samp[0] - centre)
    dist = np.maximum(x[:, None], x[None, :]).ravel()
    order = np.argsort(dist)
    cum = np.cumsum(np.ravel(intensity)[order])
    cum /= cum[-1]
    return [float(dist[order][min(np.searchsorted(cum, 1 - e), n * n - 1)]) for e in eps_values]


def spread(microscope, thickness, z, eps):
    """Predicted half-width [Angstrom] of the exit wave (see the module docstring)."""
    ideal = replace(microscope, defocus=0.0, Cs=0.0, C5=0.0, astigmatism=0.0, coma=0.0,
                    C23=0.0, focal_spread=0.0)
    own, base = vacuum_half_widths(microscope, [eps])[0], vacuum_half_widths(ideal, [eps])[0]
    tilt = math.hypot(math.tan(microscope.tilt_x * 1e-3), math.tan(microscope.tilt_y * 1e-3))
    return (table_spread(z, microscope.energy, microscope.convergence, thickness, eps)
            + max(0.0, own - base) + thickness * tilt)


def choose(extent, thickness, z, microscope, accuracy, slice_thickness=None, sampling=None,
           focal=1):
    """Cheapest PRISM setting predicted to meet ``accuracy`` for a specimen of lateral
    ``extent = (Lx, Ly)`` [Angstrom], ``thickness`` [Angstrom] and heaviest element ``z``.

    Returns a dict: ``method`` ("prism", or "multislice" where f = 1 would need an S-matrix
    above ``SMATRIX_BUDGET``), ``interpolation`` f, ``spread`` [Angstrom], ``window`` (the
    half-width ``min(L) / (2 f)`` [Angstrom]), ``eps``, ``cover``, ``accuracy``.
    """
    level = LEVELS[check_level(accuracy)]
    w = spread(microscope, float(thickness), int(z), level["eps"])
    half = min(extent) / 2
    f = max([1] + [k for k in range(2, MAX_F + 1) if half / k >= level["cover"] * w])
    method = "prism"
    if f == 1 and smatrix_bytes(extent, microscope) > SMATRIX_BUDGET:
        method = "multislice"
    elif f == 1 and slice_thickness and sampling:  # both exact: the cheaper by the model
        kw = dict(slice_thickness=slice_thickness, sampling=sampling, focal=focal)
        if (model_flops(extent, thickness, microscope, "multislice", **kw)
                < model_flops(extent, thickness, microscope, "prism", 1, **kw)):
            method = "multislice"
    return {"accuracy": accuracy, "method": method,
            "interpolation": f if method == "prism" else None,
            "spread": None if math.isinf(w) else round(w, 3), "window": round(half / f, 3),
            "eps": level["eps"], "cover": level["cover"]}


def model_flops(extent, thickness, microscope, method, f=1, slice_thickness=2.0,
                sampling=0.05, focal=1):
    """Modelled floating-point work of one configuration [flop] (for choices and estimates).

    Per slice a wave costs two 2D FFTs, ``10 G log2 G`` (G grid points); multislice runs
    ``scan^2`` probes (``scan = 2 floor(2 alpha L / lambda) + 2`` per axis) through every slice
    at each of ``focal`` defoci; PRISM propagates ``pi (alpha L / (lambda f))^2`` beams once and
    assembles every probe as a complex GEMM over its window on the detector-limited grid
    (``8 beams G_d / f^2`` per probe and defocus, ``G_d = (2 L k_outer)^2``).
    """
    lam, alpha = microscope.wavelength, microscope.convergence * 1e-3
    grid = (extent[0] / sampling) * (extent[1] / sampling)
    per_slice = 10 * grid * math.log2(max(grid, 2))
    slices = max(1.0, thickness / slice_thickness)
    scan = (2 * math.floor(2 * alpha * extent[0] / lam) + 2) * (
        2 * math.floor(2 * alpha * extent[1] / lam) + 2)
    if method == "multislice":
        return focal * scan * slices * per_slice
    k_need = max(microscope.detector[1], microscope.convergence) * 1e-3 / lam
    beams = math.pi * alpha ** 2 * extent[0] * extent[1] / (lam * f) ** 2
    window = min(grid, (2 * extent[0] * k_need) * (2 * extent[1] * k_need)) / f ** 2
    return beams * slices * per_slice + focal * scan * 8 * beams * window


def smatrix_bytes(extent, microscope, f=1):
    """Approximate PRISM S-matrix size [bytes]: ``pi (alpha L / (lambda f))^2`` beams of
    complex64 exit waves on the grid that keeps the detector's outer angle (``prism.py``)."""
    lam = microscope.wavelength
    alpha = microscope.convergence * 1e-3
    k_need = max(microscope.detector[1], microscope.convergence) * 1e-3 / lam
    beams = math.pi * alpha ** 2 * extent[0] * extent[1] / (lam * f) ** 2
    return beams * (2 * extent[0] * k_need) * (2 * extent[1] * k_need) * 8


def safer(method, interpolation):
    """The next safer setting after a failed check: half the interpolation (twice the
    window), then multislice after f = 1. Returns (method, f or None)."""
    if method == "prism" and interpolation > 1:
        return "prism", max(1, interpolation // 2)
    return "multislice", None
