"""HyperSpy signals: ``{split}_hspy/<stem>.hspy``, one calibrated ``Signal2D`` per image.

Written with rosettasciio (``rsciio.hspy.file_writer``, the reader/writer HyperSpy uses;
no HyperSpy import), so ``hs.load`` and atomap open the image at its scale:

- ``data``: the float32 image (fraction of the incident beam, as in the item);
- axes ``y`` (rows) and ``x`` (columns): ``scale`` = pixel size [nm], ``units`` 'nm',
  ``offset`` 0, so pixel ``i`` sits at ``i * scale`` (its centre, the pixel-centre
  convention of docs/DESIGN.md); an item without a pixel size gets scale 1 and units 'px';
- ``metadata.General.title``: formula, zone axis and condition ('SrTiO3 [001] stem00-clean');
- ``metadata.Markers``: one HyperSpy ``Points`` marker per column class, offsets (x, y) in
  calibrated units, and a ``Rectangles`` marker 'defect' of the defect boxes, shown by
  ``s.plot()``;
- ``metadata.synthstem``: the labels in calibrated units and pixels (``x``, ``y``,
  ``x_px``, ``y_px``, ``class``, ``class_id`` (COCO with-class id), ``defect_boxes``
  [x, y, w, h] [nm] in the axes' frame: the box's top-left corner, where pixel ``i``
  covers ``[(i - 0.5) * scale, (i + 0.5) * scale)``) and the record's item / condition /
  split / pixel size;
- ``original_metadata.synthstem``: every parameter and seed as a tree, and the same as
  lossless JSON in ``original_metadata.synthstem_json``.
"""

import os
import tempfile

import numpy as np

from .base import Format as _Base
from .base import require
from .calibrated import UNIT, parameters, parameters_json, pixel_size_nm, title

#: HyperSpy's matplotlib colours for the class markers (tab10, in class-id order)
COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
          "tab:pink", "tab:gray", "tab:olive", "tab:cyan")


def hdf5_tree(obj):
    """A JSON-like value as rosettasciio writes it to HDF5: lists of dicts become dicts
    keyed '0', '1', ...; lists of numbers arrays; mixed or nested lists, and integers
    beyond int64, strings (JSON)."""
    import json

    if isinstance(obj, dict):
        return {str(k): hdf5_tree(v) for k, v in obj.items()}
    if isinstance(obj, int) and not isinstance(obj, bool) and not -2**63 <= obj < 2**63:
        return str(obj)  # beyond int64 (a 64-bit seed): HDF5 has no such integer
    if isinstance(obj, list) and any(isinstance(v, int) and not -2**63 <= v < 2**63 for v in obj):
        return json.dumps(obj)
    if isinstance(obj, list):
        if obj and all(isinstance(v, dict) for v in obj):
            return {str(i): hdf5_tree(v) for i, v in enumerate(obj)}
        if all(isinstance(v, bool) for v in obj) or all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in obj):
            return np.asarray(obj) if obj else "[]"
        if all(isinstance(v, str) for v in obj):
            return list(obj) if obj else "[]"
        return json.dumps(obj)
    return obj


def signal_dict(record, category_ids):
    """The rosettasciio signal dictionary of one record."""
    h, w = record.image.shape
    scale = pixel_size_nm(record)
    units = UNIT if scale is not None else "px"
    scale = 1.0 if scale is None else scale
    axes = [{"_type": "UniformDataAxis", "name": name, "units": units, "scale": scale, "offset": 0.0,
             "size": int(n), "navigate": False, "is_binned": False, "index_in_array": i}
            for i, (name, n) in enumerate((("y", h), ("x", w)))]
    xy = np.asarray(record.xy, dtype=np.float64).reshape(-1, 2)
    labels = [str(lab) for lab in record.labels]
    ids = np.asarray([category_ids.get(lab, 0) for lab in labels], dtype=np.int64)
    boxes = np.asarray(record.defect_boxes, dtype=np.float64).reshape(-1, 4)
    markers = {}
    for k, name in enumerate(sorted(set(labels), key=lambda n: category_ids.get(n, 0))):
        sel = np.asarray([lab == name for lab in labels], dtype=bool)
        markers[name] = {"class": "Points", "name": name, "plot_on_signal": True, "offset_transform": "data",
                         "transform": "display", "ScalarMappable_array": None,
                         "kwargs": {"offsets": xy[sel] * scale, "sizes": (3,), "units": "points", "alpha": 0.8,
                                    "color": (COLORS[k % len(COLORS)],)}}
    # boxes [x, y, w, h] (continuous, top-left origin) in the axes' frame: pixel i covers
    # [i - 0.5, i + 0.5) there
    boxes_axes = np.column_stack([boxes[:, :2] - 0.5, boxes[:, 2:]]) * scale
    if len(boxes):
        markers["defect"] = {"class": "Rectangles", "name": "defect", "plot_on_signal": True,
                             "offset_transform": "data", "transform": "display", "ScalarMappable_array": None,
                             "kwargs": {"offsets": boxes_axes[:, :2] + boxes_axes[:, 2:] / 2,
                                        "widths": tuple(boxes_axes[:, 2]), "heights": tuple(boxes_axes[:, 3]),
                                        "angles": 0, "units": "xy", "facecolor": "none", "edgecolor": "red",
                                        "linewidth": 1.5}}
    meta = parameters(record)
    params = meta.pop("params", {})
    label_tree = {"x": xy[:, 0] * scale, "y": xy[:, 1] * scale, "x_px": xy[:, 0], "y_px": xy[:, 1],
                  "class": labels or "[]", "class_id": ids, "defect_boxes": boxes_axes,
                  "units": units, "convention": "pixel i at i * scale (its centre); boxes [x, y, w, h]: top-left corner"}
    return {
        "data": np.asarray(record.image, dtype=np.float32),
        "axes": axes,
        "metadata": {"General": {"title": title(record)},
                     "Signal": {"signal_type": "", "quantity": "Intensity (fraction of incident beam)"},
                     "Markers": markers,
                     "synthstem": {**hdf5_tree(meta), "labels": label_tree}},
        "original_metadata": {"synthstem": hdf5_tree(params), "synthstem_json": parameters_json(record)},
        "learning_results": {}, "models": {},
        "attributes": {"_lazy": False, "ragged": False},
        "package_info": {"package": "synthstem", "package_version": str(params.get("version") or "")},
        "tmp_parameters": {},
    }


def hspy_bytes(record, category_ids):
    """The ``.hspy`` file of one record, as bytes (written through a temporary file)."""
    from rsciio.hspy import file_writer

    signal = signal_dict(record, category_ids)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "signal.hspy")
        file_writer(path, signal, compression="gzip", show_progressbar=False)
        with open(path, "rb") as fh:
            return fh.read()


class Format(_Base):
    name = "hspy"

    def begin(self, sink, context):
        require("rsciio", "rosettasciio", self.name)
        super().begin(sink, context)

    def add(self, record):
        self.sink.bytes(f"{record.split}_hspy/{record.stem}.hspy", hspy_bytes(record, self.context.category_ids))
        return None
