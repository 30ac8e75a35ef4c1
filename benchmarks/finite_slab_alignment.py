"""Finite projection at 0.5 A slices (-4 % in benchmarks/CONVERGENCE.md): bug or slicing?

1. Slab fractions of one Si atom (on a slab boundary, 0.5 A slices) against an explicit
   ``scipy.integrate.quad`` slab integral of the 3-D potential V(r), and the sum over the
   finite slices against the infinite projection, per slice count.
2. Single-atom HAADF (4 x 4 x 4 A cell, multislice, 0.025 A, 12 x 12 scan, 200 kV, 20 mrad,
   100-150 mrad) against the atom's z offset from its transmission plane (0, 1/4, 1/2 of
   a slice), per slice thickness and ``finite_radius``, relative to 0.0625 A slices.
3. The same for a SrTiO3 [001] column cell (1 x 1 x 4 unit cells, atom planes on the
   0.488 A slice planes, or shifted by half a slice), relative to 0.03125 A slices.

Usage (~50 s on one core): ``PYTHONPATH=src python3 benchmarks/finite_slab_alignment.py``.
Results: docs/physics.md, "Convergence".
"""

import numpy as np
from ase import Atoms
from scipy.integrate import quad

import synthstem.physics.simulate as sim
from synthstem.physics import parametrization as param
from synthstem.physics import potential as pot
from synthstem.physics.optics import Microscope

CELL = 4.0


def slab_check(dz=0.5, z0=2.25, n=160):
    """Print kernel slab fractions next to scipy.quad ones at a few radii on the x axis."""
    atom = Atoms("Si", positions=[(0, 0, z0)], cell=[CELL] * 3, pbc=True)
    fin = pot.potential_slices(atom, (n, n), dz, projection="finite").array.astype(float)
    inf = pot.potential_slices(atom, (n, n), dz, projection="infinite").array.astype(float)
    print(f"sum of finite slices vs infinite: max |diff| / max = "
          f"{np.abs(fin.sum(0) - inf.sum(0)).max() / inf.sum(0).max():.1e}")
    rc = pot.cutoff_radius("Si")
    for ix in (8, 16, 24):
        r = ix * CELL / n
        col = fin[:, 0, ix]
        s_max = np.sqrt(rc**2 - r**2)

        def v3(z, r=r):
            return param.potential_3d("Si", np.array([np.hypot(r, z)]), "lobato")[0]

        edges = np.clip((np.arange(col.size + 1) - 0.5) * dz - z0, -s_max, s_max)
        edges[0], edges[-1] = -s_max, s_max
        ref = np.array([quad(v3, a, b, limit=200)[0] for a, b in zip(edges[:-1], edges[1:])])
        print(f"r = {r:.2f} A  kernel {np.round(col / col.sum(), 4)}")
        print(f"            quad   {np.round(ref / ref.sum(), 4)}")


def haadf(element, dz, z, finite_radius=pot.FINITE_RADIUS):
    """Mean HAADF of one atom at (2, 2, z) [A] with the finite projection."""
    orig = sim.potential_slices

    def slices(*args, **kwargs):
        return orig(*args, finite_radius=finite_radius, **kwargs)

    sim.potential_slices = slices
    try:
        atom = Atoms(element, positions=[(2, 2, z)], cell=[CELL] * 3, pbc=True)
        r = sim.simulate(atom, Microscope(), pixels=12, method="multislice",
                         slice_thickness=dz, seed=1, workers=1, sampling=0.025,
                         projection="finite")
    finally:
        sim.potential_slices = orig
    return float(r.image.mean())


def srtio3_column(dz, shift=0.0):
    """Mean HAADF of a 1 x 1 x 4 SrTiO3 [001] cell, all atoms shifted by ``shift`` [A]."""
    cell = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                            (0.5, 0, 0.5), (0, 0.5, 0.5)],
                 cell=[3.905] * 3, pbc=True).repeat((1, 1, 4))
    cell.positions[:, 2] += shift
    r = sim.simulate(cell, Microscope(), pixels=12, method="multislice", slice_thickness=dz,
                     seed=1, workers=1, sampling=0.025, projection="finite")
    return float(r.image.mean())


def main():
    slab_check()
    ref = srtio3_column(0.03125)
    for dz, shift in ((0.5, 0.0), (0.5, 0.244), (0.25, 0.0), (0.125, 0.0), (0.125, 0.061)):
        print(f"SrTiO3 column, dz = {dz} A, shift {shift} A: "
              f"{100 * (srtio3_column(dz, shift) / ref - 1):+.2f} % vs 0.03125 A", flush=True)
    for element in ("Si", "Sr"):
        ref = haadf(element, 0.0625, 2.0)
        for dz in (1.0, 0.5, 0.25, 0.125):
            rows = [f"{o}: {100 * (haadf(element, dz, 2.0 + o * dz) / ref - 1):+.2f} %"
                    for o in (0.0, 0.25, 0.5)]
            print(f"{element} dz = {dz} A, offset / dz = " + ", ".join(rows), flush=True)
        for radius in (1.0, 3.0):
            rows = [f"{o}: {100 * (haadf(element, 0.5, 2.0 + o * 0.5, radius) / ref - 1):+.2f} %"
                    for o in (0.0, 0.5)]
            print(f"{element} dz = 0.5 A, finite_radius = {radius} A, offset / dz = "
                  + ", ".join(rows), flush=True)


if __name__ == "__main__":
    main()
