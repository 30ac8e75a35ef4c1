"""Predicted vs checked PRISM error on the items of a config: does the f rule hold?

For the first ``--items`` items of a config's plan, the clean cell is built exactly as a run
builds it (structure, orientation, boundary, amorphous layers) and simulated with the item's
drawn microscope, its slices/projection/sampling and ``phonons=0`` (the check compares
the first configuration only), once per interpolation factor of ``--factors``; each
simulation records the PRISM check error, the window half-width ``min(L) / (2 f)`` and the
item's microscope (benchmarks/prism_f_report.py adds the predicted spread).

    nice -n 10 python3 benchmarks/prism_f_check.py configs/randomized.toml --items 8 \
        --json prism_f_check.json
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np

from synthstem.physics.optics import Microscope
from synthstem.physics.simulate import simulate
from synthstem.random import STAGE_AMORPHOUS, item_seed_sequence
from synthstem.runs.build import add_layers, orient_item
from synthstem.runs.config import load_config
from synthstem.runs.plan import plan
from synthstem.runs.sources import load_atoms


def item_cell(task):
    atoms, meta = load_atoms(task.structure)
    crystal, _ = orient_item(atoms, task, meta)
    cell, _ = add_layers(crystal, task.physics.get("amorphous"), np.random.default_rng(
        item_seed_sequence(task.seed, task.index, STAGE_AMORPHOUS)))
    return cell


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--items", type=int, default=8)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--factors", default="4,2")
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    config = load_config(args.config)
    tasks = plan(config, "/tmp")[args.start:args.start + args.items]
    factors = [int(f) for f in args.factors.split(",")]
    rows = []
    for task in tasks:
        cell = item_cell(task)
        sim = task.physics["simulation"]
        scope = Microscope(**task.physics["microscope"])
        lx, ly, lz = cell.atoms.cell.lengths()
        z = int(max(cell.atoms.numbers))
        for f in factors:
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = simulate(cell, scope, pixels=64, method="prism", interpolation=f, phonons=0,
                               slice_thickness=sim["slice_thickness"], projection=sim["projection"],
                               sampling=sim["sampling"], focal_points=sim.get("focal_points", 7),
                               prism_check=4)
            row = {"item": task.index, "name": task.name, "formula": cell.formula, "z": z,
                   "energy": scope.energy, "convergence": scope.convergence,
                   "thickness": float(lz), "extent": [float(lx), float(ly)], "f": f,
                   "half_window": float(min(lx, ly) / (2 * f)),
                   "microscope": task.physics["microscope"],
                   "error": res.params["prism_check"]["error"],
                   "seconds": round(time.perf_counter() - t0, 1)}
            rows.append(row)
            print(json.dumps({k: row[k] for k in ("item", "formula", "thickness", "f",
                                                   "half_window", "error", "seconds")}),
                  flush=True)
            with open(args.json, "w") as fh:
                json.dump(rows, fh, indent=0)


if __name__ == "__main__":
    main()
