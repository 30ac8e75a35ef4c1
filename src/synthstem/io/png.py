"""8-bit grey PNG previews in the atomagined style.

Each image is cropped to its central 250 x 250 pixels (``[3:253, 3:253]`` of a 256 x 256
image; in general ``crop = 3`` pixels off every edge) and stretched linearly from its
0.01 % to its 99 % percentile (both of the crop) onto 0..255, values outside clipped, then
rounded. The reference PNGs saturate their top ~1-2 % of pixels and start near the
minimum; this rule reproduces them to a mean absolute difference of 3.4 grey levels
(``benchmarks/compare_reference.py``, numbers in ``benchmarks/DATASET.md``).

Like the reference PNGs, the files are RGBA with R = G = B = the grey level and an opaque
alpha (255), so code written for them (``imageio.imread(p)[..., 0]``,
``Image.open(p).convert("L")``, ``np.asarray(Image.open(p))[..., :3]``) reads ours the same.

This module holds synthstem's one 8-bit contrast stretcher (:func:`to_uint8`, with
:func:`display_range` choosing the range): the previews, the exported images and the
JPEG augmentation all use it. :func:`array_png_bytes` writes label arrays (masks, 8-bit
images) as they are: grey ``L``, 16-bit ``I;16`` or ``RGB``.
"""

import io

import numpy as np
from PIL import Image

from .files import write_bytes

CROP = 3
LOW_PERCENTILE = 0.01
HIGH_PERCENTILE = 99.0


def crop(image, margin=CROP):
    """Centre crop removing ``margin`` pixels on every edge."""
    image = np.asarray(image)
    if margin == 0:
        return image
    if min(image.shape) <= 2 * margin:
        raise ValueError(f"image of shape {image.shape} is too small to crop {margin} pixels")
    return image[margin:-margin, margin:-margin]


def display_range(image, low=LOW_PERCENTILE, high=HIGH_PERCENTILE):
    """``(lo, hi)``: the ``low`` and ``high`` percentiles [%] of ``image`` (its min and max
    when they coincide), so a few hot pixels do not darken the 8-bit image."""
    a = np.asarray(image, dtype=np.float64)
    lo, hi = (float(v) for v in np.percentile(a, [low, high]))
    if not hi > lo:
        lo, hi = float(a.min()), float(a.max())
    return lo, hi


def to_uint8(image, lo=None, hi=None):
    """Linear 8-bit contrast stretch: ``lo`` -> 0, ``hi`` -> 255 (default: min, max).

    Values outside are clipped; rounding is to the nearest integer, halves to even
    (``numpy.rint``); an image with ``hi <= lo`` gives zeros.
    """
    a = np.asarray(image, dtype=np.float64)
    lo = float(np.min(a)) if lo is None else float(lo)
    hi = float(np.max(a)) if hi is None else float(hi)
    if not hi > lo:
        return np.zeros(a.shape, dtype=np.uint8)
    return np.clip(np.rint((a - lo) / (hi - lo) * 255.0), 0, 255).astype(np.uint8)


def stretch(image, low=LOW_PERCENTILE, high=HIGH_PERCENTILE):
    """uint8 contrast stretch between the ``low`` and ``high`` percentiles [%]."""
    return to_uint8(image, *display_range(image, low, high))


def to_png_array(image, margin=CROP):
    """The 8-bit array a PNG preview holds: crop then stretch."""
    return stretch(crop(image, margin))


def png_bytes(array8):
    """PNG bytes of a 2-D uint8 grey array: RGBA, R = G = B = grey, alpha 255 (as atomagined)."""
    grey = np.asarray(array8, dtype=np.uint8)
    if grey.ndim != 2:
        raise ValueError(f"expected a 2-D grey array, got shape {grey.shape}")
    rgba = np.empty(grey.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = grey[..., None]
    rgba[..., 3] = 255
    buf = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buf, format="PNG")
    return buf.getvalue()


def array_png_bytes(array):
    """PNG bytes of an array as it is: 2-D uint8 (grey ``L``), 2-D uint16 (``I;16``) or
    (h, w, 3) uint8 (``RGB``)."""
    array = np.asarray(array)
    rgb = array.ndim == 3 and array.shape[2] == 3 and array.dtype == np.uint8
    if not (rgb or (array.ndim == 2 and array.dtype in (np.uint8, np.uint16))):
        raise ValueError(f"array must be 2-D uint8/uint16 or (h, w, 3) uint8, got {array.dtype} {array.shape}")
    buf = io.BytesIO()  # Pillow picks the mode from the dtype: L, I;16 or RGB
    Image.fromarray(np.ascontiguousarray(array)).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def write_array_png(path, array):
    """Write :func:`array_png_bytes` of ``array`` atomically."""
    return write_bytes(path, array_png_bytes(array))


def write_png(path, image, margin=CROP):
    """Crop, stretch and write ``image`` as an 8-bit grey RGBA PNG (atomically)."""
    return write_bytes(path, png_bytes(to_png_array(image, margin)))


def item_png_names(item_name, dataset_names):
    """{dataset name: file name}: '<name>-raw.png', '<name>-stem00-clean.png', ..."""
    return {key: f"{item_name}-{key}.png" for key in dataset_names}


def write_item_pngs(folder, item, which=None):
    """Write PNGs of ``item.raw`` and its images into ``folder``; returns the paths.

    ``which``: dataset names to write (default: 'raw' and every image).
    """
    from pathlib import Path

    folder = Path(folder)
    images = {"raw": item.raw, **item.images}
    keys = list(images) if which is None else [k for k in which if k in images]
    names = item_png_names(item.name, keys)
    return [write_png(folder / names[k], images[k]) for k in keys]
