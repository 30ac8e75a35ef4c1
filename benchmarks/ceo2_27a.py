"""The issue-22 case through ``simulate``: CeO2 [001] 2 x 2 x 5 cell (27 A), PRISM f=2.

    nice -n 10 python3 benchmarks/ceo2_27a.py [--settings default,0.025:0.125,...]
        [--json benchmarks/ceo2_27a.json] [--workers 2]

Cell built with ``ase.spacegroup.crystal`` (Fm-3m, a = 5.411 A), 10.82 x 10.82 x 27.06 A,
static lattice, 128 px, 200 kV, 20 mrad, 100-150 mrad, Lobato, finite projection.
Settings are ``sampling:slice_thickness`` [A] or ``default`` (simulate without either:
the rule of ``physics.accuracy_rule`` where present, else the old fixed default). Each
image is stored (JSON, resumable); the table compares the mean HAADF and NCC with the
finest setting run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
from ase.spacegroup import crystal

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from synthstem.physics.optics import Microscope  # noqa: E402
from synthstem.physics.simulate import simulate  # noqa: E402


def cell():
    ceo2 = crystal(["Ce", "O"], basis=[(0, 0, 0), (0.25, 0.25, 0.25)], spacegroup=225,
                   cellpar=[5.411, 5.411, 5.411, 90, 90, 90])
    return ceo2.repeat((2, 2, 5))


def ncc(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", default="default,0.025:0.125")
    parser.add_argument("--json", default="benchmarks/ceo2_27a.json")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tag", default="", help="label of 'default' runs (e.g. old, new)")
    args = parser.parse_args(argv)
    path = Path(args.json)
    data = json.loads(path.read_text()) if path.is_file() else {}
    atoms = cell()
    for item in args.settings.split(","):
        key = f"default{args.tag}" if item == "default" else item
        if key in data:
            continue
        kw = {}
        if item != "default":
            s, dz = item.split(":")
            kw = {"sampling": float(s), "slice_thickness": float(dz)}
        r = simulate(atoms, Microscope(), pixels=128, method="prism", interpolation=2,
                     phonons=0, seed=1, workers=args.workers, prism_check=0, **kw)
        data[key] = {"image": r.image.tolist(), "seconds": r.timings["total"],
                     "load": os.getloadavg()[0], "sampling": r.params["sampling"],
                     "slice_thickness_used": r.params["slice_thickness_used"],
                     "predicted_error": r.params.get("numerics", {}).get("predicted_error")}
        path.write_text(json.dumps(data))
        print(f"{key}: mean {r.image.mean():.6f} {r.timings['total']:.0f} s "
              f"sampling {r.params['sampling'][0]:.4f} dz {r.params['slice_thickness_used']:.4f}",
              flush=True)
    finest = min((k for k in data if ":" in k),
                 key=lambda k: float(k.split(":")[0]) * float(k.split(":")[1]))
    ref = np.asarray(data[finest]["image"])
    print(f"reference: {finest}")
    print("| setting | sampling [A] | slices [A] | mean | vs reference | NCC | s |")
    print("|---|---|---|---|---|---|---|")
    for k, v in data.items():
        img = np.asarray(v["image"])
        print(f"| {k} | {v['sampling'][0]:.4f} | {v['slice_thickness_used']:.4f} | "
              f"{img.mean():.6f} | {100 * (img.mean() / ref.mean() - 1):+.2f} % | "
              f"{ncc(img, ref):.5f} | {v['seconds']:.0f} |")


if __name__ == "__main__":
    main()
