"""Calibrate a noise/instrument condition on real micrographs (``synthstem calibrate``).

:func:`calibrate` measures every statistic of :mod:`.statistics` on each image and pools
them: detector gain and offset from one fit over the patches of all images (one
instrument), then per image the dose (median electrons per pixel), row statistics,
background statistics and spot fits. :func:`calibration_toml` writes the result as a
``[conditions.calibrated]`` table (medians; a run config can paste or merge it) plus
``[calibration]`` tables: per-statistic ranges over the images (the condition
distribution: ``{uniform = [lo, hi]}`` specs) and the per-image values.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ..io.micrographs import read_micrograph, read_points
from . import statistics as st

__all__ = ["calibrate", "calibration_toml", "image_statistics"]


def image_statistics(image, offset, gain, spots=None, labelled=False):
    """Every per-image statistic of an image given the detector ``offset`` and ``gain``."""
    e = (np.asarray(image, float) - offset) / gain
    stats = {"dose": float(np.median(e))}
    stats.update(st.row_statistics(e))
    if spots is None:
        spots = st.detect_spots(e)[:200]
    bg = st.background_statistics(e, spots)
    stats.update({k: bg[k] for k in ("gradient_rms", "texture_rms", "texture_scale")})
    stats["psd_bands"] = bg["psd_bands"]
    fit = st.fit_spots(e, spots)
    stats["spots"] = int(fit["sigma"].size)
    stats["spot_sigma"] = float(np.median(fit["sigma"])) if fit["sigma"].size else None
    stats["spot_contrast"] = float(np.median(fit["contrast"])) if fit["contrast"].size else None
    stats["spot_source"] = "labels" if labelled else "detected"
    return stats


def _labels_for(path, labels_dir):
    stem = os.path.splitext(os.path.basename(path))[0]
    csv = os.path.join(labels_dir, stem + ".csv")
    if not os.path.exists(csv):
        raise FileNotFoundError(2, f"no label file for image {os.path.basename(path)}", csv)
    return read_points(csv)


def calibrate(paths, labels_dir=None, patch=16):
    """Measure the calibration statistics of real micrographs.

    Parameters
    ----------
    paths : list of str
        Image files (one instrument and detector setting).
    labels_dir : str, optional
        Folder of ``<image stem>.csv`` label files (``X``, ``Y`` [px]); spot width and
        contrast are then fitted at the labelled atoms, else at detected spots.
    patch : int
        Patch size [px] of the variance-vs-mean fit.

    Returns
    -------
    dict
        ``detector`` (gain, offset), ``images`` (per-image statistics), ``pixel_size``.
    """
    if labels_dir is not None and not os.path.isdir(labels_dir):
        raise NotADirectoryError(20, "labels must be a folder of <image>.csv files", labels_dir)
    images, pixel_sizes = [], []
    for p in paths:
        img, ps = read_micrograph(p)
        images.append(img)
        pixel_sizes.append(ps)
    means, variances = zip(*(st.noise_variance_patches(im, patch) for im in images))
    det = st.fit_gain_offset(np.concatenate(means), np.concatenate(variances))
    per_image = {}
    for p, img in zip(paths, images):
        spots = _labels_for(p, labels_dir) if labels_dir is not None else None
        name = os.path.splitext(os.path.basename(p))[0]
        per_image[name] = image_statistics(img, det["offset"], det["gain"], spots, labelled=spots is not None)
        per_image[name]["row_to_row_counts"] = st.row_to_row(img)
    known = [ps for ps in pixel_sizes if ps is not None]
    return {"detector": det, "images": per_image, "pixel_size": float(np.median(known)) if known else None}


_SCALARS = ("dose", "row_to_row", "row_to_row_excess", "row_exponent", "row_gain", "gradient_rms",
            "texture_rms", "texture_scale", "spot_sigma", "spot_contrast")


def summary(result):
    """Median, min and max of every scalar statistic over the images."""
    out = {}
    for key in _SCALARS:
        vals = [v[key] for v in result["images"].values() if v.get(key) is not None]
        if vals:
            out[key] = {"median": float(np.median(vals)), "min": float(np.min(vals)), "max": float(np.max(vals))}
    return out


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if v is None:
        return '"none"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    v = float(v)
    return repr(v) if math.isfinite(v) else '"inf"'


def _key(k):
    return k if k.replace("_", "").replace("-", "").isalnum() else _value(str(k))


def condition_values(result):
    """The ``[conditions.calibrated]`` values: medians over the images."""
    s = summary(result)
    det = result["detector"]
    lnd = np.log([v["dose"] for v in result["images"].values() if v["dose"] > 0])
    return {
        "counts": s["dose"]["median"],
        "dose_spread": float(np.std(lnd)) if lnd.size > 1 else 0.0,
        "quantise": True,
        "detector_gain": det["gain"],
        "detector_offset": max(det["offset"], 0.0),
        "row_gain": s["row_gain"]["median"],
        "row_exponent": s["row_exponent"]["median"],
        "background_field": s["texture_rms"]["median"],
        "background_scale": max(s["texture_scale"]["median"], 1.0),
        "blur": 0.0,
        "scan": 0.0,
        "background": 0.0,
    }


def calibration_toml(result, sources=()):
    """TOML text: ``[conditions.calibrated]``, ``[calibration.distribution]`` and per image."""
    s = summary(result)
    lines = ["# written by `synthstem calibrate` from " + ", ".join(os.path.basename(p) for p in sources),
             "# [conditions.calibrated]: medians over the images, a run config's condition table;",
             "# [calibration.distribution]: {uniform = [min, max]} over the images of each statistic.",
             "", "[conditions.calibrated]"]
    lines += [f"{k} = {_value(v)}" for k, v in condition_values(result).items()]
    lines += ["", "[calibration]", f"pixel_size = {_value(result['pixel_size'])}",
              f"n_images = {len(result['images'])}",
              f"spot_source = {_value(next(iter(result['images'].values()))['spot_source'])}",
              "", "[calibration.detector]"]
    lines += [f"{k} = {_value(v)}" for k, v in result["detector"].items()]
    lines += ["", "[calibration.distribution]"]
    lines += [f"{k} = {{uniform = [{_value(v['min'])}, {_value(v['max'])}]}}" for k, v in s.items()]
    lines += ["", "[calibration.median]"]
    lines += [f"{k} = {_value(v['median'])}" for k, v in s.items()]
    for name, stats in result["images"].items():
        lines += ["", f"[calibration.images.{_key(name)}]"]
        lines += [f"{k} = {_value(v)}" for k, v in stats.items()]
    return "\n".join(lines) + "\n"
