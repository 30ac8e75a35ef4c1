"""Scoring predicted column positions: optimal one-to-one matching within a distance.

A prediction and a true column match when they are paired by the assignment that
maximises the number of pairs closer than ``threshold`` and, among those, minimises the
summed distance (``scipy.optimize.linear_sum_assignment``). Precision = TP / predictions,
recall = TP / true columns, F1 their harmonic mean. Per class, predictions of class c are
matched to true columns of class c only; 'all' matches regardless of class.

Truth: every column of the structure the image shows whose position lies in the image
(docs/ml.md). With ``visible_only`` the columns that own no peak-map pixel (not resolved
in the image) are *ignored*: predictions matched to them count neither as true nor false
positives, and missing them is no false negative. A column owns a peak pixel by the
peak-map rule itself (``synthstem.labels.peaks``): the pixel lies within ``RADIUS`` (2.5 px)
of the column and the column is the nearest one to it; the pixel need not be at the
column's rounded position (:func:`visible_columns`).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from ..labels.peaks import RADIUS
from .predictions import TruthReader, load_json, number

__all__ = ["match_points", "parse_columns", "score_columns", "prf", "visible_columns"]


def match_points(pred, true, threshold):
    """Optimal one-to-one matches closer than ``threshold`` (same units as the points).

    Returns
    -------
    pred_idx, true_idx : (K,) int arrays of matched pairs; dist : (K,) float distances.
    """
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, 2)
    true = np.asarray(true, dtype=np.float64).reshape(-1, 2)
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    if len(pred) == 0 or len(true) == 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    dist = cdist(pred, true)
    ok = dist <= threshold
    # a pair beyond the threshold costs more than any set of valid pairs: the assignment
    # first maximises the number of valid pairs, then minimises their summed distance
    big = threshold * (min(dist.shape) + 1) + 1.0
    rows, cols = linear_sum_assignment(np.where(ok, dist, big))
    keep = ok[rows, cols]
    return rows[keep], cols[keep], dist[rows[keep], cols[keep]]


def visible_columns(xy, peak_map, radius=RADIUS):
    """Which columns own a peak-map pixel, by the peak-map rule (``labels.peaks``).

    Every True pixel of ``peak_map`` is assigned to its nearest column; the column is
    visible when that distance is at most ``radius`` [px].

    Parameters
    ----------
    xy : (M, 2) float
        Column positions [px] (x = column, y = row), all the columns the map was made from.
    peak_map : (H, W) bool
    radius : float
        Largest peak-to-column distance [px] of the peak-map rule.

    Returns
    -------
    (M,) bool
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    ys, xs = np.nonzero(np.asarray(peak_map, bool))
    if len(xy) == 0 or len(xs) == 0:
        return np.zeros(len(xy), bool)
    cols, inverse = np.unique(xy, axis=0, return_inverse=True)  # as find_peaks does
    dist, idx = cKDTree(cols).query(np.c_[xs, ys].astype(np.float64))
    owns = np.zeros(len(cols), bool)
    owns[idx[dist <= radius]] = True
    return owns[inverse.reshape(-1)]


def prf(tp, n_pred, n_true):
    """(precision, recall, F1); 1.0 where nothing was expected and nothing predicted."""
    p = tp / n_pred if n_pred else float(n_true == 0)
    r = tp / n_true if n_true else float(n_pred == 0)
    return p, r, (2 * p * r / (p + r) if p + r > 0 else 0.0)


def parse_columns(data, what="PRED"):
    """{image: (xy (M, 2), classes list or None)} from the JSON prediction object."""
    out, labelled = {}, None
    for name, entries in data.items():
        if not isinstance(entries, list):
            raise ValueError(f"{what}[{name!r}]: expected a list of [x, y] or [x, y, class], got {type(entries).__name__}")
        xy, classes = [], []
        for k, e in enumerate(entries):
            where = f"{what}[{name!r}][{k}]"
            if not isinstance(e, list) or len(e) not in (2, 3):
                raise ValueError(f"{where}: expected [x, y] or [x, y, class], got {e!r}")
            has_class = len(e) == 3
            if labelled is None:
                labelled = has_class
            elif labelled != has_class:
                raise ValueError(f"{where}: every prediction must have a class or none must ({e!r})")
            xy.append((number(e[0], where + "[0]"), number(e[1], where + "[1]")))
            if has_class:
                if not isinstance(e[2], str) or not e[2]:
                    raise ValueError(f"{where}[2]: class must be a non-empty string, got {e[2]!r}")
                classes.append(e[2])
        out[name] = (np.asarray(xy, dtype=np.float64).reshape(-1, 2), classes if labelled else None)
    return out


class _Tally:
    def __init__(self):
        self.tp = self.n_pred = self.n_true = 0
        self.err_px, self.err_a = [], []

    def add(self, tp, n_pred, n_true, err_px, px):
        self.tp, self.n_pred, self.n_true = self.tp + tp, self.n_pred + n_pred, self.n_true + n_true
        self.err_px.extend(err_px)
        self.err_a.extend(np.asarray(err_px) * (px if px else np.nan))

    def scores(self):
        p, r, f = prf(self.tp, self.n_pred, self.n_true)
        mean = (lambda v: float(np.mean(v)) if len(v) and np.all(np.isfinite(v)) else None)
        return {"tp": self.tp, "fp": self.n_pred - self.tp, "fn": self.n_true - self.tp,
                "precision": p, "recall": r, "f1": f,
                "mean_error_angstrom": mean(self.err_a), "mean_error_px": mean(self.err_px)}


def _count(pred, true, visible, threshold):
    """(TP, counted predictions, counted truths, TP distances) with invisible truths ignored."""
    pi, ti, d = match_points(pred, true, threshold)
    tp_mask = visible[ti]
    ignored = int(np.sum(~tp_mask))  # predictions matched to ignored columns
    return int(tp_mask.sum()), len(pred) - ignored, int(visible.sum()), d[tp_mask]


def score_columns(pred, truth_dir, threshold_angstrom=0.5, visible_only=False):
    """Precision, recall, F1 and mean position error of column predictions.

    Parameters
    ----------
    pred : path or dict
        JSON object {image name: [[x, y] or [x, y, class], ...]}, x, y [px] as
        ``projection/full_coords`` (x = column, y = row, pixel centres at integers).
    truth_dir : path
        The dataset folder.
    threshold_angstrom : float
        Matching distance [Angstrom] (converted with each image's pixel size).
    visible_only : bool
        Ignore true columns that own no peak-map pixel (see module docstring).

    Returns
    -------
    dict: 'threshold_angstrom', 'images', 'all' (class-agnostic), 'classes' (per class;
    only when predictions have classes), 'macro_f1', 'by_condition' ('all' scores of the
    images of each condition).
    """
    if not threshold_angstrom > 0:
        raise ValueError(f"threshold_angstrom must be > 0, got {threshold_angstrom}")
    parsed = parse_columns(load_json(pred))
    if not parsed:
        raise ValueError("PRED: no images")
    truth = TruthReader(truth_dir)
    overall, per_class, per_cond = _Tally(), defaultdict(_Tally), defaultdict(_Tally)
    labelled = None
    for name, (xy, classes) in sorted(parsed.items()):
        t = truth.read(name)
        px = t["pixel_size"]
        thr = threshold_angstrom / px if px else threshold_angstrom
        h, w = t["shape"]
        inside = np.all((t["xy"] >= -0.5) & (t["xy"] < np.array([w, h]) - 0.5), axis=1)
        txy, tlab = t["xy"][inside], [lab for lab, ok in zip(t["labels"], inside) if ok]
        visible = np.ones(len(txy), bool)
        if visible_only and t["peak_map"] is not None:
            # peaks are assigned among all the columns the map was made from
            visible = visible_columns(t["xy"], t["peak_map"])[inside]
        tp, n_pred, n_true, d = _count(xy, txy, visible, thr)
        overall.add(tp, n_pred, n_true, d, px)
        cond = name[:-4].partition("-")[2] if name.endswith(".png") else name.partition("-")[2]
        per_cond[cond].add(tp, n_pred, n_true, d, px)
        labelled = classes is not None if labelled is None else labelled
        if classes is not None:
            for c in set(classes) | set(tlab):
                pm = np.array([k == c for k in classes], bool)
                tm = np.array([k == c for k in tlab], bool)
                per_class[c].add(*_count(xy[pm], txy[tm], visible[tm], thr), px)
    out = {"threshold_angstrom": float(threshold_angstrom), "visible_only": bool(visible_only),
           "images": len(parsed), "all": overall.scores()}
    if labelled:
        out["classes"] = {c: per_class[c].scores() for c in sorted(per_class)}
        out["macro_f1"] = float(np.mean([s["f1"] for s in out["classes"].values()]))
    out["by_condition"] = {c: per_cond[c].scores() for c in sorted(per_cond)}
    return out
