"""docs/scenes_supported.png: a supported-atom item next to its labels.

    PYTHONPATH=src python3 benchmarks/scenes_figure.py DATASET/items/000001.000001.h5 docs/scenes_supported.png

Panels: the noise-free simulation ('raw'), the 'blbk1' condition, and the labels on the
raw image: every labelled column as a marker coloured by class (filled: in focus,
synthstem.labels.focus; open: out of focus) and a box around every instance with >= 2
columns (the COCO instance of a pair or cluster).
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from synthstem.io.hdf5 import read_item  # noqa: E402
from synthstem.labels.focus import in_focus  # noqa: E402


def main(path, out):
    item = read_item(path)
    cols = item.columns
    micro = item.params["settings"]["microscope"]
    focus = in_focus(cols.depth, micro)
    px = float(item.attrs["angstrom_xy"]) / item.raw.shape[1]
    scene = dict(item.params["structure"]["scene"]["params"])
    scene.update(item.params["structure"]["spec"]["params"])  # the config's values (heavy: the element)
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.4), constrained_layout=True)
    other = next((k for k in item.images if "blbk" in k), next(iter(item.images)))
    for ax, img, title in ((axes[0], item.raw, "raw (noise-free simulation)"),
                           (axes[1], item.images[other], other), (axes[2], item.raw, "labels")):
        lo, hi = np.percentile(img, [1, 99.8])
        ax.imshow(img, cmap="gray", vmin=lo, vmax=hi)
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    classes = sorted(set(cols.label))
    colors = dict(zip(classes, plt.cm.tab10.colors))
    for c in classes:
        m = np.array(cols.label) == c
        for sel, face in ((m & focus, colors[c]), (m & ~focus, "none")):
            axes[2].scatter(cols.xy[sel, 0], cols.xy[sel, 1], s=14, facecolors=face, edgecolors=colors[c],
                            linewidths=1.2, label=f"{c} ({'in' if face != 'none' else 'out of'} focus)")
    for inst in np.unique(cols.instance[cols.instance >= 0]):
        m = cols.instance == inst
        if m.sum() < 2:
            continue
        (x0, y0), (x1, y1) = cols.xy[m].min(0) - 4, cols.xy[m].max(0) + 4
        axes[2].add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="yellow", lw=0.8))
    axes[2].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.suptitle(f"{item.name}: {scene['heavy_summary']['count']} {scene['heavy']} atoms on "
                 f"{scene['thickness']:.0f} A {scene['support']} film, {item.raw.shape[0]} px at {px:.3f} A/px, "
                 f"defocus {micro['defocus']:.0f} A", fontsize=10)
    fig.savefig(out, dpi=90)
    print(out)


if __name__ == "__main__":
    main(*sys.argv[1:3])
