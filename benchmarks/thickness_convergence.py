"""Convergence of slice thickness, sampling and projection with specimen thickness (25-400 A).

    nice -n 10 python3 benchmarks/thickness_convergence.py [--json benchmarks/thickness_convergence.json]
        [--cells ceo2_001,...] [--only KEY,...] [--workers 2] [--energy 200000]

Panel (periodic cells one unit cell wide; small so that a 400 A run is affordable):

- ``ceo2_001``  CeO2 fluorite [001], a = 5.411 A: 5.41 x 5.41 A, z period 5.41 A (12 atoms)
- ``sto001``    SrTiO3 perovskite [001], a = 3.905 A: 3.9 x 3.9 A, z period 3.9 A (5 atoms)
- ``si110``     Si diamond [110], a = 5.431 A: 3.84 x 5.43 A, z period 3.84 A (4 atoms)
- ``rut110``    rutile TiO2 [110] (the low-symmetry cut: O at irregular depths, not on the
  slice planes): 6.50 x 2.96 A, z period 6.50 A (12 atoms). [211] has no small periodic cell.
- ``au001``     Au fcc [001], a = 4.078 A: 4.08 x 4.08 A, z period 4.08 A (4 atoms)
- ``*_fp``      the same with frozen phonons: 2 configurations of N(0, 0.08 A) displacements
  per axis, drawn for a block of whole cells >= 10 A deep that is repeated along z (the
  displacements repeat every block: a cheap stand-in for uncorrelated phonons that breaks
  the alignment of atom planes and slice planes like the real ones).

Method: plain multislice (exact for a periodic cell; the same as PRISM f=1) of a probe
(200 kV, 20 mrad, aberration-free, in focus at the entrance surface, no focal spread) at
a coarse scan of the unit cell (step <= 1.36 A: 4 x 4 on CeO2), detector 100-150 mrad,
Lobato, through one run to 400 A that reads the detector after the slice ending each
thickness of whole periods nearest 25, 50, 100, 200, 400 A (multislice is causal: that is
the image of the thinner crystal). The potential slices of one z period are computed once
(as the middle period of a three-period stack, so that the finite projection's slabs and
tails are those of the infinite crystal) and repeated: ``slice_thickness`` is the largest
requested, the period is cut into ``ceil(P / dz)`` equal slices.

Each setting's image is compared with the reference ``REFERENCE`` (finite projection,
0.0625 A slices, ~0.0167 A sampling) at the same thickness: mean HAADF (relative) and
NCC. The reference's own convergence: ``CHECKS`` halve its slices, its sampling, or both
(to 50 A, 50 A, 25 A). Results are written to ``--json`` after every setting; a rerun
skips what is there (resumable).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy.fft
from ase import Atoms
from ase.build import bulk, cut

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from synthstem.physics.detector import AnnularDetector  # noqa: E402
from synthstem.physics.multislice import fresnel_propagator, multiply  # noqa: E402
from synthstem.physics.optics import Microscope, choose_gpts  # noqa: E402
from synthstem.physics.potential import PotentialSlices, potential_slices  # noqa: E402

TARGETS = (25.0, 50.0, 100.0, 200.0, 400.0)
#: (sampling [A], slice thickness [A], projection, largest thickness [A])
REFERENCE = (0.0167, 0.0625, "finite", 400.0)
CHECKS = [(0.0167, 0.03125, "finite", 50.0), (0.0125, 0.0625, "finite", 50.0),
          (0.0125, 0.03125, "finite", 25.0)]
LADDER = ([(s, dz, "finite", 400.0) for s in (0.035, 0.024)
           for dz in (0.25, 0.125, 0.5, 1.0, 2.0)]
          + [(0.05, dz, "finite", 400.0) for dz in (0.25, 0.125, 0.5)]
          + [(s, dz, "infinite", 400.0) for s, dz in ((0.0557, 2.0), (0.035, 0.5), (0.024, 0.5),
                                                      (0.035, 1.0))])
#: the reduced ladder of the phonon cells (each setting costs two configurations)
FP_LADDER = [(0.035, 0.25, "finite", 400.0), (0.035, 0.125, "finite", 400.0),
             (0.024, 0.125, "finite", 400.0), (0.024, 0.25, "finite", 400.0),
             (0.05, 0.25, "finite", 400.0), (0.035, 0.5, "finite", 400.0),
             (0.0557, 2.0, "infinite", 400.0)]
SCAN_STEP = 1.36
PHONON_RMS = 0.08
PHONON_CONFIGS = 2


def _orthogonal(atoms):
    lengths = atoms.cell.lengths()
    out = Atoms(atoms.get_chemical_symbols(), scaled_positions=atoms.get_scaled_positions(),
                cell=np.diag(lengths), pbc=True)
    out.wrap(eps=1e-6)
    return out


def panel():
    """name -> one z period of the periodic cell (ase.Atoms, orthogonal, beam along z)."""
    ceo2 = bulk("CeO2", "fluorite", a=5.411, cubic=True)
    sto = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                            (0.5, 0, 0.5), (0, 0.5, 0.5)],
                cell=[3.905] * 3, pbc=True)
    si = bulk("Si", "diamond", a=5.431, cubic=True)
    si110 = _orthogonal(cut(si, a=(0.5, -0.5, 0), b=(0, 0, 1), c=(0.5, 0.5, 0)))
    a, c, u = 4.5937, 2.9587, 0.3053
    rut = Atoms("Ti2O4", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (u, u, 0),
                                           (1 - u, 1 - u, 0), (0.5 + u, 0.5 - u, 0.5),
                                           (0.5 - u, 0.5 + u, 0.5)],
                cell=[a, a, c], pbc=True)
    rut110 = _orthogonal(cut(rut, a=(1, -1, 0), b=(0, 0, 1), c=(1, 1, 0)))
    au = bulk("Au", "fcc", a=4.0782, cubic=True)
    return {"ceo2_001": ceo2, "sto001": sto, "si110": si110, "rut110": rut110, "au001": au}


def block_of(atoms, phonons):
    """The repeated z block: one period (static) or whole periods >= 10 A (phonons)."""
    if not phonons:
        return atoms
    return atoms.repeat((1, 1, max(1, math.ceil(10.0 / atoms.cell[2, 2]))))


def period_transmission(block, positions, gpts, dz, projection, sigma, workers):
    """Transmission functions of one z period (middle of a three-period stack)."""
    lz = block.cell[2, 2]
    n = max(1, math.ceil(lz / dz - 1e-9))
    stack = block.repeat((1, 1, 3))
    pos = np.concatenate([positions + [0, 0, k * lz] for k in range(3)])
    pot = potential_slices(stack, gpts, lz / n, positions=pos, workers=workers,
                           projection=projection)
    assert pot.n_slices == 3 * n, (pot.n_slices, n)
    mid = PotentialSlices(np.ascontiguousarray(pot.array[n:2 * n]), pot.thickness, pot.extent)
    return mid.transmission(sigma, workers=workers), pot.thickness, pot.sampling


def run_setting(atoms, setting, scope, phonons, seed, workers):
    """{thickness: scan image} for one setting (averaged over phonon configurations)."""
    sampling, dz, projection, tmax = setting
    block = block_of(atoms, phonons)
    lx, ly, lz = np.diag(block.cell[:])
    gpts = (choose_gpts(ly, sampling), choose_gpts(lx, sampling))
    nx, ny = math.ceil(lx / SCAN_STEP), math.ceil(ly / SCAN_STEP)
    sx, sy = np.meshgrid(np.arange(nx) * lx / nx, np.arange(ny) * ly / ny)
    positions = np.stack([sx.ravel(), sy.ravel()], 1)
    periods = {t: max(1, round(t / lz)) for t in TARGETS if t <= tmax * 1.01}
    rng = np.random.default_rng(seed)
    images = {}
    meta = {}
    for c in range(max(phonons, 1)):
        pos = block.positions.copy()
        if phonons:
            pos = pos + rng.normal(0, PHONON_RMS, pos.shape)
        t0 = time.perf_counter()
        trans, dz_used, samp = period_transmission(block, pos, gpts, dz, projection,
                                                   scope.sigma, workers)
        t_pot = time.perf_counter() - t0
        prop = fresnel_propagator(gpts, samp, scope.wavelength, dz_used)
        det = AnnularDetector(gpts, samp, scope.wavelength, scope.detector)
        waves = scipy.fft.ifft2(scope.probe_k(gpts, samp, positions), axes=(-2, -1),
                                workers=workers)
        n = trans.shape[0]
        last = max(periods.values()) * n
        for i in range(last):
            multiply(waves, trans[i % n], workers)
            waves = scipy.fft.fft2(waves, axes=(-2, -1), overwrite_x=True, workers=workers)
            multiply(waves, prop, workers)
            for t, p in periods.items():
                if p * n == i + 1:
                    img = det.integrate(waves).reshape(ny, nx)
                    images[t] = images.get(t, 0) + img / max(phonons, 1)
            if i + 1 < last:
                waves = scipy.fft.ifft2(waves, axes=(-2, -1), overwrite_x=True, workers=workers)
        meta = {"gpts": list(gpts), "sampling": [float(samp[0]), float(samp[1])],
                "dz_used": float(dz_used), "slices_per_period": n, "period": float(lz),
                "scan": [ny, nx], "potential_s": t_pot,
                "thickness": {str(t): p * lz for t, p in periods.items()}}
    return images, meta


def key_of(cell, setting, energy):
    s, dz, proj, tmax = setting
    return f"{cell}|{s:g}|{dz:g}|{proj}|{tmax:g}|{energy:g}"


def ncc(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def load(path):
    if path.is_file():
        return json.loads(path.read_text())
    return {"machine": f"{platform.node()} {os.cpu_count()} cpus", "runs": {}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default="ceo2_001,sto001,si110,rut110,sto001_fp,ceo2_001_fp")
    parser.add_argument("--json", default="benchmarks/thickness_convergence.json")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--energy", type=float, default=200e3, help="[eV]")
    parser.add_argument("--settings", default="ref,ladder,checks",
                        help="groups in order: ref, ladder, checks; or s:dz:proj:tmax items")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    path = Path(args.json)
    data = load(path)
    scope = Microscope(energy=args.energy)
    cells = panel()
    groups = {"ref": [REFERENCE], "ladder": LADDER, "checks": CHECKS, "fpladder": FP_LADDER}
    settings = []
    for item in args.settings.split(","):
        if item in groups:
            settings += groups[item]
        else:
            s, dz, proj, tmax = item.split(":")
            settings.append((float(s), float(dz), proj, float(tmax)))
    for name in args.cells.split(","):
        base, phonons = (name[:-3], PHONON_CONFIGS) if name.endswith("_fp") else (name, 0)
        atoms = cells[base]
        for setting in settings:
            key = key_of(name, setting, args.energy)
            if key in data["runs"]:
                continue
            t0 = time.perf_counter()
            images, meta = run_setting(atoms, setting, scope, phonons, args.seed, args.workers)
            meta["seconds"] = time.perf_counter() - t0
            meta["load"] = os.getloadavg()[0]
            meta["images"] = {str(t): img.tolist() for t, img in images.items()}
            data = load(path)  # another process may have added runs meanwhile
            data["runs"][key] = meta
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data))
            tmp.replace(path)
            means = " ".join(f"{t:g}:{img.mean():.6f}" for t, img in images.items())
            print(f"{key} {meta['seconds']:.0f} s load {meta['load']:.1f} {means}", flush=True)


def table(path, energy=200e3):
    """Rows (cell, setting, thickness, mean, rel. to reference, NCC) from the JSON."""
    data = load(Path(path))
    runs = data["runs"]
    rows = []
    for key, meta in runs.items():
        cell, s, dz, proj, tmax, e = key.split("|")
        if float(e) != energy:
            continue
        refs = [k for k in runs if k.startswith(f"{cell}|{REFERENCE[0]:g}|{REFERENCE[1]:g}|"
                                                 f"{REFERENCE[2]}|") and k.endswith(f"|{e}")]
        ref = runs[max(refs, key=lambda k: float(k.split("|")[4]))] if refs else None
        for t, img in meta["images"].items():
            img = np.asarray(img)
            row = {"cell": cell, "sampling": float(s), "slice": float(dz), "projection": proj,
                   "thickness": float(t), "thickness_used": meta["thickness"][t],
                   "dz_used": meta["dz_used"], "sampling_used": meta["sampling"],
                   "mean": float(img.mean()), "seconds": meta["seconds"]}
            if ref is not None and t in ref["images"]:
                r = np.asarray(ref["images"][t])
                row["rel"] = float(img.mean() / r.mean() - 1)
                row["ncc"] = ncc(img, r)
            rows.append(row)
    return rows


#: the rule's chain of candidates (slice thickness, sampling), each finer than the one
#: before in both; the last is the reference, its error the largest change of its checks
CHAIN = [(0.25, 0.035), (0.125, 0.035), (0.0625, 0.035), (0.0625, 0.024), (0.0625, 0.0167)]
#: heaviest element of each panel cell
MAX_Z = {"si110": 14, "rut110": 22, "sto001": 38, "ceo2_001": 58, "au001": 79}


def rule(path, out, energy=200e3):
    """The rule table (``synthstem/physics/data/numerics_rule.json``) from the results."""
    rows = table(path, energy)
    cells = sorted({r["cell"] for r in rows})
    zcell = {c: MAX_Z[c.replace("_fp", "")] for c in cells}
    z_classes = sorted(set(zcell.values()))
    thicknesses = sorted({r["thickness"] for r in rows})
    cands = []
    for dz, s in CHAIN:
        errs = []
        for z in z_classes:
            line = []
            # the reference's own error: the largest change of the checks (halved slices,
            # sampling or both) from it
            match = ({c[:2] for c in CHECKS} if (s, dz) == REFERENCE[:2] else {(s, dz)})
            mine = [r for r in rows if (r["sampling"], r["slice"]) in match
                    and r["projection"] == "finite" and "rel" in r and zcell[r["cell"]] <= z]
            for t in thicknesses:
                sel = [abs(r["rel"]) for r in mine if r["thickness"] <= t]
                # measured on the class's own cell at this thickness (lighter cells and
                # phonon cells add where they were run)
                covered = any(zcell[r["cell"]] == z and r["thickness"] >= t for r in mine)
                line.append(round(max(sel), 4) if sel and covered else None)
            errs.append(line)
        cands.append({"slice_thickness": dz, "sampling": s, "errors": errs})
    doc = {"source": "benchmarks/THICKNESS.md (benchmarks/thickness_convergence.py --rule)",
           "energy": energy, "detector": [100.0, 150.0], "convergence": 20.0,
           "reference": {"slice_thickness": REFERENCE[1], "sampling": REFERENCE[0]},
           "cells": {c: zcell[c] for c in cells}, "z_classes": z_classes,
           "thicknesses": thicknesses, "candidates": cands}
    Path(out).write_text(json.dumps(doc, indent=1) + "\n")
    return doc


def report(path, energy=200e3):
    """Markdown tables: per cell, every setting's mean vs the reference (NCC) per thickness."""
    rows = table(path, energy)
    lines = []
    for cell in sorted({r["cell"] for r in rows}, key=lambda c: (c.endswith("_fp"), c)):
        mine = [r for r in rows if r["cell"] == cell]
        ts = sorted({r["thickness"] for r in mine})
        used = {t: next(r["thickness_used"] for r in mine if r["thickness"] == t) for t in ts}
        lines += [f"### {cell}", "",
                  "| projection | slices [A] (used) | sampling [A] (grid) | "
                  + " | ".join(f"{used[t]:.0f} A" for t in ts) + " | s |",
                  "|---|---|---|" + "---|" * (len(ts) + 1)]
        settings = sorted({(r["projection"], r["slice"], r["sampling"]) for r in mine},
                          key=lambda k: (k[0], -k[1] * k[2] ** 2))
        for proj, dz, s in settings:
            sel = {r["thickness"]: r for r in mine if (r["projection"], r["slice"],
                                                          r["sampling"]) == (proj, dz, s)}
            r0 = next(iter(sel.values()))
            cellsx = []
            for t in ts:
                r = sel.get(t)
                if r is None:
                    cellsx.append("")
                elif "rel" not in r:
                    cellsx.append(f"{r['mean']:.5f}")
                else:
                    cellsx.append(f"{100 * r['rel']:+.2f} % ({r['ncc']:.4f})")
            lines.append(f"| {proj} | {dz:g} ({r0['dz_used']:.3f}) | {s:g} "
                         f"({r0['sampling_used'][0]:.4f}) | " + " | ".join(cellsx)
                         + f" | {r0['seconds']:.0f} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    if "--rule" in sys.argv:
        i = sys.argv.index("--rule")
        rule(sys.argv[i + 1], sys.argv[i + 2])
    elif "--report" in sys.argv:
        print(report(sys.argv[sys.argv.index("--report") + 1]))
    else:
        main()
