"""Atomic file writers shared by the export encoders.

Every writer puts the bytes into a temporary file in the destination folder and then
``os.replace``-s it onto the final name, so a reader never sees a half-written file.
"""

import io
import json
import zipfile

import numpy as np
from PIL import Image

from ..io.files import write_bytes, write_text  # noqa: F401  (atomic writers, shared)


def write_json(path, obj, indent=None):
    """Write ``obj`` as JSON atomically (key order kept, as COCO readers expect)."""
    return write_text(path, json.dumps(obj, indent=indent, allow_nan=False))


def png_bytes(array):
    """PNG bytes of a 2-D uint8 / uint16 array or an (h, w, 3) uint8 RGB array (Pillow)."""
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 3 and array.dtype == np.uint8:
        img = Image.fromarray(array, mode="RGB")
    elif array.ndim == 2 and array.dtype == np.uint8:
        img = Image.fromarray(array, mode="L")
    elif array.ndim == 2 and array.dtype == np.uint16:
        img = Image.fromarray(array.astype(np.uint16), mode="I;16")
    else:
        raise ValueError(f"array must be 2-D uint8/uint16 or (h, w, 3) uint8, got {array.dtype} {array.shape}")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def write_png(path, array):
    return write_bytes(path, png_bytes(array))


def npz_bytes(**arrays):
    """Bytes of a compressed ``.npz`` readable by ``numpy.load``, byte-for-byte reproducible
    (fixed zip timestamps, unlike ``numpy.savez_compressed``)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, value in arrays.items():
            arr = io.BytesIO()
            np.lib.format.write_array(arr, np.asanyarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, arr.getvalue())
    return buf.getvalue()


def write_npz(path, **arrays):
    """Write a compressed ``.npz`` atomically (numpy format, reproducible bytes)."""
    return write_bytes(path, npz_bytes(**arrays))


def to_uint8(image, lo=None, hi=None):
    """Contrast-stretch a float image to 8 bit: ``lo`` -> 0, ``hi`` -> 255 (default: min, max)."""
    image = np.asarray(image, dtype=np.float64)
    lo = float(np.min(image)) if lo is None else float(lo)
    hi = float(np.max(image)) if hi is None else float(hi)
    if not hi > lo:
        return np.zeros(image.shape, dtype=np.uint8)
    scaled = (image - lo) / (hi - lo) * 255.0
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
