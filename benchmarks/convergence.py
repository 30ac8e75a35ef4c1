"""Convergence of the HAADF image in potential sampling and slice thickness.

    python3 benchmarks/convergence.py [--cells si110,ceo2_001,...] [--workers 2]
                                      [--cache /tmp/synthstem_convergence] [--json out.json]

Panel (periodic cells built here, ~11 x 11 A laterally, 15-16 A thick; 200 kV, 20 mrad,
100-150 mrad, PRISM f=2, i.e. 5.4-5.8 A windows like the dataset default f=4 on 25 A):

- si110     Si [110]        3 x 2 x 4 orthogonal cells (11.5 x 10.9 x 15.4 A), 96 atoms
- ceo2_001  CeO2 [001]      2 x 2 x 3 cubic cells (10.8 x 10.8 x 16.2 A), 144 atoms
- sto001    SrTiO3 [001]    3 x 3 x 4 cubic cells (11.7 x 11.7 x 15.6 A), 180 atoms
- rutile211 TiO2 [211]      12 A cube cut by ``synthstem.orient`` (not periodic at its
                            faces: the same cut for every setting, so it does not bias
                            the comparison)
- sto001_fp SrTiO3 [001]    as sto001, 2 frozen-phonon configurations (0.08 A, seed 1)

Settings: the slice series at 0.025 A for both projections, the sampling series with 1 A
infinite-projection slices, and the candidate defaults (``--settings`` runs a subset).
Every setting is run once (``simulate(..., projection=...)``, scan on the Nyquist grid of
the cell, image Fourier-interpolated to 64 x 64); images are cached in ``--cache`` so
that an interrupted run resumes. For each cell the table gives the mean and the NCC
against the reference (``REFERENCE``) and the wall time of the
setting on this machine (``timings["total"]``, shared machine: +-30 %).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.build import bulk, cut

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from synthstem.physics.optics import Microscope  # noqa: E402
from synthstem.physics.simulate import simulate  # noqa: E402

#: (sampling [A] or None for the default rule, slice thickness [A], projection):
#: slice series at 0.025 A (both projections), sampling series with 1 A infinite slices,
#: and the candidate defaults at the default rule and 0.035 A
SETTINGS = [(0.025, dz, "finite") for dz in (2.0, 1.0, 0.5, 0.25, 0.125)]
SETTINGS += [(0.025, dz, "infinite") for dz in (2.0, 1.0, 0.5, 0.25)]
SETTINGS += [(s, 1.0, "infinite") for s in (None, 0.035, 0.0125)]
SETTINGS += [(s, dz, "infinite") for s in (None, 0.035) for dz in (2.0, 0.5)]
SETTINGS += [(None, 1.0, "finite"), (0.035, 0.5, "finite")]
#: converged reference: finest slices of the finite projection at 0.025 A (the sampling
#: series shows 0.025 -> 0.0125 A changes little)
REFERENCE = (0.025, 0.125, "finite")
PIXELS = 64
INTERPOLATION = 2


def _orthogonal(atoms):
    """Rotate a cut with mutually orthogonal cell vectors onto the x, y, z axes."""
    lengths = atoms.cell.lengths()
    frac = atoms.get_scaled_positions()
    out = Atoms(atoms.get_chemical_symbols(), scaled_positions=frac, cell=np.diag(lengths),
                pbc=True)
    out.wrap(eps=1e-6)
    return out


def panel():
    """The panel cells: name -> (ase.Atoms, phonons)."""
    si = bulk("Si", "diamond", a=5.431, cubic=True)
    si110 = _orthogonal(cut(si, a=(0.5, -0.5, 0), b=(0, 0, 1), c=(0.5, 0.5, 0))).repeat((3, 2, 4))
    ceo2 = bulk("CeO2", "fluorite", a=5.411, cubic=True).repeat((2, 2, 3))
    sto = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                            (0.5, 0, 0.5), (0, 0.5, 0.5)],
                cell=[3.905] * 3, pbc=True).repeat((3, 3, 4))
    import synthstem

    rutile = synthstem.orient(synthstem.prototype("rutile"), (2, 1, 1), size=12.0).atoms
    return {"si110": (si110, 0), "ceo2_001": (ceo2, 0), "sto001": (sto, 0),
            "rutile211": (rutile, 0), "sto001_fp": (sto, 2)}


def _key(name, setting):
    s, dz, proj = setting
    return f"{name}_{'default' if s is None else s}_{dz}_{proj}"


def run_setting(atoms, phonons, setting, workers):
    s, dz, proj = setting
    r = simulate(atoms, Microscope(), pixels=PIXELS, method="prism",
                 interpolation=INTERPOLATION, slice_thickness=dz, phonons=phonons,
                 seed=1, workers=workers, sampling=s, projection=proj)
    return r.image, {"seconds": r.timings["total"], "potential_s": r.timings["potential"],
                     "sampling": r.params["sampling"][1], "gpts": r.params["gpts"],
                     "n_slices": r.params["n_slices"], "dz": r.params["slice_thickness_used"]}


def ncc(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default="si110,ceo2_001,sto001,rutile211,sto001_fp")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", default="/tmp/synthstem_convergence")
    parser.add_argument("--json", default=None)
    parser.add_argument("--settings", default=None,
                        help="only these settings, e.g. 'default:2:finite,0.025:1:finite'")
    args = parser.parse_args(argv)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    cells = panel()
    settings = SETTINGS
    if args.settings:
        settings = []
        for item in args.settings.split(","):
            s, dz, proj = item.split(":")
            settings.append((None if s == "default" else float(s), float(dz), proj))
        if REFERENCE not in settings:
            settings.append(REFERENCE)
    print(f"# {platform.node()} {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}, "
          f"workers={args.workers}, PRISM f={INTERPOLATION}, {PIXELS} px", flush=True)
    print("| cell | sampling [A] | slices [A] (used) | projection | mean | vs reference | NCC | "
          "s (total) | s (potential) |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for name in args.cells.split(","):
        atoms, phonons = cells[name]
        images, meta = {}, {}
        # reference first, then the rest (coarse first)
        for setting in [REFERENCE] + [s for s in settings if s != REFERENCE]:
            key = _key(name, setting)
            path = cache / f"{key}.npz"
            if path.is_file():
                with np.load(path, allow_pickle=False) as z:
                    images[setting] = z["image"]
                    meta[setting] = json.loads(str(z["meta"]))
            else:
                t = time.perf_counter()
                img, m = run_setting(atoms, phonons, setting, args.workers)
                m["wall_s"] = time.perf_counter() - t
                np.savez(path, image=img, meta=json.dumps(m))
                images[setting], meta[setting] = img, m
            ref = images[REFERENCE]
            img, m = images[setting], meta[setting]
            row = {"cell": name, "sampling": m["sampling"], "requested_sampling": setting[0],
                   "slice": setting[1], "dz": m["dz"], "projection": setting[2],
                   "mean": float(img.mean()), "mean_rel": float(img.mean() / ref.mean() - 1),
                   "ncc": ncc(img, ref), "seconds": m["seconds"],
                   "potential_s": m["potential_s"], "gpts": m["gpts"]}
            rows.append(row)
            print(f"| {name} | {row['sampling']:.4f} | {setting[1]:g} ({m['dz']:.3f}) | "
                  f"{setting[2]} | {row['mean']:.6f} | {100 * row['mean_rel']:+.2f} % | "
                  f"{row['ncc']:.5f} | {row['seconds']:.1f} | {row['potential_s']:.1f} |",
                  flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"machine": platform.node(), "cpus": os.cpu_count(),
                       "workers": args.workers, "interpolation": INTERPOLATION,
                       "pixels": PIXELS, "reference": list(REFERENCE), "rows": rows},
                      fh, indent=1)


if __name__ == "__main__":
    main()
