"""Calibrated TIFF for Fiji / ImageJ: ``{split}_tiff/<stem>.tif``, one per image.

Written with tifffile as an ImageJ hyperstack of one plane, so Fiji shows the scale:

- pixels: float32 (the image as stored in the item) or, with the export option
  ``tiff_dtype='uint16'``, ``rint((image - offset) / step)`` with ``offset`` = the image's
  minimum and ``step`` = (max - min) / 65535 (ImageJ's calibration function ``cf=0`` with
  ``c0`` = offset, ``c1`` = step, so Fiji shows the original values);
- ``XResolution`` / ``YResolution`` = 1 / pixel size [pixels per nm], ``ResolutionUnit``
  none, and ``unit=nm`` in ImageJ's ImageDescription (the pair Fiji reads); an item without
  a pixel size gets no resolution and unit 'pixel';
- ImageJ's ``Info`` (Image > Show Info in Fiji; ``TiffFile.imagej_metadata['Info']``): JSON
  with the title, the pixel size, the labels in pixels (``x_px``, ``y_px``, ``class``,
  ``class_id``, ``defect_boxes`` [x, y, w, h] top-left origin) and every parameter
  (:func:`synthstem.exports.calibrated.parameters`); the plane's label is the title.
"""

import io
import json

import numpy as np

from .base import Format as _Base
from .base import require
from .calibrated import UNIT, parameters, pixel_size_nm, title

U16_MAX = 65535


def to_uint16(image):
    """``(pixels, offset, step)``: ``image`` quantised to uint16 between its min and max;
    ``offset + step * pixels`` gives it back within ``step / 2``."""
    a = np.asarray(image, dtype=np.float64)
    lo, hi = float(a.min()), float(a.max())
    step = (hi - lo) / U16_MAX if hi > lo else 1.0
    return np.clip(np.rint((a - lo) / step), 0, U16_MAX).astype(np.uint16), lo, step


def info(record, category_ids, extra=None):
    """The JSON of ImageJ's ``Info``: title, pixel size, labels [px] and parameters."""
    xy = np.asarray(record.xy, dtype=np.float64).reshape(-1, 2)
    labels = [str(lab) for lab in record.labels]
    doc = {"title": title(record), "pixel_size_nm": pixel_size_nm(record), "unit": UNIT,
           "labels": {"x_px": xy[:, 0].tolist(), "y_px": xy[:, 1].tolist(), "class": labels,
                      "class_id": [int(category_ids.get(lab, 0)) for lab in labels],
                      "defect_boxes": np.asarray(record.defect_boxes, dtype=np.float64).reshape(-1, 4).tolist(),
                      "convention": "pixel centres at integers; boxes: top-left corner origin"},
           **(extra or {}), "parameters": parameters(record)}
    return json.dumps(doc, sort_keys=False, allow_nan=False)


def tiff_bytes(record, category_ids, dtype="float32"):
    """The ImageJ TIFF of one record, as bytes."""
    import tifffile

    metadata = {}
    extra = {"dtype": dtype}
    if dtype == "uint16":
        data, offset, step = to_uint16(record.image)
        metadata.update(cf=0, c0=offset, c1=step, vunit="fraction")
        extra["uint16"] = {"offset": offset, "step": step, "value": "offset + step * pixel"}
    elif dtype == "float32":
        data = np.asarray(record.image, dtype=np.float32)
    else:
        raise ValueError(f"tiff_dtype must be 'float32' or 'uint16', got {dtype!r}")
    px = pixel_size_nm(record)
    metadata.update(unit=UNIT if px else "pixel", Info=info(record, category_ids, extra), Labels=[title(record)])
    buf = io.BytesIO()
    tifffile.imwrite(buf, data, imagej=True, resolution=(1.0 / px, 1.0 / px) if px else None,
                     metadata=metadata, software="synthstem")
    return buf.getvalue()


class Format(_Base):
    name = "tiff"

    def begin(self, sink, context):
        require("tifffile", "tifffile", self.name)
        super().begin(sink, context)

    def add(self, record):
        data = tiff_bytes(record, self.context.category_ids, self.context.option("tiff_dtype"))
        self.sink.bytes(f"{record.split}_tiff/{record.stem}.tif", data)
        return None
