"""Cause of PRISM's thick-window failure: synthstem against abTEM's PRISM, and the spread.

Static SrTiO3 [001], 3 x 3 unit cells (11.7 A, 216^2 grid), ``--cells`` deep (default 13:
51 A), two slices per cell, infinite projection, 200 kV, 20 mrad, 100-150 mrad, 24 x 24
scan. PRISM f = 1, 2, 3 in synthstem and in abTEM 1.0.11 (its own potential, same grid,
slices and scan); each against its own f=1. Then the fraction of one multislice probe's
exit-wave intensity (Sr and Ti-O column) outside the f=2 and f=3 windows at 23, 51, 148 A.
``--multislice-edge``: the same with PRISM's aperture soft edge over one step ``1 / L``
(multislice's) instead of ``f / L`` (a what-if: ``prism.prism_beams`` patched here only). ``--cube``: also the check's error
on the dataset-like cut 26 A SrTiO3 [001] cube (``FAST``, f=4, static, 128 px).

    PYTHONPATH=src python3 benchmarks/prism_window_abtem.py --abtem-python /path/to/python
"""

import argparse
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.io import write

from synthstem.physics import backend
from synthstem.physics.multislice import fresnel_propagator, transmit_and_propagate
from synthstem.physics.optics import Microscope
from synthstem.physics.potential import potential_slices
from synthstem.physics.simulate import simulate

A = 3.905
N = 216  # grid points over 3 unit cells
_ABTEM = r"""
import sys, numpy as np, abtem, dask
from ase.io import read
dask.config.set(scheduler="threads", num_workers=2)
atoms = read(sys.argv[1])
pot = abtem.Potential(atoms, gpts=216, slice_thickness=3.905 / 2, parametrization="lobato",
                      projection="infinite")
lx, ly = atoms.cell.lengths()[:2]
for f in (1, 2, 3):
    sm = abtem.SMatrix(potential=pot, energy=200e3, semiangle_cutoff=20, interpolation=f)
    scan = abtem.GridScan(start=(0, 0), end=(lx, ly), gpts=24, endpoint=False)
    m = sm.scan(scan=scan, detectors=abtem.AnnularDetector(inner=100, outer=150))
    np.save(f"{sys.argv[2]}/ab{f}.npy", np.asarray(m.compute(progress_bar=False).array).T)
"""


def crystal(cells):
    base = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                             (0.5, 0, 0.5), (0, 0.5, 0.5)],
                 cell=[A, A, A], pbc=True)
    return base.repeat((3, 3, cells))


def ncc(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def compare(images, name):
    ref = images[1]
    for f in (2, 3):
        img = images[f]
        print(f"{name} f={f}: NCC {ncc(img, ref):.5f}, mean / f1 {img.mean() / ref.mean():.4f}, "
              f"max / f1 {img.max() / ref.max():.4f}")


def spread(scope):
    """Fraction of one probe's exit intensity outside windows of L/3 and L/2."""
    L = 3 * A
    for cells in (6, 13, 38):
        pot = potential_slices(crystal(cells), (N, N), A / 2, projection="infinite")
        trans = pot.transmission(scope.sigma)
        prop = fresnel_propagator(pot.gpts, pot.sampling, scope.wavelength, pot.thickness)
        pos = np.array([[A, A], [1.5 * A, 1.5 * A]])  # Sr column, Ti-O column
        w = backend.ifft2(scope.probe_k(pot.gpts, pot.sampling, pos).astype(np.complex64))
        w = np.abs(transmit_and_propagate(w, trans, prop, final_real=True)) ** 2
        x = np.arange(N) * L / N
        out = []
        for k, col in enumerate(("Sr", "Ti-O")):
            d = np.abs(x - pos[k, 0])
            for win in (L / 3, L / 2):
                inside = (d[:, None] < win / 2) & (d[None, :] < win / 2)
                out.append(f"{col} outside {win:.1f} A: {1 - w[k][inside].sum() / w[k].sum():.3f}")
        print(f"{cells * A:.0f} A: " + ", ".join(out))


def patch_edge():
    """``prism.prism_beams`` with the multislice aperture (soft edge over ``1 / L``)."""
    from synthstem.physics import prism
    from synthstem.physics.optics import spatial_frequencies

    def beams(gpts, sampling, microscope, interpolation):
        f = int(interpolation)
        ky, kx = spatial_frequencies(gpts, sampling)
        ny, nx = gpts
        weights = microscope.aperture(kx[None, :], ky[:, None],
                                      (1 / (ny * sampling[0]), 1 / (nx * sampling[1])))
        inside = weights > 0
        inside &= (np.arange(ny) % f == 0)[:, None] & (np.arange(nx) % f == 0)[None, :]
        iy, ix = np.nonzero(inside)
        return iy, ix, ky[iy], kx[ix], weights[iy, ix]

    prism.prism_beams = beams


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--abtem-python", default=None, help="python with abTEM 1.0.11")
    parser.add_argument("--cells", type=int, default=13)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--multislice-edge", action="store_true")
    parser.add_argument("--cube", action="store_true")
    args = parser.parse_args()
    if args.multislice_edge:
        patch_edge()
    atoms = crystal(args.cells)
    ours = {f: simulate(atoms, method="prism", interpolation=f, pixels=24, scan_pixels=24,
                        slice_thickness=A / 2, projection="infinite", sampling=3 * A / N,
                        workers=args.workers, prism_check=0).image for f in (1, 2, 3)}
    compare(ours, "synthstem")
    if args.abtem_python:
        with tempfile.TemporaryDirectory() as tmp:
            write(f"{tmp}/atoms.traj", atoms)
            subprocess.run([args.abtem_python, "-c", _ABTEM, f"{tmp}/atoms.traj", tmp],
                           check=True, capture_output=True)
            ab = {f: np.load(Path(tmp) / f"ab{f}.npy") for f in (1, 2, 3)}
        compare(ab, "abTEM")
        print(f"synthstem vs abTEM f=2: NCC {ncc(ours[2], ab[2]):.4f}")
    spread(Microscope())
    if args.cube:
        from synthstem.physics.simulate import FAST
        from synthstem.structures.orient import orient
        from synthstem.structures.prototypes import prototype

        cell = orient(prototype("perovskite"), (0, 0, 1), size=26.0, boundary="cut")
        rec = simulate(cell, pixels=128, interpolation=4, workers=args.workers,
                       **FAST).params["prism_check"]
        ratio = np.array(rec["prism"]) / np.array(rec["multislice"])
        print(f"26 A cut cube, FAST, f=4: check error {rec['error']:.4f}, PRISM / multislice "
              f"at the checked positions {np.round(ratio, 3).tolist()}")


if __name__ == "__main__":
    main()
