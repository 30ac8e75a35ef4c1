"""Cross-check of the convergence panel with abTEM at the same settings.

    python3 benchmarks/convergence_abtem.py --abtem-python /path/to/python-with-abtem-1.0.11
        [--cells sto001,ceo2_001] [--settings 0.025:0.5:infinite,0.025:0.5:finite]

Same cell, same potential grid (gpts), same equal slices, PRISM f=2, same scan grid
(the cell's Nyquist grid, no interpolation), 200 kV, 20 mrad, 100-150 mrad, Lobato.
Prints both HAADF means, their ratio and the NCC. abTEM's projections differ from ours:
its "infinite" places each atom as a bilinear delta function and projects in Fourier
space (its HAADF is low for atoms off grid points until ~0.0125 A); its "finite"
integrates over ``[k dz, (k + 1) dz]`` (the slab below the transmission plane) where
ours takes the slab centred on the plane.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from convergence import INTERPOLATION, ncc, panel  # noqa: E402

from synthstem.physics.optics import Microscope, choose_gpts  # noqa: E402
from synthstem.physics.potential import n_slices_for  # noqa: E402
from synthstem.physics.scan_grid import scan_points  # noqa: E402
from synthstem.physics.simulate import simulate  # noqa: E402

_ABTEM = r"""
import json, sys, time
import numpy as np
from ase.io import read
import abtem, dask
dask.config.set(scheduler="threads", num_workers=2)
abtem.config.set({"device": "cpu"})
atoms = read(sys.argv[1])
a = json.loads(sys.argv[2])
t = time.perf_counter()
pot = abtem.Potential(atoms, gpts=a["gpts"], slice_thickness=a["slices"],
                      parametrization="lobato", projection=a["projection"])
sm = abtem.SMatrix(potential=pot, energy=200e3, semiangle_cutoff=20,
                   interpolation=a["f"])
lx, ly = atoms.cell.lengths()[:2]
scan = abtem.GridScan(start=(0, 0), end=(lx, ly), gpts=a["scan"], endpoint=False)
det = abtem.AnnularDetector(inner=100, outer=150)
m = sm.scan(scan=scan, detectors=det).compute(progress_bar=False)
np.save(a["out"], np.asarray(m.array, dtype=np.float64))
print("RESULT " + json.dumps({"seconds": time.perf_counter() - t}))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--abtem-python", required=True)
    parser.add_argument("--cells", default="sto001,ceo2_001")
    parser.add_argument("--settings", default="0.025:0.5:infinite,0.025:0.5:finite")
    args = parser.parse_args(argv)
    cells = panel()
    scope = Microscope()
    print("| cell | sampling [A] | slices [A] | projection | synthstem mean | abTEM mean | "
          "ratio | NCC | synthstem s | abTEM s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.cells.split(","):
        atoms, phonons = cells[name]
        if phonons:
            raise SystemExit("static cells only")
        lx, ly, lz = atoms.cell.lengths()
        for item in args.settings.split(","):
            s, dz, proj = item.split(":")
            s, dz = float(s), float(dz)
            gpts = (choose_gpts(lx, s, INTERPOLATION), choose_gpts(ly, s, INTERPOLATION))
            n = n_slices_for(lz, dz)
            scan = (scan_points(lx, scope, 10**6), scan_points(ly, scope, 10**6))
            if scan[0] != scan[1]:
                raise SystemExit(f"{name}: square cells only (simulate's scan_pixels)")
            r = simulate(atoms, scope, pixels=scan[0], method="prism",
                         interpolation=INTERPOLATION, slice_thickness=dz, workers=2,
                         sampling=s, projection=proj, scan_pixels=scan[0])
            assert r.params["gpts"] == [gpts[1], gpts[0]]
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "cell.traj"
                atoms.write(path)
                out = str(Path(tmp) / "abtem.npy")
                spec = {"gpts": list(gpts), "slices": [lz / n] * n, "projection": proj,
                        "f": INTERPOLATION, "scan": list(scan), "out": out}
                proc = subprocess.run([args.abtem_python, "-c", _ABTEM, str(path),
                                       json.dumps(spec)], capture_output=True, text=True)
                lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
                if not lines:
                    raise SystemExit(f"abTEM failed:\n{proc.stderr[-3000:]}")
                ab_s = json.loads(lines[0][7:])["seconds"]
                ab = np.load(out).T  # abTEM (x, y) -> our (row = y, col = x)
            ours = r.image
            print(f"| {name} | {s} | {lz / n:.3f} | {proj} | {ours.mean():.6f} | "
                  f"{ab.mean():.6f} | {ours.mean() / ab.mean():.4f} | {ncc(ours, ab):.5f} | "
                  f"{r.timings['total']:.1f} | {ab_s:.1f} |", flush=True)


if __name__ == "__main__":
    main()
