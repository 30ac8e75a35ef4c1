"""Why is a rutile [001] raw image of configs/randomized.toml streaky? PRISM f vs exact, optics.

The item's clean cell is built as the run builds it (benchmarks/prism_f_check.item_cell) and
its raw image simulated with one frozen-phonon configuration (the item's seed) in four ways:

- ``f4``: as the config shipped (PRISM f=4, the item's drawn microscope);
- ``f2``: PRISM f=2 (twice the window), the reference unless ``--exact``;
- ``incoherent`` / ``incoherent_ideal``: the incoherent approximation (probe intensity
  convolved with the atoms: no PRISM window, no channelling) with the item's microscope and
  with one stripped of aberrations, defocus, focal spread and tilt: streaks here come from
  the probe's optics, not from PRISM;
- ``exact`` (``--exact``): PRISM f=1 (the window is the whole cell: equals multislice to
  float32 rounding), ~100x the cost of f=4;
- and the probe's vacuum intensity (focal-spread average) on the image grid.

Printed: NCC and max error over the contrast against ``exact``, the PRISM check of each, and
the anisotropy of the image's power spectrum (the share of non-DC power within +-10 deg of
its strongest direction: streaks concentrate it). A PNG panel goes to ``--png``.

    nice -n 10 python3 benchmarks/rutile_streaks.py configs/randomized.toml --item 23 \
        --png docs/images/rutile_streaks.png
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from prism_f_check import item_cell  # noqa: E402

from synthstem.physics.optics import Microscope  # noqa: E402
from synthstem.physics.simulate import simulate  # noqa: E402
from synthstem.random import STAGE_SIMULATE, item_seed_sequence, seed_int  # noqa: E402
from synthstem.runs.config import load_config  # noqa: E402
from synthstem.runs.plan import plan  # noqa: E402


def ncc(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def anisotropy(image):
    """Share of the non-DC power spectrum within +-10 degrees of its strongest direction."""
    p = np.abs(np.fft.fft2(image - image.mean())) ** 2
    ky, kx = np.meshgrid(np.fft.fftfreq(image.shape[0]), np.fft.fftfreq(image.shape[1]),
                         indexing="ij")
    ang = np.degrees(np.arctan2(ky, kx)) % 180
    keep = (kx ** 2 + ky ** 2) > 0
    hist, _ = np.histogram(ang[keep], bins=180, range=(0, 180), weights=p[keep])
    best = int(np.argmax(np.convolve(np.r_[hist, hist], np.ones(21), "same")[:180]))
    window = np.r_[hist, hist, hist][180 + best - 10:180 + best + 11]
    return float(window.sum() / hist.sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--item", type=int, required=True)
    ap.add_argument("--png", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--elements", default=None,
                    help="decoration to put on the item instead, e.g. M=Mg,X=F (issue 19's MgF2)")
    ap.add_argument("--exact", action="store_true", help="also PRISM f=1 (exact; ~100x f=4)")
    args = ap.parse_args()
    task = plan(load_config(args.config), "/tmp")[args.item]
    if args.elements:
        task.structure = dict(task.structure, elements=dict(
            kv.split("=") for kv in args.elements.split(",")))
    cell = item_cell(task)
    sim = task.physics["simulation"]
    scope = Microscope(**task.physics["microscope"])
    ideal = replace(scope, defocus=0.0, Cs=0.0, C5=0.0, astigmatism=0.0, coma=0.0, C23=0.0,
                    focal_spread=0.0, tilt_x=0.0, tilt_y=0.0)
    seed = seed_int(item_seed_sequence(task.seed, task.index, STAGE_SIMULATE))
    common = dict(pixels=sim["pixels"], phonons=1, seed=seed, slice_thickness=sim["slice_thickness"],
                  projection=sim["projection"], sampling=sim["sampling"],
                  focal_points=sim.get("focal_points", 7))
    runs = {"f4": dict(microscope=scope, interpolation=4),
            "f2": dict(microscope=scope, interpolation=2),
            "incoherent": dict(microscope=scope, method="incoherent"),
            "incoherent_ideal": dict(microscope=ideal, method="incoherent")}
    if args.exact:
        runs["exact"] = dict(microscope=scope, interpolation=1, prism_check=0)
    images, rows = {}, {}
    for name, kw in runs.items():
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = simulate(cell, **common, **kw)
        images[name] = res.image
        rows[name] = {"f": res.params["interpolation"], "method": res.params["method"],
                      "check": (res.params.get("prism_check") or {}).get("error"),
                      "accuracy": res.params.get("accuracy"),
                      "seconds": round(time.perf_counter() - t0, 1)}
        print(name, rows[name]["f"], rows[name]["check"], rows[name]["seconds"], flush=True)
    ref_name = "exact" if "exact" in images else "f2"
    ref = images[ref_name]
    for name, img in images.items():
        err = np.abs(img - ref).max() / (max(img.max(), ref.max()) - min(img.min(), ref.min()))
        rows[name].update(reference=ref_name, ncc=ncc(img, ref), max_error=float(err),
                          anisotropy=anisotropy(img), mean_ratio=float(img.mean() / ref.mean()))
    # the probe itself (vacuum, focal-spread average, as simulate forms it), on the image grid
    lx, ly = cell.atoms.cell.lengths()[:2]
    n = sim["pixels"]
    defoci, weights = scope.focal_series(sim.get("focal_points", 7))
    probe = sum(w * np.abs(np.fft.fftshift(np.fft.ifft2(replace(scope, defocus=float(d)).probe_k(
        (n, n), (ly / n, lx / n), dtype=np.complex128)))) ** 2 for d, w in zip(defoci, weights))
    images["probe (vacuum)"] = probe
    rows["probe (vacuum)"] = {"f": None, "method": "probe", "anisotropy": anisotropy(probe),
                              "ncc": float("nan"), "max_error": float("nan")}
    info = {"item": task.index, "name": task.name, "formula": cell.formula,
            "extent": [float(x) for x in cell.atoms.cell.lengths()],
            "microscope": task.physics["microscope"], "rows": rows}
    print(json.dumps(info, indent=1, default=str))
    if args.json:
        Path(args.json).write_text(json.dumps(info, indent=1, default=str))
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(images), figsize=(3.2 * len(images), 3.6))
        for ax, (name, img) in zip(axes, images.items()):
            ax.imshow(img, cmap="gray")
            r = rows[name]
            ax.set_title(f"{name} (f={r['f']})\nNCC {r['ncc']:.3f}, err {r['max_error']:.2f} vs "
                         f"{ref_name}\naniso {r['anisotropy']:.2f}", fontsize=8)
            ax.axis("off")
        fig.suptitle(f"{info['formula']} [001], item {task.index} of {args.config}"
                     + (" (decoration replaced)" if args.elements else ""), fontsize=10, y=0.995)
        fig.tight_layout()
        Path(args.png).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.png, dpi=90)


if __name__ == "__main__":
    main()
