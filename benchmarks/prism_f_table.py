"""Measure the probe's spread through a crystal: the table PRISM's interpolation rule reads.

PRISM (physics/prism.py) assembles each probe on a window of ``L / f`` around its position;
the part of the exit wave outside that window is replaced by its periodic replicas, which is
the error ``simulate``'s PRISM check measures. This script measures how far the wave reaches:
a probe is run by plain multislice (this script's own loop over the slices; no PRISM code)
through fcc crystals of Al, Cu, Ag and Au (heaviest element Z = 13, 29, 47, 79) on the
[001] and [011] zone axes (columns of atoms 4.05-4.08 and 2.86-2.88 A apart along the beam),
placed on a column and between columns, at 80, 200 and 300 kV and 15, 20 and 30 mrad (no
aberrations, focused on the entrance surface), and after every 2 A slice the window leak is
recorded: for each tolerance ``eps``, the smallest half-width ``w`` [Angstrom] of a square
window centred on the probe position that holds all but a fraction ``eps`` of the intensity
(the largest ``w`` over the two zone axes and the two positions is stored).

A second part checks the rule that the planner uses to add an item's own aberrations, mistilt
and focal spread (``synthstem.physics.prism_f.spread``): the half-width measured through
the crystal with the aberrated probe, against table + (aberrated - ideal vacuum half-width) +
thickness * tan(tilt).

    nice -n 10 python3 benchmarks/prism_f_table.py \
        --json src/synthstem/physics/data/prism_spread.json

24 A x 24 A cells, 0.05 A sampling, 2 A slices (infinite projection), depth 0-200 A, static
lattice, Lobato potentials.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import replace

import numpy as np
import scipy.fft
from ase.lattice.cubic import FaceCenteredCubic

from synthstem.physics.multislice import fresnel_propagator
from synthstem.physics.optics import Microscope, choose_gpts
from synthstem.physics.potential import potential_slices

ELEMENTS = {"Al": (13, 4.0495), "Cu": (29, 3.615), "Ag": (47, 4.0853), "Au": (79, 4.0782)}
ENERGIES = (80e3, 200e3, 300e3)
CONVERGENCES = (15.0, 20.0, 30.0)
EPS = (0.1, 0.05, 0.02, 0.01, 0.005)
STEP = 2.0
DEPTH = 200.0
LATERAL = 24.0
SAMPLING = 0.05
#: aberrated probes of the composition check (randomized.toml's extremes)
ABERRATED = ({"defocus": 50.0, "Cs": 2e4, "coma": 300.0, "astigmatism": 40.0, "tilt_x": 8.0},
             {"defocus": -30.0, "C5": 5e6, "focal_spread": 40.0, "tilt_y": 5.0})


def crystal(symbol, a, axis):
    """fcc ``symbol`` with ``axis`` ('001' or '011') along z, about LATERAL x LATERAL x DEPTH."""
    if axis == "001":
        dirs = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        rep = (round(LATERAL / a), round(LATERAL / a), int(np.ceil(DEPTH / a)) + 1)
    else:
        dirs = [[1, -1, 0], [0, 0, 1], [1, 1, 0]]
        p = a / np.sqrt(2)
        rep = (round(LATERAL / p), round(LATERAL / a), int(np.ceil(DEPTH / p)) + 1)
    atoms = FaceCenteredCubic(directions=dirs, symbol=symbol, latticeconstant=a, size=rep,
                              pbc=True)
    keep = atoms.positions[:, 2] < DEPTH
    return atoms[keep]


def chebyshev_order(gpts, sampling, position):
    """Pixels sorted by their Chebyshev (square-window) distance to ``position`` [A]."""
    ny, nx = gpts
    dy = (np.arange(ny) * sampling[0] - position[1])
    dx = (np.arange(nx) * sampling[1] - position[0])
    ly, lx = ny * sampling[0], nx * sampling[1]
    dy = np.abs(dy - ly * np.round(dy / ly))
    dx = np.abs(dx - lx * np.round(dx / lx))
    d = np.maximum(dy[:, None], dx[None, :]).ravel()
    order = np.argsort(d)
    return order, d[order]


def half_widths(intensity, order, dist):
    """Smallest half-width holding all but ``eps`` of the intensity, per eps."""
    cum = np.cumsum(intensity.ravel()[order])
    cum /= cum[-1]
    return [float(dist[min(np.searchsorted(cum, 1 - e), len(dist) - 1)]) for e in EPS]


def run_probe(trans, prop, scope, gpts, sampling, position, n_slices):
    """Half-widths [eps][depth index 0..n_slices] of a probe at ``position``."""
    wave = scipy.fft.ifft2(scope.probe_k(gpts, sampling, [position])[0])
    order, dist = chebyshev_order(gpts, sampling, position)
    out = [half_widths(np.abs(wave) ** 2, order, dist)]
    for i in range(n_slices):
        wave = scipy.fft.ifft2(scipy.fft.fft2(wave * trans[i]) * prop)
        out.append(half_widths(np.abs(wave) ** 2, order, dist))
    return np.array(out).T  # (eps, depth)


def vacuum_widths(scope):
    from synthstem.physics.prism_f import vacuum_half_widths

    return vacuum_half_widths(scope, EPS)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", required=True)
    ap.add_argument("--quick", action="store_true", help="Au only, 200 kV, 20 mrad (a test)")
    args = ap.parse_args()
    t_all = time.perf_counter()
    elements = {"Au": ELEMENTS["Au"]} if args.quick else ELEMENTS
    energies = (200e3,) if args.quick else ENERGIES
    convergences = (20.0,) if args.quick else CONVERGENCES
    n_slices = int(round(DEPTH / STEP))
    table = {}
    check = []
    for symbol, (z, a) in elements.items():
        per_axis = []
        for axis in ("001", "011"):
            atoms = crystal(symbol, a, axis)
            lx, ly = atoms.cell[0, 0], atoms.cell[1, 1]
            gpts = (choose_gpts(ly, SAMPLING), choose_gpts(lx, SAMPLING))
            sampling = (ly / gpts[0], lx / gpts[1])
            atoms.set_cell([lx, ly, DEPTH], scale_atoms=False)
            pot = potential_slices(atoms, gpts, STEP, "lobato", projection="infinite")
            assert pot.n_slices == n_slices, pot.n_slices
            # a column: the atom nearest the cell centre; between: half a column spacing off
            xy = atoms.positions[:, :2]
            c = xy[np.argmin(np.hypot(xy[:, 0] - lx / 2, xy[:, 1] - ly / 2))]
            spacing = a / 2 if axis == "001" else a / 2
            positions = [tuple(c), (c[0] + spacing / 2, c[1] + spacing / 2)]
            for energy in energies:
                for alpha in convergences:
                    scope = Microscope(energy=energy, convergence=alpha)
                    trans = pot.transmission(scope.sigma)
                    prop = fresnel_propagator(gpts, sampling, scope.wavelength, STEP)
                    w = np.max([run_probe(trans, prop, scope, gpts, sampling, p, n_slices)
                                for p in positions], axis=0)
                    per_axis.append(((energy, alpha), w))
                    if symbol == "Au" and axis == "011" and energy == 200e3 and alpha == 20.0:
                        for ab in ABERRATED:
                            s2 = replace(scope, **ab)
                            # the wave as simulate sees it at the focal point of largest weight
                            d, wts = s2.focal_series(7)
                            s2 = replace(s2, defocus=float(d[int(np.argmax(wts))]))
                            p2 = fresnel_propagator(gpts, sampling, s2.wavelength, STEP, s2.tilt)
                            wm = np.max([run_probe(trans, p2, s2, gpts, sampling, p, n_slices)
                                         for p in positions], axis=0)
                            check.append({"aberrations": ab, "measured": wm.tolist(),
                                          "ideal": w.tolist(),
                                          "vacuum_ideal": vacuum_widths(scope),
                                          "vacuum_aberrated": vacuum_widths(replace(scope, **ab))})
                    print(f"{symbol} [{axis}] {energy / 1e3:.0f} kV {alpha:.0f} mrad: "
                          f"w(eps=0.02) at 0/20/60/100/200 A = "
                          f"{[round(w[2][int(t / STEP)], 2) for t in (0, 20, 60, 100, 200)]} "
                          f"({time.perf_counter() - t_all:.0f} s)", flush=True)
        for key in {k for k, _ in per_axis}:
            w = np.max([w for k, w in per_axis if k == key], axis=0)
            table.setdefault(str(z), {})[f"{key[0]:.0f}:{key[1]:g}"] = np.round(w, 3).tolist()
    data = {
        "description": "half-width [Angstrom] of the square window around the probe that holds all "
                       "but eps of the exit-wave intensity, per heaviest element Z, 'energy[eV]:"
                       "convergence[mrad]', eps and depth (index i = depth i * step); largest over "
                       "fcc [001]/[011], on/between columns; benchmarks/prism_f_table.py",
        "z": sorted(int(z) for z in table), "energies": list(energies),
        "convergences": list(convergences), "eps": list(EPS), "step": STEP, "depth": DEPTH,
        "lateral": LATERAL, "sampling": SAMPLING, "table": table, "composition_check": check,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared, nice -n 10)",
        "seconds": round(time.perf_counter() - t_all, 1),
    }
    with open(args.json, "w") as fh:
        json.dump(data, fh, indent=0)
    print(f"wrote {args.json} ({data['seconds']} s)")


if __name__ == "__main__":
    main()
