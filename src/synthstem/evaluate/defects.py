"""COCO box AP of defect predictions (pycocotools ``COCOeval``, iouType 'bbox').

Predictions: ``{image name: [[x, y, w, h, score], ...]}`` in COCO's continuous coordinates
(origin at the image's top-left corner, as the box export). Truth: the defect boxes of
each named image (docs/ml.md); an image listed with ``[]`` has no detection.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

from .predictions import TruthReader, load_json, number

__all__ = ["parse_boxes", "box_ap", "score_defects", "STAT_NAMES"]

#: the 12 numbers of ``COCOeval.stats`` for boxes, in order
STAT_NAMES = ("AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
              "AR1", "AR10", "AR100", "AR_small", "AR_medium", "AR_large")


def parse_boxes(data, what="PRED"):
    """{image: (K, 5) float array [x, y, w, h, score]} from the JSON prediction object."""
    out = {}
    for name, entries in data.items():
        if not isinstance(entries, list):
            raise ValueError(f"{what}[{name!r}]: expected a list of [x, y, w, h, score], got {type(entries).__name__}")
        rows = []
        for k, e in enumerate(entries):
            where = f"{what}[{name!r}][{k}]"
            if not isinstance(e, list) or len(e) != 5:
                raise ValueError(f"{where}: expected [x, y, w, h, score], got {e!r}")
            row = [number(v, f"{where}[{j}]") for j, v in enumerate(e)]
            if row[2] <= 0 or row[3] <= 0:
                raise ValueError(f"{where}: box width and height must be > 0, got {e!r}")
            rows.append(row)
        out[name] = np.asarray(rows, dtype=np.float64).reshape(-1, 5)
    return out


def box_ap(truth, pred):
    """COCOeval box statistics of one class.

    Parameters
    ----------
    truth : {image: (K, 4) [x, y, w, h]}
    pred : {image: (L, 5) [x, y, w, h, score]}; every key must be in ``truth``.

    Returns
    -------
    dict of :data:`STAT_NAMES` -> float, None where COCOeval has nothing to average (-1).
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    names = sorted(truth)
    ids = {n: k + 1 for k, n in enumerate(names)}
    gt = COCO()
    anns = []
    for n in names:
        for b in np.asarray(truth[n], dtype=np.float64).reshape(-1, 4):
            anns.append({"id": len(anns) + 1, "image_id": ids[n], "category_id": 1,
                         "bbox": [float(v) for v in b], "area": float(b[2] * b[3]), "iscrowd": 0})
    gt.dataset = {"images": [{"id": ids[n]} for n in names], "annotations": anns,
                  "categories": [{"id": 1, "name": "defect"}]}
    dets = [{"image_id": ids[n], "category_id": 1, "bbox": [float(v) for v in row[:4]],
             "score": float(row[4])} for n, rows in pred.items() for row in rows]
    if not dets:  # COCO.loadRes refuses an empty list: nothing detected
        return {k: (0.0 if anns and not k.endswith(("small", "medium", "large")) else None)
                for k in STAT_NAMES}
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
        dt = gt.loadRes(dets)
        ev = COCOeval(gt, dt, iouType="bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return {k: (float(v) if v >= 0 else None) for k, v in zip(STAT_NAMES, ev.stats)}


def score_defects(pred, truth_dir):
    """COCO box AP of defect predictions against a dataset folder (see module docstring).

    Returns
    -------
    dict: 'images', 'truth_boxes', 'predictions' and the :data:`STAT_NAMES` statistics.
    """
    parsed = parse_boxes(load_json(pred))
    if not parsed:
        raise ValueError("PRED: no images")
    reader = TruthReader(truth_dir)
    truth = {name: reader.read(name)["boxes"] for name in parsed}
    out = {"images": len(parsed), "truth_boxes": int(sum(len(b) for b in truth.values())),
           "predictions": int(sum(len(b) for b in parsed.values()))}
    out.update(box_ap(truth, parsed))
    return out
