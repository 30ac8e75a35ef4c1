"""What the calibrated formats (``hspy``, ``tiff``, ``hf``) share: pixel size, title and the
parameters of an exported image.

Every record carries in ``meta`` its item, condition, pixel size [Angstrom], defect level,
split and, under ``meta['params']``, what made it: the item's atomagined attributes, every
parameter, the seed, the synthstem version and the image's noise record (condition and
random draws). :func:`parameters` gives all of that JSON-safe.
"""

import json
import math
import re

import numpy as np

#: length unit of the calibrated formats (HyperSpy, ImageJ and pint all know it)
UNIT = "nm"


def pixel_size_nm(record):
    """Pixel size [nm] of a record, or None when the item does not record it."""
    px = record.meta.get("pixel_size_angstrom")
    return None if px is None else float(px) / 10.0


def json_safe(obj):
    """``obj`` with numpy scalars / arrays, tuples and non-finite floats made JSON values
    (NaN and infinities become None)."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, np.generic):
        return json_safe(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    return obj


def parameters(record):
    """Everything recorded about an exported image, JSON-safe (``record.meta``)."""
    return json_safe(record.meta)


def parameters_json(record):
    """:func:`parameters` as a compact, key-sorted JSON string."""
    return json.dumps(parameters(record), sort_keys=True, separators=(",", ":"), allow_nan=False)


def _attr(record, key):
    attrs = (record.meta.get("params") or {}).get("attrs") or {}
    value = attrs.get(key)
    return None if value is None else str(value).strip("'\" ")


def zone_axis(record):
    """The zone axis as '[uvw]' (e.g. '[110]', '[1-10]'), or None."""
    uvw = _attr(record, "uvw_direction")
    if not uvw:
        return None
    try:
        values = [float(v) for v in re.findall(r"-?\d+(?:\.\d*)?(?:[eE]-?\d+)?", uvw)]
    except ValueError:
        return None
    if len(values) != 3 or not all(v == int(v) for v in values):
        return f"[{uvw}]"
    return "[" + ("" if max(abs(v) for v in values) < 10 else ",").join(str(int(v)) for v in values) + "]"


def formula(record):
    """The chemical formula without spaces (e.g. 'SrTiO3'), or None."""
    f = _attr(record, "chemical_formula")
    return f.replace(" ", "") if f else None


def title(record):
    """'<formula> <zone axis> <condition>' (e.g. 'SrTiO3 [001] stem00-clean'); the item name
    stands in for an unknown formula."""
    parts = [formula(record) or str(record.meta.get("item", record.stem)), zone_axis(record),
             str(record.meta.get("condition", ""))]
    return " ".join(p for p in parts if p)
