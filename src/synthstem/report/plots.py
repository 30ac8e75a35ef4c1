"""matplotlib figures of the report, each returned as base64 PNG text (no pyplot state)."""

from __future__ import annotations

import base64
import io
import math
from collections import Counter

import numpy as np

__all__ = ["png_base64", "gallery", "histograms", "bars", "intensity_histograms"]


def _figure(n_panels, ncols=4, panel=(3.0, 2.4)):
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError("synthstem report needs matplotlib: pip install 'synthstem[report]'") from None
    ncols = max(1, min(ncols, n_panels))
    nrows = max(1, math.ceil(n_panels / ncols))
    fig = Figure(figsize=(panel[0] * ncols, panel[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def png_base64(fig, dpi=80):
    """The figure as a base64-encoded PNG string."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def gallery(truths, classes):
    """One panel per image: the image, its columns coloured by class, defect boxes in red."""
    from matplotlib.patches import Rectangle

    fig, axes = _figure(len(truths), ncols=min(len(truths), 6), panel=(2.6, 2.8))
    colours = {c: f"C{k % 10}" for k, c in enumerate(classes)}
    for ax, t in zip(axes, truths):
        img = np.asarray(t["image"], dtype=np.float64)
        lo, hi = np.percentile(img, [0.5, 99.5])
        ax.imshow(img, cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1, interpolation="nearest")
        xy = np.asarray(t["xy"]).reshape(-1, 2)
        for c in sorted(set(t["labels"])):
            m = np.array([lab == c for lab in t["labels"]])
            ax.scatter(xy[m, 0], xy[m, 1], s=6, c=colours.get(c, "w"), label=c, linewidths=0)
        for x, y, w, h in t["boxes"]:  # top-left-origin boxes -> pixel-centre axes
            ax.add_patch(Rectangle((x - 0.5, y - 0.5), w, h, fill=False, ec="red", lw=1.2))
        ax.set_title(f"{t['title']}\n{t['name']}" if t.get("title") else t["name"], fontsize=7)
        ax.set_xlim(-0.5, img.shape[1] - 0.5)
        ax.set_ylim(img.shape[0] - 0.5, -0.5)
        ax.axis("off")
        if len(set(t["labels"])) <= 8:
            ax.legend(fontsize=6, loc="lower right", markerscale=2, framealpha=0.6)
    return png_base64(fig)


def histograms(columns, title_prefix=""):
    """Small multiples: a histogram per numeric column {name: values}."""
    fig, axes = _figure(len(columns))
    for ax, (name, values) in zip(axes, columns.items()):
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v)]
        bins, span = min(30, max(5, len(v) // 2)), None
        if v.size and not (v.max() - v.min()) > 1e-9 * max(abs(v.max()), abs(v.min()), 1e-300):
            # values equal to rounding (numpy cannot make finite-sized bins): one bar
            pad = max(abs(v.max()) * 1e-3, 1e-12)
            bins, span = 1, (v.min() - pad, v.max() + pad)
        ax.hist(v, bins=bins, range=span, color="C0")
        ax.set_title(f"{title_prefix}{name}", fontsize=8)
        ax.tick_params(labelsize=7)
    return png_base64(fig)


def bars(counters, top=25):
    """Small multiples: a bar chart per categorical column {name: Counter}."""
    fig, axes = _figure(len(counters), ncols=2, panel=(6.0, 2.8))
    for ax, (name, counts) in zip(axes, counters.items()):
        items = Counter(counts).most_common(top)
        ax.bar(range(len(items)), [n for _, n in items], color="C2")
        ax.set_xticks(range(len(items)), [str(k) for k, _ in items], rotation=60, ha="right", fontsize=7)
        ax.set_title(name + (f" (top {top} of {len(counts)})" if len(counts) > top else ""), fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    return png_base64(fig)


def intensity_histograms(intensities):
    """A log-count histogram of pixel values per image dataset."""
    fig, axes = _figure(len(intensities))
    for ax, (name, values) in zip(axes, intensities.items()):
        ax.hist(values, bins=60, color="C1", log=True)
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=7)
    return png_base64(fig)
