"""Defect boxes, PEM-SEM-Defect style: ``boxes/{split}_defect_boxes.json`` =
``{"<image>.png": [[x, y, w, h], ...]}`` (top-left origin [px], every image listed).

Scenes (records with column instance ids, ``Annotated.groups``) also get
``boxes/{split}_instance_boxes.json`` = ``{"<image>.png": [{"bbox": [x, y, w, h],
"class": ..., "instance": id}, ...]}``: one box per cluster / particle / lone labelled
column (the union of its columns' discs, clipped to the image; class: the most common
column class of the instance)."""

import numpy as np

from ..labels.boxes import boxes_document
from .base import SplitDocuments


def instance_boxes(record):
    """Boxes of the record's instances (module docstring); None without instance ids."""
    if record.groups is None:
        return None
    xy = np.asarray(record.xy, dtype=float).reshape(-1, 2)
    groups = np.asarray(record.groups, dtype=int)
    visible = np.ones(len(xy), bool) if record.visible is None else np.asarray(record.visible, bool)
    rows, cols = record.image.shape
    r = float(record.radius)
    units = {}
    for i in np.flatnonzero(visible):
        key = int(groups[i]) if groups[i] >= 0 else -1 - int(i)
        units.setdefault(key, []).append(i)
    out = []
    for key, members in units.items():
        p = xy[members] + 0.5  # pixel centres -> continuous top-left coordinates
        x0, y0 = max(p[:, 0].min() - r, 0.0), max(p[:, 1].min() - r, 0.0)
        x1, y1 = min(p[:, 0].max() + r, float(cols)), min(p[:, 1].max() + r, float(rows))
        if x1 <= x0 or y1 <= y0:
            continue
        labels = [record.labels[i] for i in members]
        out.append({"bbox": [round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2)],
                    "class": max(sorted(set(labels)), key=labels.count), "instance": max(key, -1)})
    return out


class Format(SplitDocuments):
    name = "boxes"

    def add(self, record):
        return record.file_name, record.defect_boxes, instance_boxes(record)

    def write(self, split, entries, suffix, first):
        doc = boxes_document([(name, boxes) for name, boxes, _ in entries])
        self.sink.json(f"boxes/{split}_defect_boxes{suffix}.json", doc, indent=1)
        if any(inst is not None for _, _, inst in entries):
            self.sink.json(f"boxes/{split}_instance_boxes{suffix}.json",
                           {name: inst or [] for name, _, inst in entries}, indent=1)
        return doc
