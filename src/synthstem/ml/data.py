"""Training data for the detector: images with point labels, normalised and resampled.

A *points folder* (the format of real labelled micrographs): ``images/<stem>.{npy,tif,png,h5}``,
``labels/<stem>.csv`` with ``X``, ``Y`` [px] (optional ``class``), and ``dataset.json``
``{"pixel_size": Angstrom}`` (or the pixel size recorded in the image files). A synthstem
run dataset (``open_dataset``) also works: its column positions are the points.
No torch here: arrays in, arrays out.
"""

from __future__ import annotations

import csv
import json
import os

import numpy as np
from scipy import ndimage

from ..io.micrographs import IMAGE_SUFFIXES, read_micrograph, read_points

__all__ = ["heatmap", "load_points_dataset", "normalise", "peaks", "resample"]


#: input normalisations of the detector (the model file records which one it was trained with)
NORMALISATIONS = ("global", "highpass", "local")
#: Gaussian sigma [model px] of the background the ``highpass`` normalisation removes
HIGHPASS_SIGMA = 8.0
#: Gaussian sigma [model px] over which ``local`` measures the residual's spread
LOCAL_SIGMA = 16.0


def _robust_scale(x):
    med = np.median(x)
    mad = 1.4826 * np.median(np.abs(x - med))
    if not mad > 0:
        mad = x.std() or 1.0
    return med, mad


def normalise(image, method="global", sigma=HIGHPASS_SIGMA, local_sigma=LOCAL_SIGMA):
    """The detector's input scale (offset, gain and dose free).

    ``global``: ``(x - median) / (1.4826 MAD)`` over the whole image. ``highpass``: the
    background ``G_sigma * x`` (Gaussian of ``sigma`` [px], reflected edges) is removed first
    and the residual divided by its own robust spread, so that thickness gradients, vacuum
    edges and the dose set neither the offset nor the scale: an atom's input is its peak
    over the local background in units of the pixel noise. ``local``: the highpass residual
    divided by its local rms (Gaussian-weighted over ``local_sigma`` [px], floored at a
    quarter of its median), so a thick, textured region's granularity counts in units of
    that region's own fluctuation.
    """
    x = np.asarray(image, dtype=np.float64)
    if method == "global":
        med, mad = _robust_scale(x)
        return ((x - med) / mad).astype(np.float32)
    if method == "highpass":
        r = x - ndimage.gaussian_filter(x, float(sigma), mode="reflect")
        med, mad = _robust_scale(r)
        return ((r - med) / mad).astype(np.float32)
    if method == "local":
        r = x - ndimage.gaussian_filter(x, float(sigma), mode="reflect")
        rms = np.sqrt(ndimage.gaussian_filter(r * r, float(local_sigma), mode="reflect"))
        floor = 0.25 * float(np.median(rms))
        return (r / np.maximum(rms, floor if floor > 0 else 1.0)).astype(np.float32)
    raise ValueError(f"unknown normalisation {method!r} (one of {', '.join(NORMALISATIONS)})")


def resample(image, factor):
    """Rescale by ``factor`` (output pixels per input pixel): 2x2... block means for integer
    reductions ``1/k``, linear interpolation otherwise."""
    if abs(factor - 1.0) < 1e-6:
        return np.asarray(image, dtype=np.float64)
    k = 1.0 / factor
    if abs(k - round(k)) < 1e-6 and round(k) >= 2:
        k = int(round(k))
        ny, nx = (s // k * k for s in image.shape)
        return np.asarray(image, float)[:ny, :nx].reshape(ny // k, k, nx // k, k).mean(axis=(1, 3))
    return ndimage.zoom(np.asarray(image, float), factor, order=1, mode="nearest", grid_mode=True)


def to_model_coords(xy, factor):
    """Pixel coordinates (centres at integers) after a resampling by ``factor``."""
    return (np.asarray(xy, float) + 0.5) * factor - 0.5


def from_model_coords(xy, factor):
    """Inverse of :func:`to_model_coords`."""
    return (np.asarray(xy, float) + 0.5) / factor - 0.5


def heatmap(xy, labels, shape, n_classes, sigma):
    """``(n_classes, rows, cols)`` float32 Gaussians of ``sigma`` [px], peak 1, overlaps by maximum."""
    out = np.zeros((n_classes, *shape), np.float32)
    r = int(np.ceil(4 * sigma))
    for (x, y), c in zip(np.asarray(xy, float).reshape(-1, 2), labels):
        ix, iy = int(round(x)), int(round(y))
        y0, y1, x0, x1 = max(iy - r, 0), min(iy + r + 1, shape[0]), max(ix - r, 0), min(ix + r + 1, shape[1])
        if y0 >= y1 or x0 >= x1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        g = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma * sigma)).astype(np.float32)
        np.maximum(out[c, y0:y1, x0:x1], g, out=out[c, y0:y1, x0:x1])
    return out


def peaks(heat, threshold, size=5):
    """Local maxima of a ``(rows, cols)`` map above ``threshold`` -> ``(n, 2)`` (x, y), scores."""
    h = np.asarray(heat, np.float64)
    m = (h == ndimage.maximum_filter(h, size=size, mode="constant", cval=-np.inf)) & (h > threshold)
    ys, xs = np.nonzero(m)
    return np.stack([xs, ys], axis=1).astype(float), h[ys, xs]


def _class_column(path):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = [h.strip() for h in rows[0]] if rows else []
    if "class" not in header:
        return None
    i = header.index("class")
    return [r[i] for r in rows[1:] if any(c.strip() for c in r)]


def _points_folder(path):
    img_dir, lab_dir = os.path.join(path, "images"), os.path.join(path, "labels")
    if not os.path.isdir(img_dir) or not os.path.isdir(lab_dir):
        raise ValueError(f"{path}: a training dataset is a folder with images/ and labels/ "
                         "(or a synthstem run dataset)")
    meta = os.path.join(path, "dataset.json")
    pixel_size = json.load(open(meta)).get("pixel_size") if os.path.exists(meta) else None
    samples = []
    for name in sorted(os.listdir(img_dir)):
        stem, suffix = os.path.splitext(name)
        if suffix.lower() not in IMAGE_SUFFIXES:
            continue
        image, ps = read_micrograph(os.path.join(img_dir, name))
        csv_path = os.path.join(lab_dir, stem + ".csv")
        xy = read_points(csv_path)
        classes = _class_column(csv_path) or ["atom"] * len(xy)
        samples.append({"name": stem, "image": image, "xy": xy, "classes": classes,
                        "pixel_size": pixel_size or ps})
    if not samples:
        raise ValueError(f"{img_dir}: no images ({', '.join(IMAGE_SUFFIXES)})")
    return samples


def _run_dataset(path):
    from ..loaders import open_dataset

    ds = open_dataset(path, target="columns")
    return [{"name": s["name"], "image": s["image"], "xy": s["xy"],
             "classes": [str(c) for c in s["labels"]], "pixel_size": float(s["pixel_size"])}
            for s in (ds[i] for i in range(len(ds)))]


def load_points_dataset(path):
    """Load every sample: dicts with ``name``, ``image``, ``xy`` (n, 2) [px], ``classes``, ``pixel_size``."""
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such dataset", path)
    if os.path.isdir(os.path.join(path, "images")):
        samples = _points_folder(path)
    else:
        samples = _run_dataset(path)
    missing = [s["name"] for s in samples if not s["pixel_size"]]
    if missing:
        raise ValueError(f"{path}: no pixel size for {missing[0]} (add dataset.json with pixel_size [Angstrom])")
    return samples
