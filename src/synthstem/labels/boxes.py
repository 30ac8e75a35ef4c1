"""Defect boxes for localisation, PEM-SEM-Defect style: ``{"image.png": [[x, y, w, h], ...]}``.

Boxes are in continuous pixel coordinates with the origin at the top-left corner of the
image (pixel index ``i`` spans ``[i, i + 1)``), clipped to the image. ``DefectRecord.bbox_px``
is stored in the pixel-centre convention of docs/DESIGN.md (``x0`` is a pixel-centre
coordinate), so :func:`to_topleft` adds 0.5 to ``x0`` and ``y0``.
"""

import numpy as np


def to_topleft(bbox_px):
    """``[x0, y0, w, h]`` pixel-centre convention -> continuous top-left origin ``[x0+0.5, y0+0.5, w, h]``."""
    b = np.asarray(bbox_px, dtype=np.float64).reshape(-1, 4).copy()
    b[:, :2] += 0.5
    return b


def clip_boxes(boxes, shape, min_size=1.0):
    """Clip top-left-origin boxes ``(K, 4)`` to an image of ``shape`` (rows, cols).

    Boxes whose clipped width or height is below ``min_size`` [px] are dropped.

    Returns
    -------
    boxes : (K', 4) float64, keep : (K,) bool
    """
    rows, cols = shape
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    x0 = np.clip(b[:, 0], 0, cols)
    y0 = np.clip(b[:, 1], 0, rows)
    x1 = np.clip(b[:, 0] + b[:, 2], 0, cols)
    y1 = np.clip(b[:, 1] + b[:, 3], 0, rows)
    out = np.column_stack([x0, y0, x1 - x0, y1 - y0])
    keep = (out[:, 2] >= min_size) & (out[:, 3] >= min_size)
    return out[keep], keep


def condition_suffix(name):
    """The condition of an image dataset name: 'stem00-clean' -> 'clean'; 'raw', 'clean' -> themselves."""
    head, _, tail = str(name).partition("-")
    return tail if tail and head.startswith("stem") else str(name)


def condition_boxes(defects, condition, shape):
    """Top-left-origin boxes ``(K, 4)`` [px] of the defect records shown in image ``condition``.

    ``defects`` are ``DefectRecord.to_dict()`` dicts naming their image(s) in ``condition``
    or ``conditions`` (dataset names or bare conditions: 'stem00-dfct1' and 'dfct1' match);
    their ``bbox_px`` (pixel-centre convention) is moved to the top-left origin and clipped
    to ``shape`` (rows, cols), dropping boxes under 1 px wide or high.
    """
    wanted = {str(condition), condition_suffix(condition)}
    boxes = []
    for rec in defects or []:
        if not isinstance(rec, dict) or rec.get("bbox_px") is None:
            continue
        conds = rec.get("conditions") or []
        conds = [conds] if isinstance(conds, str) else list(conds)
        if rec.get("condition") is not None:
            conds.append(rec["condition"])
        if any(str(c) in wanted or condition_suffix(c) in wanted for c in conds):
            boxes.append(to_topleft(rec["bbox_px"])[0])
    return clip_boxes(np.asarray(boxes, dtype=np.float64).reshape(-1, 4), shape, min_size=1.0)[0]


def boxes_document(entries, decimals=2):
    """Box JSON object ``{file_name: [[x, y, w, h], ...]}`` (every image listed, possibly empty).

    Parameters
    ----------
    entries : iterable of (file_name, boxes (K, 4) top-left origin [px])
    """
    doc = {}
    for name, boxes in entries:
        b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        doc[str(name)] = [[round(float(v), decimals) for v in row] for row in b]
    return doc
