"""Edge artefact of "cut" vs "periodic" cells, and the cost of thickness.

Seam: SrTiO3 [011], field of view ~25 A, simulated with synthstem.simulate (PRISM f=4,
static lattice, 128 px). Reports the closest atom pair across the periodic edges
(minimum image) and the intensity of the outer 8 px band against lattice-equivalent
points in the interior (see ``seam``), for both modes.

Thickness: SrTiO3 [001], 16 A field of view, multislice/PRISM time and slice count at
thicknesses 25, 50, 100 A (static lattice, 64 px).

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


def in_plane_translation(atoms, cell, target, reach=12):
    """The crystal lattice translation perpendicular to the beam whose projection is nearest ``target`` [A]."""
    from synthstem.structures.periodic import centring_translations

    n = np.arange(-reach, reach + 1)
    grid = np.stack(np.meshgrid(n, n, n, indexing="ij"), axis=-1).reshape(-1, 3).astype(float)
    grid = (grid[None] + centring_translations(atoms)[:, None]).reshape(-1, 3)
    v = grid @ atoms.cell.array @ (cell.deformation @ cell.rotation).T
    v = v[np.abs(v[:, 2]) < 1e-6]
    return v[np.argmin(np.linalg.norm(v[:, :2] - target, axis=1)), :2]


def fourier_shift(image, shift_px):
    """``I(r + s)`` of a periodic band-limited image, ``s = (sx, sy)`` [px] (x = column)."""
    ky = np.fft.fftfreq(image.shape[0])[:, None]
    kx = np.fft.fftfreq(image.shape[1])[None, :]
    phase = np.exp(2j * np.pi * (kx * shift_px[0] + ky * shift_px[1]))
    return np.real(np.fft.ifft2(np.fft.fft2(image) * phase))


def seam(pixels=128):
    """Outer-band intensity against lattice-equivalent points of the interior.

    The image of a perfect crystal is invariant under a lattice translation ``T`` in the
    plane of the specimen. With ``T`` the translation nearest ``(L/2, L/2)``, every point
    ``r`` of the outer 8 px band has its equivalent ``r + T`` near the middle of the
    image, far from the edges: ``band_artefact = mean(I[band]) / mean(I(r + T)[band]) - 1``
    and ``band_rms`` = RMS of ``I - I(. + T)`` over the band / mean intensity. ``control``:
    the same over points 24 px away from the edges and from the middle lines (both ``r``
    and ``r + T`` in bulk): the floor of the method. ``I(r + T)`` is a Fourier shift,
    exact for the periodic, band-limited simulated image.
    """
    atoms = prototype("perovskite")
    repeat = float(np.linalg.norm(np.array([0, 1, 1]) @ atoms.cell.array))
    thickness = 3 * repeat
    mask = band_mask(pixels)
    rows = np.abs(np.arange(pixels) - pixels // 2) < 3 * BAND // 2
    control = ~band_mask(pixels, 3 * BAND) & ~rows[:, None] & ~rows[None, :]
    out = {}
    for boundary in ("cut", "periodic"):
        cell = orient(atoms, (0, 1, 1), size=25.0, thickness=thickness, boundary=boundary)
        t0 = time.perf_counter()
        image = simulate(cell, pixels=pixels, method="prism", interpolation=4, phonons=0, workers=2).image
        T = in_plane_translation(atoms, cell, np.array([cell.size / 2, cell.size / 2]))
        moved = fourier_shift(image, T / (cell.size / pixels))
        diff = image - moved
        out[boundary] = {
            "size": cell.size, "thickness": cell.thickness, "strain": cell.strain, "atoms": len(cell.atoms),
            "closest_pair_across_edges": closest_pair(cell), "translation": T.tolist(),
            "band_artefact": float(image[mask].mean() / moved[mask].mean() - 1.0),
            "band_rms": float(np.sqrt(np.mean(diff[mask] ** 2)) / image.mean()),
            "control_artefact": float(image[control].mean() / moved[control].mean() - 1.0),
            "control_rms": float(np.sqrt(np.mean(diff[control] ** 2)) / image.mean()),
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
            res = simulate(cell, pixels=pixels, method=method, interpolation=4, phonons=0, workers=2)
            row = {"method": method, "thickness": t, "slices": res.params["n_slices"], "atoms": len(cell.atoms),
                   "seconds": time.perf_counter() - t0, "mean": float(res.image.mean())}
            out.append(row)
            print(json.dumps(row))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-thickness", action="store_true")
    parser.add_argument("--out", default=None, help="JSON file for the numbers")
    args = parser.parse_args()
    result = {"machine": f"{platform.machine()} {os.cpu_count()} cpus", "seam": seam()}
    if not args.skip_thickness:
        result["thickness"] = thickness_cost()
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
