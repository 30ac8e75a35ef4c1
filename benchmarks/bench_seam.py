"""Edge artefact of "cut" vs "periodic" cells, and the cost of thickness.

Seam: SrTiO3 [011], field of view ~25 A, simulated with synthstem.simulate (PRISM f=4,
static lattice, 128 px). Reports the closest atom pair across the periodic edges
(minimum image), the column intensities in the outer 8 px band against the same kind of
column inside, and the band / interior mean intensity (see ``seam``), for both modes.

Thickness: SrTiO3 [001], 16 A field of view, multislice/PRISM (f=4) time and slice count
at thicknesses 25, 50, 100 A (static lattice, 24 x 24 scan positions, 64 px).

    PYTHONPATH=src python3 benchmarks/bench_seam.py [--skip-thickness]
"""

import argparse
import json
import os
import platform
import time

import numpy as np
from scipy.spatial import cKDTree

from synthstem.physics.simulate import simulate
from synthstem.structures.columns import merge_columns
from synthstem.structures.orient import orient
from synthstem.structures.prototypes import prototype

BAND = 8  # [px]


def closest_pair(cell):
    pos = cell.atoms.positions
    box = np.array([cell.size, cell.size, cell.thickness + 100.0])
    return float(cKDTree(pos, boxsize=box).query(pos, k=2)[0][:, 1].min())


def band_mask(pixels, band=BAND):
    mask = np.zeros((pixels, pixels), dtype=bool)
    mask[:band, :] = mask[-band:, :] = mask[:, :band] = mask[:, -band:] = True
    return mask


def column_peaks(image, cell, pixels, up=4):
    """Image value at each projected column (Fourier-upsampled ``up`` times, nearest sample)."""
    from scipy.signal import resample

    fine = resample(resample(image, pixels * up, axis=0), pixels * up, axis=1)  # exact: periodic, band-limited
    cols = merge_columns(cell, pixels)
    ij = np.mod(np.round(cols.xy * up).astype(int), pixels * up)
    return cols, fine[ij[:, 1], ij[:, 0]]


def seam(pixels=128):
    """Column intensities in the outer 8 px band against the same kind of column inside.

    Columns are grouped by (label, atom count, sum of Z); a perfect crystal gives one intensity per
    group. ``band_ratio_*``: peak of every column within ``BAND`` px of an edge over the
    median of its group's columns at least ``3 * BAND`` px from every edge;
    ``interior_max_dev``: the same for the columns between (the floor: sub-pixel position,
    probe tails). ``band_over_interior``: mean image intensity of the outer 8 px band over
    the rest (depends on where the lattice sits in the band, listed as asked).
    """
    atoms = prototype("perovskite")
    repeat = float(np.linalg.norm(np.array([0, 1, 1]) @ atoms.cell.array))
    thickness = 3 * repeat - 0.01  # not a whole repeat: no atom plane exactly on a face
    mask = band_mask(pixels)
    out = {}
    for boundary in ("cut", "periodic"):
        cell = orient(atoms, (0, 1, 1), size=25.0, thickness=thickness, boundary=boundary)
        t0 = time.perf_counter()
        image = simulate(cell, pixels=pixels, method="prism", interpolation=4, phonons=0, workers=2).image
        cols, peaks = column_peaks(image, cell, pixels)
        edge = np.minimum(cols.xy, pixels - cols.xy).min(axis=1)  # [px] to the nearest edge
        ratios_band, ratios_mid = [], []
        keys = list(zip(cols.label, cols.counts, cols.z_sum))
        for key in set(keys):
            group = np.array([k == key for k in keys])
            inner = group & (edge >= 3 * BAND)
            if not inner.any():
                continue
            ref = np.median(peaks[inner])
            ratios_band += list(peaks[group & (edge < BAND)] / ref)
            ratios_mid += list(peaks[group & (edge >= BAND)] / ref)
        rb, rm = np.array(ratios_band), np.array(ratios_mid)
        out[boundary] = {
            "size": cell.size, "thickness": cell.thickness, "strain": cell.strain, "atoms": len(cell.atoms),
            "closest_pair_across_edges": closest_pair(cell),
            "band_columns": int(len(rb)), "band_ratio_mean": float(rb.mean()), "band_ratio_max": float(rb.max()),
            "band_ratio_min": float(rb.min()), "interior_columns": int(len(rm)),
            "interior_max_dev": float(np.abs(rm - 1).max()),
            "band_over_interior": float(image[mask].mean() / image[~mask].mean()),
            "seconds": time.perf_counter() - t0,
        }
        print(boundary, json.dumps(out[boundary]))
    return out


def thickness_cost(pixels=64):
    atoms = prototype("perovskite")
    out = []
    for method in ("multislice", "prism"):
        for t in (25.0, 50.0, 100.0):
            cell = orient(atoms, (0, 0, 1), size=16.0, thickness=t)
            t0 = time.perf_counter()
            res = simulate(cell, pixels=pixels, method=method, interpolation=4, phonons=0, workers=2,
                           scan_pixels=24)
            row = {"method": method, "thickness": t, "slices": res.params["n_slices"], "atoms": len(cell.atoms),
                   "seconds": time.perf_counter() - t0, "mean": float(res.image.mean())}
            out.append(row)
            print(json.dumps(row))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-thickness", action="store_true")
    parser.add_argument("--skip-seam", action="store_true")
    parser.add_argument("--out", default=None, help="JSON file for the numbers")
    args = parser.parse_args()
    result = {"machine": f"{platform.machine()} {os.cpu_count()} cpus"}
    if not args.skip_seam:
        result["seam"] = seam()
    if not args.skip_thickness:
        result["thickness"] = thickness_cost()
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
