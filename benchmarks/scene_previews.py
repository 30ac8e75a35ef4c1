"""Preview pictures of the nanoparticle, 2D-material and interface scenes for docs/scenes.md:
the projected atoms coloured by label class (markers as crosses) next to a quick image
(``synthstem.simulate(method="incoherent")``: probe intensity convolved with Z^1.7
Gaussians, a preview, not a quantitative simulation).

    PYTHONPATH=src python3 benchmarks/scene_previews.py --out docs

Writes ``scene_nanoparticle.png``, ``scene_monolayer.png``, ``scene_interface.png``.
"""

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from synthstem import Microscope, simulate  # noqa: E402
from synthstem.scenes import INSTANCE_KEY, SITE_KEY, build_scene  # noqa: E402

SCENES = {
    "nanoparticle": dict(size=100.0, element="Pt", shape="random", particles=3, diameter=25.0,
                         diameter_spread=0.3, zone_axis=[1, 1, 0], support="C", support_thickness=30.0,
                         support_amplitude=0.25),
    "monolayer": dict(size=40.0, material="MoS2", dopant="W", dopants=4, chalcogen_vacancies=6,
                      double_vacancies=3, metal_vacancies=2, adatom="Pt", adatoms=2, rotation=10.0),
    "interface": dict(size=40.0, thickness=12.0, crystal="perovskite/SrTiO3", crystal2="perovskite/BaTiO3",
                      plane_angle=10.0, tilt=0.0),
}
PIXELS = {"nanoparticle": 512, "monolayer": 384, "interface": 384}


def draw(kind, out, seed):
    scene = build_scene(kind, SCENES[kind], rng=seed)
    a = scene.atoms
    t0 = time.perf_counter()
    image = simulate(a, Microscope(energy=300e3, convergence=25.0, detector=(70.0, 200.0)),
                     pixels=PIXELS[kind], method="incoherent")
    seconds = time.perf_counter() - t0
    image = np.asarray(getattr(image, "image", image))
    fig, ax = plt.subplots(1, 2, figsize=(11, 5.4))
    site = a.arrays[SITE_KEY]
    order = np.argsort(-a.positions[:, 2])  # exit side first: the entrance side drawn on top
    unlabelled = site[order] == ""
    ax[0].scatter(*a.positions[order][unlabelled, :2].T, s=1, c="0.8", label="unlabelled (support)")
    classes = sorted(set(site) - {""})
    inst = a.arrays[INSTANCE_KEY]
    cmap = plt.get_cmap("tab10")
    groups = [(cls, site == cls) for cls in classes]
    if len(classes) == 1:  # one class (the particles' element): colour the instances instead
        groups = [(f"{classes[0]}, instance {i}", (site == classes[0]) & (inst == i))
                  for i in sorted(set(inst[site == classes[0]]))]
    for i, (name, sel) in enumerate(groups):
        ax[0].scatter(*a.positions[sel, :2].T, s=6 if sel.sum() > 200 else 18, color=cmap(i % 10), label=name)
    for j, cls in enumerate(sorted(set(scene.markers.label)), start=len(groups)):
        sel = np.array([lab == cls for lab in scene.markers.label])
        ax[0].scatter(*scene.markers.xyz[sel, :2].T, marker="x", s=60, color=cmap(j % 10),
                      label=f"{cls} (marker)")
    n_inst = len(set(inst) - {-1})
    ax[0].set(xlim=(0, scene.size), ylim=(scene.size, 0), aspect="equal", xlabel="x [A]", ylabel="y [A]",
              title=f"{kind}: {len(a)} atoms, {len(classes)} classes, {n_inst} instances")
    ax[0].legend(fontsize=7, loc="upper right", markerscale=2, framealpha=0.8)
    lo, hi = np.percentile(image, [0.5, 99.8])  # display: a few peaks saturated, square-root scale
    shown = np.sqrt(np.clip((image - lo) / (hi - lo), 0.0, 1.0))
    ax[1].imshow(shown, cmap="gray", extent=(0, scene.size, scene.size, 0))
    ax[1].set(xlabel="x [A]", title=f"incoherent preview, {PIXELS[kind]} px, sqrt scale")
    fig.tight_layout()
    path = Path(out) / f"scene_{kind}.png"
    fig.savefig(path, dpi=72)
    plt.close(fig)
    print(f"{path}: {len(a)} atoms, image {image.shape}, simulate {seconds:.2f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", choices=sorted(SCENES))
    args = ap.parse_args()
    for kind in SCENES:
        if args.only in (None, kind):
            draw(kind, args.out, args.seed)


if __name__ == "__main__":
    main()
