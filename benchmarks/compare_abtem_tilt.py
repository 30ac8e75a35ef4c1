"""Specimen mistilt: synthstem's tilted propagator against abTEM's Probe(tilt=...).

SrTiO3 [001], 2 x 2 x 13 unit cells (7.81 x 7.81 x 50.8 A), 200 kV, 20 mrad, 100-150 mrad,
static lattice, multislice on the same potential grid and slices, 16 x 16 scan (0.49 A
step: the Sr column at pixel (0, 0), Ti-O at (4, 4), O at (0, 4)); abTEM (not a
dependency) runs in another interpreter::

    python3 -m venv /tmp/abtem_venv && /tmp/abtem_venv/bin/pip install abtem==1.0.11
    PYTHONPATH=src python3 benchmarks/compare_abtem_tilt.py --abtem-python /tmp/abtem_venv/bin/python

Prints, per tilt, the NCC of the two images, their means and the Sr column / image-mean
contrast of each, relative to the untilted one.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from ase import Atoms

from synthstem.physics.optics import Microscope
from synthstem.physics.simulate import simulate

A = 3.905
TILTS = [(0.0, 0.0), (5.0, 2.5), (10.0, 5.0), (20.0, 10.0)]

_ABTEM = r"""
import json, sys
import numpy as np
from ase import Atoms
import abtem, dask
dask.config.set(scheduler="synchronous")
abtem.config.set({{"device": "cpu"}})
atoms = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
              (0.5, 0, 0.5), (0, 0.5, 0.5)], cell=[{a}] * 3, pbc=True).repeat((2, 2, 13))
pot = abtem.Potential(atoms, gpts={gpts}, slice_thickness={dz}, parametrization="lobato",
                      projection="infinite")
out = {{}}
for tilt in {tilts}:
    probe = abtem.Probe(energy=200e3, semiangle_cutoff=20, tilt=tuple(tilt))
    scan = abtem.GridScan(start=(0, 0), end=({size}, {size}), gpts=16, endpoint=False)
    det = abtem.AnnularDetector(inner=100, outer=150)
    m = probe.scan(pot, scan=scan, detectors=det).compute(progress_bar=False)
    out[str(tuple(tilt))] = np.asarray(m.array, dtype=np.float64).T.tolist()  # (x, y) -> (y, x)
print("RESULT " + json.dumps({{"version": abtem.__version__, "images": out}}))
"""


def ncc(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--abtem-python", required=True)
    args = parser.parse_args()
    atoms = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                              (0.5, 0, 0.5), (0, 0.5, 0.5)],
                  cell=[A] * 3, pbc=True).repeat((2, 2, 13))
    ours = {}
    for tilt in TILTS:
        r = simulate(atoms, Microscope(tilt_x=tilt[0], tilt_y=tilt[1]), pixels=16,
                     scan_pixels=16, method="multislice", workers=2)
        ours[str(tilt)] = r.image
    gpts, dz = r.params["gpts"], r.params["slice_thickness_used"]
    code = _ABTEM.format(a=A, gpts=tuple(gpts), dz=dz, tilts=[list(t) for t in TILTS],
                         size=2 * A)
    proc = subprocess.run([args.abtem_python, "-c", code], capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        sys.exit(f"abTEM case failed:\n{proc.stderr[-3000:]}")
    res = json.loads(lines[0][7:])
    theirs = {k: np.array(v) for k, v in res["images"].items()}
    print(f"abTEM {res['version']}, grid {gpts}, dz {dz:.3f} A, 13 x 2 slices/cell")
    print("| tilt (x, y) [mrad] | NCC | mean synthstem | mean abTEM | Sr/mean synthstem "
          "(rel. to 0) | Sr/mean abTEM (rel. to 0) |")
    print("|---|---|---|---|---|---|")
    rows = []
    c0 = {}
    for tilt in TILTS:
        k = str(tilt)
        a, b = ours[k], theirs[k]
        ca, cb = a[0, 0] / a.mean(), b[0, 0] / b.mean()
        c0.setdefault("a", ca)
        c0.setdefault("b", cb)
        row = dict(tilt=tilt, ncc=ncc(a, b), mean_synthstem=float(a.mean()),
                   mean_abtem=float(b.mean()), contrast_synthstem=float(ca),
                   contrast_abtem=float(cb))
        rows.append(row)
        print(f"| {tilt} | {row['ncc']:.5f} | {a.mean():.5f} | {b.mean():.5f} | "
              f"{ca:.2f} ({ca / c0['a']:.3f}) | {cb:.2f} ({cb / c0['b']:.3f}) |")
    out = Path(tempfile.gettempdir()) / "compare_abtem_tilt.json"
    out.write_text(json.dumps(rows, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
