"""PRISM window vs lattice: image error against exact multislice, and the built-in check.

SrTiO3 [001] periodic cells of 3 x 3 and 4 x 4 unit cells (11.7 and 15.6 A), 6, 13 and
26 unit cells deep (23, 51, 102 A), static lattice (and the 11.7 A cell with ``--phonons``
frozen-phonon configurations of 0.08 A, the same ones for every f), 200 kV, 20 mrad,
100-150 mrad, two
slices per unit cell (infinite projection, 72 grid points per unit cell, 0.054 A),
8 scan positions per unit cell on the scan grid itself (no Fourier interpolation).
For PRISM f in {2, 3, 4}: the probe window ``L / f`` in unit cells, the NCC and the largest
error over the whole scan image against f=1 (exact: equals multislice to ~3e-6), and the
error measured by ``simulate(prism_check=4)`` at its 4 positions, with its cost.

    PYTHONPATH=src python3 benchmarks/prism_window.py [--out benchmarks/PRISM_WINDOW.md]
"""

import argparse
import os
import platform
import time
import warnings

import numpy as np
from ase import Atoms

from synthstem.physics.prism_check import TOLERANCE, contrast
from synthstem.physics.simulate import simulate

A = 3.905
#: (unit cells across, frozen-phonon configurations; 0 = static lattice); PHONONS: --phonons
SERIES = ((3, 0), (4, 0), (3, "PHONONS"))
CELLS = (6, 13, 26)
FACTORS = (2, 3, 4)
#: 72 grid points per unit cell (a multiple of every f: the same grid for f=1 and PRISM;
#: just under the detector rule's 0.0543 A)
SAMPLING = A / 72 * (1 + 1e-12)


def crystal(lateral, cells):
    base = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                             (0.5, 0, 0.5), (0, 0.5, 0.5)],
                 cell=[A, A, A], pbc=True)
    return base.repeat((lateral, lateral, cells))


def ncc(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def run(atoms, f, scan, workers, phonons):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate(atoms, method="prism", interpolation=f, pixels=scan, scan_pixels=scan,
                        slice_thickness=A / 2, projection="infinite", sampling=SAMPLING,
                        workers=workers, prism_check=4 if f > 1 else 0, phonons=phonons,
                        seed=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--phonons", type=int, default=4)
    parser.add_argument("--out", default=None, help="markdown file for the table")
    args = parser.parse_args()
    rows = []
    t_all = time.perf_counter()
    for lateral, phonons in SERIES:
        phonons = args.phonons if phonons == "PHONONS" else phonons
        scan = 8 * lateral
        for cells in CELLS:
            atoms = crystal(lateral, cells)
            exact = run(atoms, 1, scan, args.workers, phonons).image
            for f in FACTORS:
                r = run(atoms, f, scan, args.workers, phonons)
                assert r.params["gpts"] == [72 * lateral] * 2
                img, chk = r.image, r.params["prism_check"]
                true = float(np.abs(img - exact).max() / contrast(img, exact))
                row = {"cell": lateral * A, "phonons": phonons, "f": f, "window": lateral / f, "thickness": cells * A,
                       "ncc": ncc(img, exact), "mean": img.mean() / exact.mean(),
                       "true": true, "check": chk["error"],
                       "cost": 100 * r.timings["prism_check"] / (r.timings["total"]
                                                                - r.timings["prism_check"])}
                rows.append(row)
                print(row, flush=True)
    lines = [
        "# PRISM window vs lattice, and the built-in accuracy check",
        "",
        f"`PYTHONPATH=src python3 benchmarks/prism_window.py --out benchmarks/PRISM_WINDOW.md` "
        f"({platform.machine()}, {os.cpu_count()} cores shared with other jobs, "
        f"--workers {args.workers}, {time.perf_counter() - t_all:.0f} s).",
        "",
        "SrTiO3 [001] periodic cells, static lattice or `phonons` frozen-phonon configurations "
        "(0.08 A, seed 1: the same for every f; the check compares the first one, the true "
        "error is that of the average), 200 kV, 20 mrad, 100-150 mrad, two "
        "slices per unit cell (infinite projection, 72 grid points per unit cell), 8 scan positions per "
        "unit cell. Reference: PRISM f=1 (equals multislice). `window` = `L / f` in unit "
        "cells (whole number: the probe array's replicas sit on equivalent columns). `true "
        "error` = max over the whole scan image of |PRISM - exact| / contrast (max - min of "
        "both); `check` = the same at the 4 positions of `simulate(prism_check=4)` (brightest, "
        "dimmest, ranks ~N^(1/3) and ~N^(2/3) of N), which is what every image records; `flagged` = check > "
        f"tolerance {TOLERANCE:g}; `cost` = check time / image time (PRISM without the check).",
        "",
        "| cell [A] | phonons | f | window [cells] | thickness [A] | NCC | mean ratio | "
        "true error | check | flagged | cost [%] |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['cell']:.1f} | {r['phonons']} | {r['f']} | {r['window']:.2f} | {r['thickness']:.0f} | "
                     f"{r['ncc']:.5f} | {r['mean']:.3f} | {r['true']:.4f} | {r['check']:.4f} | "
                     f"{'yes' if r['check'] > TOLERANCE else 'no'} | {r['cost']:.1f} |")
    true = np.array([r["true"] for r in rows])
    check = np.array([r["check"] for r in rows])
    rank = np.corrcoef(np.argsort(np.argsort(true)), np.argsort(np.argsort(check)))[0, 1]
    bad = true > TOLERANCE
    lines += [
        "",
        f"check / true error: median {np.median(check / true):.2f}, range "
        f"{(check / true).min():.2f}-{(check / true).max():.2f}; rank correlation "
        f"{rank:.3f}; cases with true error > {TOLERANCE:g}: {int(bad.sum())}, flagged "
        f"{int((bad & (check > TOLERANCE)).sum())}; false alarms "
        f"{int((~bad & (check > TOLERANCE)).sum())}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
