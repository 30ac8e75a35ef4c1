"""Ground truth of one image of an item file, read straight from the HDF5 layout.

An *image* is one dataset under ``haadf/`` of an item (``stem00-clean``, ``raw``, ...);
its name is ``<item>-<dataset>`` as in the PNG and export file names. Its truth:

- ``xy`` (M, 2) float64 column positions [px] (x = column, y = row, pixel centres at
  integers) and ``labels`` (M,) column classes ('Sr', 'O+Ti'): the merged columns of the
  structure the image shows (``synthstem/columns_dfct<level>`` for a defect image),
  moved through the drift / flyback the image's condition recorded;
- ``peak_map`` (H, W) bool: the item's peak map of that structure (``peak_map_clean``,
  ``peak_map_dfct<level>``), moved the same way;
- ``boxes`` (K, 4) float64: defect boxes ``[x, y, w, h]`` in COCO's continuous
  coordinates (origin at the image's top-left corner: pixel i spans [i, i + 1)), clipped;
- ``params``: the item's parameters, attributes, seed and the image's noise record.

This module reads only the documented file layout (docs/datasets.md) with h5py, so it
does not depend on how the files were made.
"""

from __future__ import annotations

import json

import numpy as np

from ..labels.boxes import condition_boxes, condition_suffix
from ..labels.image_labels import image_defect_level, move_with_record

__all__ = ["image_names", "condition_suffix", "read_truth", "pixel_size"]


def _str(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def image_names(f):
    """Image dataset names of an open item file: 'raw' and every ``stemNN-*``, in file order."""
    haadf = f.get("haadf")
    if haadf is None or "raw" not in haadf:
        raise ValueError(f"{f.filename}: not an item file (no haadf/raw)")
    return [k for k in haadf if not k.startswith("peak_map_")]


def pixel_size(f, shape):
    """[Angstrom] per pixel: ``attrs['angstrom_xy']`` / image width (None if unknown)."""
    try:
        return float(_str(f.attrs["angstrom_xy"]).strip("'\" ")) / shape[1]
    except (KeyError, ValueError):
        return None


def _json_attr(group, key, default):
    if group is None or key not in group.attrs:
        return default
    return json.loads(_str(group.attrs[key]))


def _noise_record(f, dataset):
    ours = f.get("synthstem")
    if ours is None or "noise" not in ours:
        return None
    rec = json.loads(_str(ours["noise"][()])).get(dataset)
    return rec if isinstance(rec, dict) else None


def _columns(f, level):
    ours = f.get("synthstem")
    group = None
    if ours is not None:
        group = ours.get(f"columns_dfct{level}") if level else None
        group = group if group is not None else ours.get("columns")
    if group is not None:
        xy = np.asarray(group["xy"][()], dtype=np.float64).reshape(-1, 2)
        return xy, [_str(s) for s in group["label"][()]]
    # a reference atomagined file: unique projected positions, class 'column'
    proj = f.get("projection")
    key = {1: "dlo_coords", 2: "dmd_coords"}.get(level, "full_coords")
    if proj is None or key not in proj:
        key = "full_coords"
    if proj is None or key not in proj:
        return np.zeros((0, 2)), []
    xy = np.unique(np.round(np.asarray(proj[key][()], dtype=np.float64).reshape(-1, 2), 3), axis=0)
    return xy, ["column"] * len(xy)


PARTS = ("image", "columns", "peaks", "boxes", "params")


def read_truth(f, dataset, image=True, parts=PARTS):
    """Image ``dataset`` of the open item file ``f`` with its ground truth.

    ``parts`` (among :data:`PARTS`) says what to read; the others are returned empty
    ('xy' (0, 2), 'labels' [], 'peak_map' None, 'boxes' (0, 4), 'params' {}).

    Returns
    -------
    dict with 'image' ((H, W) float32, or None with ``image=False``), 'shape', 'xy',
    'labels', 'peak_map' (or None), 'boxes', 'pixel_size' [Angstrom], 'defect_level',
    'params' (dict: 'attrs', 'item' (the item's parameters), 'seed', 'noise' (this
    image's record, None for 'raw')).
    """
    haadf = f.get("haadf")
    if haadf is None or dataset not in haadf or dataset.startswith("peak_map_"):
        raise ValueError(f"{f.filename}: no image {dataset!r}; available: {image_names(f)}")
    shape = tuple(haadf[dataset].shape)
    wanted = set(parts) - (set() if image else {"image"})
    record = _noise_record(f, dataset) if dataset != "raw" and wanted & {"columns", "peaks", "params"} else None
    level = image_defect_level(dataset, record) if dataset != "raw" else 0
    xy, labels, peak_map = np.zeros((0, 2)), [], None
    if "columns" in wanted:
        xy, labels = _columns(f, level)
    if "peaks" in wanted:
        pm_key = f"peak_map_{'dfct%d' % level if level else 'clean'}"
        pm_key = pm_key if pm_key in haadf else "peak_map_clean"
        peak_map = haadf[pm_key][()].astype(bool) if pm_key in haadf else None
    xy, peak_map = move_with_record(record, xy, peak_map, shape)
    ours = f.get("synthstem")
    boxes = condition_boxes(_json_attr(ours, "defects", []) if "boxes" in wanted else [], dataset, shape)
    params = {}
    if "params" in wanted:
        params = {"attrs": {k: _str(v) for k, v in f.attrs.items()},
                  "item": _json_attr(ours, "params", {}), "seed": _json_attr(ours, "seed", None),
                  "noise": record}
    return {"image": np.asarray(haadf[dataset][()], dtype=np.float32) if "image" in wanted else None,
            "shape": shape, "xy": np.asarray(xy, dtype=np.float64).reshape(-1, 2),
            "labels": list(labels), "peak_map": peak_map, "boxes": boxes,
            "pixel_size": pixel_size(f, shape), "defect_level": level, "params": params}
