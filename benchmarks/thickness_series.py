"""Thickness series: SrTiO3 [001] from 23 to 398 A, PRISM against multislice.

Case: 3 x 3 unit cells laterally (11.7 A, 216^2 potential grid), 6..102 cells deep
(2 slices of 1.95 A per cell), 200 kV, 20 mrad, 100-150 mrad, 24 x 24 scan (0.49 A step,
8 per unit cell: Sr columns at pixels (8 i, 8 j), Ti-O at (8 i + 4, 8 j + 4), O at
(8 i, 8 j + 4) and (8 i + 4, 8 j)),
frozen phonons: ``--phonons`` configurations of 0.08 A displacements drawn once for the
thickest crystal; every thinner crystal is its top part, so both methods see exactly the
same configurations. Multislice runs once per configuration through the thickest crystal
and reads the detector after the last slice of every thickness (multislice is causal:
that is the image of the thinner crystal). PRISM (``--interpolation``, default 3: a
3.9 A probe window, one unit cell; with 2 the 5.9 A window is 1.5 unit cells and the
probe's periodic replicas sit on the other column type, see docs/physics.md) runs ``simulate`` per thickness and configuration; its time per
thickness measures the cost against the number of slices.

    PYTHONPATH=src python3 benchmarks/thickness_series.py --phonons 2 --plot docs/thickness_series.png
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import scipy.fft
from ase import Atoms

from synthstem.physics.detector import AnnularDetector
from synthstem.physics.multislice import fresnel_propagator, multiply
from synthstem.physics.optics import Microscope
from synthstem.physics.potential import potential_slices
from synthstem.physics.simulate import simulate

A = 3.905
CELLS = (6, 13, 26, 38, 51, 77, 102)
LATERAL = 3  # unit cells along x and y
SCAN = 8 * LATERAL
DZ = A / 2  # two slices per unit cell at every thickness


def crystal(n_cells):
    base = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                             (0.5, 0, 0.5), (0, 0.5, 0.5)],
                 cell=[A, A, A], pbc=True)
    return base.repeat((LATERAL, LATERAL, n_cells))


def columns(img):
    """Mean image value and column values (averaged over the equivalent columns)."""
    s = slice(0, SCAN, 8)
    h = slice(4, SCAN, 8)
    return {"mean": float(img.mean()), "Sr": float(img[s, s].mean()),
            "TiO": float(img[h, h].mean()),
            "O": float(0.5 * (img[s, h].mean() + img[h, s].mean()))}


def multislice_series(atoms_full, positions, scope, n_slices_at, workers):
    """Detector signal on the scan grid after each depth in ``n_slices_at`` (one run)."""
    from synthstem.physics.optics import choose_gpts

    lx = atoms_full.cell[0, 0]
    n = choose_gpts(lx, scope.max_sampling())
    pot = potential_slices(atoms_full, (n, n), DZ, positions=positions, workers=workers)
    trans = pot.transmission(scope.sigma, workers=workers)
    prop = fresnel_propagator(pot.gpts, pot.sampling, scope.wavelength, pot.thickness,
                              scope.tilt)
    det = AnnularDetector(pot.gpts, pot.sampling, scope.wavelength, scope.detector)
    grid = np.arange(SCAN) * (lx / SCAN)
    sx, sy = np.meshgrid(grid, grid)
    pos = np.stack([sx.ravel(), sy.ravel()], 1)
    waves = scipy.fft.ifft2(scope.probe_k(pot.gpts, pot.sampling, pos), axes=(-2, -1),
                            workers=workers)
    out = {}
    for i in range(trans.shape[0]):
        multiply(waves, trans[i], workers)
        waves = scipy.fft.fft2(waves, axes=(-2, -1), overwrite_x=True, workers=workers)
        multiply(waves, prop, workers)
        if i + 1 in n_slices_at:
            out[i + 1] = det.integrate(waves).reshape(SCAN, SCAN)
        waves = scipy.fft.ifft2(waves, axes=(-2, -1), overwrite_x=True, workers=workers)
    return out, pot.thickness


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phonons", type=int, default=4)
    parser.add_argument("--interpolation", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plot", default=None, help="PNG path of the plot")
    parser.add_argument("--json", default="/tmp/thickness_series.json")
    args = parser.parse_args()
    scope = Microscope()
    full = crystal(CELLS[-1])
    rng = np.random.default_rng(args.seed)
    configs = [full.positions + rng.normal(0, 0.08, full.positions.shape)
               for _ in range(max(args.phonons, 1))]
    n_at = {2 * c: c for c in CELLS}
    ms = {c: np.zeros((SCAN, SCAN)) for c in CELLS}
    t0 = time.perf_counter()
    for p in configs:
        series, dz = multislice_series(full, p, scope, set(n_at), args.workers)
        for ns, img in series.items():
            ms[n_at[ns]] += img / len(configs)
    t_ms = time.perf_counter() - t0
    pr, cost = {}, {}
    for c in CELLS:
        top = full.positions[:, 2] < c * A - 1e-6  # the top c cells of the thick crystal
        atoms = full[top]
        atoms.set_cell([LATERAL * A, LATERAL * A, c * A])
        assert len(atoms) == len(crystal(c))
        acc = np.zeros((SCAN, SCAN))
        t = 0.0
        for p in configs:
            cut = atoms.copy()
            cut.positions = p[top]
            r = simulate(cut, scope, pixels=SCAN, scan_pixels=SCAN, method="prism",
                         interpolation=args.interpolation, slice_thickness=DZ,
                         workers=args.workers)
            acc += r.image / len(configs)
            t += r.timings["total"]
        pr[c], cost[c] = acc, t / len(configs)
    rows = []
    for c in CELLS:
        m, q = columns(ms[c]), columns(pr[c])
        a, b = ms[c] - ms[c].mean(), pr[c] - pr[c].mean()
        rows.append({"cells": c, "thickness": c * A, "slices": 2 * c, "multislice": m,
                     "prism": q, "ncc": float(np.sum(a * b) / np.sqrt(np.sum(a * a)
                                                                      * np.sum(b * b))),
                     "prism_s_per_config": cost[c]})
    print(f"phonons {len(configs)}, PRISM f={args.interpolation}, multislice all depths "
          f"{t_ms:.1f} s ({t_ms / len(configs):.1f} s per configuration, {2 * CELLS[-1]} "
          "slices)")
    print("| thickness [A] | slices | mean MS | mean PRISM | Sr/TiO MS | Sr/TiO PRISM | "
          "TiO/O MS | TiO/O PRISM | NCC | PRISM s/config |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        m, q = r["multislice"], r["prism"]
        print(f"| {r['thickness']:.0f} | {r['slices']} | {m['mean']:.4f} | {q['mean']:.4f} | "
              f"{m['Sr'] / m['TiO']:.2f} | {q['Sr'] / q['TiO']:.2f} | {m['TiO'] / m['O']:.2f} | "
              f"{q['TiO'] / q['O']:.2f} | {r['ncc']:.4f} | {r['prism_s_per_config']:.2f} |")
    slices = np.array([r["slices"] for r in rows], dtype=float)
    secs = np.array([r["prism_s_per_config"] for r in rows])
    fit = np.polyfit(slices, secs, 1)
    resid = secs - np.polyval(fit, slices)
    print(f"PRISM cost fit: {fit[0] * 1e3:.2f} ms per slice + {fit[1]:.2f} s, "
          f"max residual {np.abs(resid).max():.2f} s")
    np.savez(Path(args.json).with_suffix(".npz"), cells=np.array(CELLS),
             multislice=np.array([ms[c] for c in CELLS]), prism=np.array([pr[c] for c in CELLS]))
    Path(args.json).write_text(json.dumps({"rows": rows, "multislice_s": t_ms,
                                           "fit_s_per_slice": fit[0], "fit_offset_s": fit[1],
                                           "phonons": len(configs),
                                           "interpolation": args.interpolation}, indent=1))
    if args.plot:
        plot(rows, fit, args)


def plot(rows, fit, args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [r["thickness"] for r in rows]
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    for key, style in (("multislice", "o-"), ("prism", "s--")):
        label = "multislice" if key == "multislice" else f"PRISM f={args.interpolation}"
        ax[0].plot(t, [r[key]["mean"] for r in rows], style, label=label)
        ax[1].plot(t, [r[key]["Sr"] / r[key]["TiO"] for r in rows], style,
                   label=f"Sr / Ti-O, {label}")
        ax[1].plot(t, [r[key]["TiO"] / r[key]["O"] for r in rows], style,
                   label=f"Ti-O / O, {label}")
    ax[0].set(xlabel="thickness [A]", ylabel="HAADF mean [fraction of beam]",
              title="SrTiO3 [001], 200 kV, 20 mrad, 100-150 mrad")
    ax[1].set(xlabel="thickness [A]", ylabel="column ratio", title="column ratios")
    slices = [r["slices"] for r in rows]
    ax[2].plot(slices, [r["prism_s_per_config"] for r in rows], "s", label="measured")
    ax[2].plot(slices, np.polyval(fit, slices), "-", label=f"{fit[0] * 1e3:.1f} ms/slice")
    ax[2].set(xlabel="slices", ylabel="PRISM s per configuration", title="cost")
    for a in ax:
        a.legend(fontsize=7)
        a.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.plot, dpi=110)
    print(f"written {args.plot}")


if __name__ == "__main__":
    main()
