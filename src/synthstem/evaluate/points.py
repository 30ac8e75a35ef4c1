"""Score point detections against ``X``, ``Y`` label CSVs (``synthstem eval points``).

Two matching rules, both one-to-one by the Hungarian algorithm
(``scipy.optimize.linear_sum_assignment``), counts pooled over images:

- distance: a prediction matches a true point within ``distance`` [px];
- box (the rule of the AC-STEM single-atom publication, JACS 2022, 144, 8018): a
  ``box x box`` px square (default 21, i.e. +-10 px) around every true and predicted
  point, matched by maximal total IoU; a pair counts when IoU > 0.5.

Predictions: JSON ``{"<image stem>": [[x, y, "class", score], ...]}`` [px]; an image with
labels and no predictions counts its labels as misses; predictions for an image without
a label file are an error (a wrong folder).
"""

from __future__ import annotations

import json
import os

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from ..io.micrographs import read_points

__all__ = ["box_iou", "match_box", "match_distance", "read_predictions", "score_points"]


def box_iou(a, b, box=21.0):
    """IoU matrix of equal ``box x box`` squares centred on points ``a`` (n, 2) and ``b`` (m, 2)."""
    a, b = np.asarray(a, float).reshape(-1, 2), np.asarray(b, float).reshape(-1, 2)
    ox = np.clip(box - np.abs(a[:, None, 0] - b[None, :, 0]), 0, None)
    oy = np.clip(box - np.abs(a[:, None, 1] - b[None, :, 1]), 0, None)
    inter = ox * oy
    return inter / (2 * box * box - inter)


def match_box(truth, pred, box=21.0, min_iou=0.5):
    """Number of true/predicted pairs with IoU > ``min_iou`` after max-IoU assignment."""
    if len(truth) == 0 or len(pred) == 0:
        return 0
    iou = box_iou(truth, pred, box)
    r, c = linear_sum_assignment(-iou)
    return int(np.count_nonzero(iou[r, c] > min_iou))


def match_distance(truth, pred, distance):
    """Number of pairs within ``distance`` [px] after min-total-distance assignment of close pairs."""
    if len(truth) == 0 or len(pred) == 0:
        return 0
    d = cdist(np.asarray(truth, float).reshape(-1, 2), np.asarray(pred, float).reshape(-1, 2))
    cost = np.where(d <= distance, d, 1e6)
    r, c = linear_sum_assignment(cost)
    return int(np.count_nonzero(d[r, c] <= distance))


def read_predictions(path):
    """``{stem: (n, 2) xy, ...}`` and scores from a predictions JSON (one-line errors)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: predictions must be a JSON object keyed by image stem")
    out = {}
    for name, dets in data.items():
        if not isinstance(dets, list) or any(not isinstance(d, list) or len(d) < 2 for d in dets):
            raise ValueError(f"{path}: {name!r}: expected a list of [x, y, class, score]")
        try:
            out[name] = np.array([[float(d[0]), float(d[1])] for d in dets], dtype=float).reshape(-1, 2)
        except (TypeError, ValueError):
            raise ValueError(f"{path}: {name!r}: x and y must be numbers") from None
    return out


def _counts(tp, n_truth, n_pred):
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_truth if n_truth else 0.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return {"tp": tp, "fp": n_pred - tp, "fn": n_truth - tp, "precision": p, "recall": r, "f1": f1}


def score_points(pred, truth_dir, distance=5.0, box=21.0, min_iou=0.5):
    """Pooled precision/recall/F1 of point predictions under both rules.

    Parameters
    ----------
    pred : str or dict
        Predictions JSON path, or ``{stem: (n, 2) xy}``.
    truth_dir : str
        Folder of ``<stem>.csv`` label files (columns ``X``, ``Y`` [px]).
    distance : float
        Distance rule radius [px].
    box, min_iou : float
        Box rule: square side [px] and IoU to exceed.

    Returns
    -------
    dict
        ``box`` and ``distance`` scores (tp, fp, fn, precision, recall, f1), ``images``,
        ``per_image`` box-rule F1.
    """
    if not os.path.isdir(truth_dir):
        raise NotADirectoryError(20, "truth must be a folder of <image>.csv label files", truth_dir)
    preds = read_predictions(pred) if not isinstance(pred, dict) else pred
    stems = sorted(os.path.splitext(n)[0] for n in os.listdir(truth_dir) if n.endswith(".csv"))
    if not stems:
        raise ValueError(f"{truth_dir}: no <image>.csv label files")
    extra = sorted(set(preds) - set(stems))
    if extra:
        raise ValueError(f"predictions for {len(extra)} image(s) without labels in {truth_dir}, e.g. {extra[0]!r}")
    tp_b = tp_d = nt = npred = 0
    per_image = {}
    for stem in stems:
        t = read_points(os.path.join(truth_dir, stem + ".csv"))
        p = np.asarray(preds.get(stem, np.zeros((0, 2))), float).reshape(-1, 2)
        b = match_box(t, p, box, min_iou)
        tp_b += b
        tp_d += match_distance(t, p, distance)
        nt += len(t)
        npred += len(p)
        per_image[stem] = _counts(b, len(t), len(p))["f1"]
    return {"images": len(stems), "box": {**_counts(tp_b, nt, npred), "box_px": box, "min_iou": min_iou},
            "distance": {**_counts(tp_d, nt, npred), "distance_px": distance}, "per_image": per_image}
