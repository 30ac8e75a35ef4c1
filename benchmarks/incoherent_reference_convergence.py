"""Reference convergence for benchmarks/INCOHERENT.md: four single atoms (Si, Fe, Mo, Pt) in
16 A of vacuum, frozen-phonon PRISM f=1 (4 configurations, seed 1) at the benchmark's cheap
settings (detector-rule sampling, 1 A slices) and the converged defaults (0.035 A, 0.25 A),
against the incoherent model (peak pixel of each atom).

    nice -n 10 python3 benchmarks/incoherent_reference_convergence.py
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
from ase import Atoms
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from synthstem.physics.simulate import simulate
size = 16.0
spots = [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)]
atoms = Atoms("SiFeMoPt", positions=[(fx * size, fy * size, 2.0) for fx, fy in spots],
              cell=[size, size, 4.0], pbc=True)
out = {}
inc = simulate(atoms, pixels=128, method="incoherent")
for name, kw in (("cheap", dict(sampling="detector", slice_thickness=1.0)),
                 ("converged", dict(sampling=None, slice_thickness=0.25))):
    t = time.perf_counter()
    r = simulate(atoms, pixels=128, method="prism", interpolation=1, phonons=4, seed=1,
                 workers=2, projection="finite", prism_check=0, **kw)
    peaks = [float(r.image[int(fy * 128), int(fx * 128)]) for fx, fy in spots]
    ipeaks = [float(inc.image[int(fy * 128), int(fx * 128)]) for fx, fy in spots]
    out[name] = {"seconds": time.perf_counter() - t, "peaks": peaks,
                 "inc_over_ref": [a / b for a, b in zip(ipeaks, peaks)], "mean": float(r.image.mean()),
                 "inc_mean_over_ref": float(inc.image.mean() / r.image.mean()), "gpts": r.params["gpts"]}
    print(name, json.dumps(out[name]), flush=True)

