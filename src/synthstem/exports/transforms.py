"""Acquisition-variability transforms of HAADF-STEM images and of their annotations.

For every base image: variant 0 is the original, variants 1..N draw 2-4 transforms each
from fixed seeds. Parameters are drawn first (:func:`get_params`, JSON-serialisable and
stored per variant) and then applied by pure functions (:func:`apply` for the image;
:func:`transform_points`, :func:`warp_labels`, :func:`transform_boxes` for the
annotations), albumentations-style. :mod:`synthstem.exports.augment` applies them to
whole export records.

Transforms (canonical application order, whatever order they were drawn in):

==============  =================================================================  =========
name            what it models / parameters                                        library
==============  =================================================================  =========
geometric       small stage rotation [deg], magnification error (scale), image      scipy.ndimage.affine_transform
                shift [px], about the image centre
scan_drift      linear specimen drift during the raster scan: the frame is sheared  (same affine)
                / stretched by ``v`` [px per scan row] relative to the middle row
focus_blur      focus drift / astigmatism: Gaussian blur, sigma_x, sigma_y [px]    scipy.ndimage.gaussian_filter
resolution      coarser sampling: anti-aliased down-sampling by ``factor``, cubic   scipy.ndimage.zoom
                interpolation back to the original grid
intensity       detector gain/offset (relative to the image mean) and gamma         numpy
noise           shot noise (Poisson, ``counts`` per pixel at the mean intensity) +  numpy.random (seeded
                read noise (``read_sigma`` x image mean)                            by a drawn ``seed``)
jpeg            lossy storage: JPEG at ``quality`` of the 8-bit min/max-stretched   Pillow
                image (io.png.to_uint8), mapped back
==============  =================================================================  =========

Geometry. ``geometric`` and ``scan_drift`` compose into one 3x3 affine matrix ``M``
(recorded as ``params["matrix"]``) acting on pixel coordinates (x = column, y = row,
integer = pixel centre, docs/DESIGN.md): a point at ``p`` in the original lies at
``M @ [p, 1]`` in the variant. The image is resampled with cubic splines, the label images
with nearest neighbour (order 0), both through ``scipy.ndimage.affine_transform``; pixels
that come from outside the original get the image median (labels: background). Point
lists are mapped with ``M``; peak maps are re-rasterised from the mapped points.

Boxes rule (documented, :func:`transform_boxes`): the four corners of a box are mapped,
their axis-aligned hull is clipped to the image, and the box is dropped when less than
``min_visible`` (default 0.5) of the hull's area stays in view or when the clipped width or
height is below ``min_size`` (default 2 px). Columns whose mapped centre leaves the image
(continuous coordinate outside ``[0, size)``) are marked not visible.
"""

import io
import zlib

import numpy as np
from PIL import Image
from scipy import ndimage

from ..io.png import to_uint8
from ..random import STAGE_AUGMENT, as_rng

TRANSFORMS = ("geometric", "scan_drift", "focus_blur", "resolution", "intensity", "noise", "jpeg")
GEOMETRIC = ("geometric", "scan_drift")

#: Parameter ranges (uniform unless noted). Angles [deg], lengths [px].
DEFAULT_RANGES = {
    "angle_deg": (-3.0, 3.0),
    "scale": (0.95, 1.05),
    "shift_px": (-4.0, 4.0),
    "drift_px_per_row": (-0.015, 0.015),
    "blur_sigma_px": (0.3, 1.5),
    "astigmatism": (0.0, 0.3),  # sigma_x, sigma_y = sigma * (1 +- a)
    "resolution_factor": (0.4, 0.8),
    "gain": (0.8, 1.25),
    "offset": (-0.1, 0.1),  # x image mean
    "gamma": (0.75, 1.333),  # log-uniform
    "counts": (30.0, 400.0),  # log-uniform, counts per pixel at the image's mean intensity
    "read_sigma": (0.0, 0.03),  # x image mean
    "jpeg_quality": (25, 90),  # integers, inclusive
}


def variant_rng(seed, key, variant):
    """Generator of one variant: ``SeedSequence([seed, crc32(key), stage, variant])``.

    ``key`` is the base image's name, so a variant does not depend on which other images are
    augmented or in which order.
    """
    k = zlib.crc32(str(key).encode("utf-8")) if not isinstance(key, (int, np.integer)) else int(key)
    return np.random.default_rng(np.random.SeedSequence([int(seed), k, STAGE_AUGMENT, int(variant)]))


def _uniform(rng, lohi):
    return float(rng.uniform(lohi[0], lohi[1]))


def _loguniform(rng, lohi):
    return float(np.exp(rng.uniform(np.log(lohi[0]), np.log(lohi[1]))))


def get_params(rng, shape, n_transforms=(2, 4), transforms=None, ranges=None):
    """Draw the parameters of one variant.

    Parameters
    ----------
    rng : Generator or int seed
    shape : (rows, cols)  Image shape [px].
    n_transforms : (min, max)  How many transforms are drawn (inclusive), from :data:`TRANSFORMS`.
    transforms : sequence of str, optional  Use exactly these transforms instead of drawing.
    ranges : dict, optional  Overrides of :data:`DEFAULT_RANGES`.

    Returns
    -------
    dict  JSON-serialisable: ``shape``, ``transforms`` (canonical order), one entry per
    transform with its parameters, and ``matrix`` (3x3 affine, original -> variant pixels).
    """
    rng = as_rng(rng)
    rg = dict(DEFAULT_RANGES)
    if ranges:
        unknown = set(ranges) - set(rg)
        if unknown:
            raise ValueError(f"unknown augmentation ranges {sorted(unknown)}; known: {sorted(rg)}")
        rg.update(ranges)
    if transforms is None:
        lo, hi = (int(v) for v in n_transforms)
        if not 0 <= lo <= hi <= len(TRANSFORMS):
            raise ValueError(f"n_transforms must be (min, max) within 0..{len(TRANSFORMS)}, got {n_transforms}")
        k = int(rng.integers(lo, hi + 1))
        picked = set(TRANSFORMS[i] for i in rng.choice(len(TRANSFORMS), size=k, replace=False))
    else:
        picked = set(transforms)
        unknown = picked - set(TRANSFORMS)
        if unknown:
            raise ValueError(f"unknown transforms {sorted(unknown)}; known: {TRANSFORMS}")
    params = {"shape": [int(shape[0]), int(shape[1])], "transforms": [t for t in TRANSFORMS if t in picked]}
    for t in params["transforms"]:
        if t == "geometric":
            params[t] = {
                "angle_deg": _uniform(rng, rg["angle_deg"]),
                "scale": _uniform(rng, rg["scale"]),
                "shift_px": [_uniform(rng, rg["shift_px"]), _uniform(rng, rg["shift_px"])],
            }
        elif t == "scan_drift":
            params[t] = {"v_px_per_row": [_uniform(rng, rg["drift_px_per_row"]),
                                          _uniform(rng, rg["drift_px_per_row"])]}
        elif t == "focus_blur":
            s = _uniform(rng, rg["blur_sigma_px"])
            a = _uniform(rng, rg["astigmatism"]) * (1 if rng.random() < 0.5 else -1)
            params[t] = {"sigma_px": [s * (1 + a), s * (1 - a)]}  # (x, y)
        elif t == "resolution":
            params[t] = {"factor": _uniform(rng, rg["resolution_factor"])}
        elif t == "intensity":
            params[t] = {"gain": _uniform(rng, rg["gain"]), "offset": _uniform(rng, rg["offset"]),
                         "gamma": _loguniform(rng, rg["gamma"])}
        elif t == "noise":
            params[t] = {"counts": _loguniform(rng, rg["counts"]),
                         "read_sigma": _uniform(rng, rg["read_sigma"]),
                         "seed": int(rng.integers(0, 2**32 - 1))}
        elif t == "jpeg":
            q = rg["jpeg_quality"]
            params[t] = {"quality": int(rng.integers(int(q[0]), int(q[1]) + 1))}
    params["matrix"] = affine_matrix(params).tolist()
    return params


def identity_params(shape):
    """Parameters of the unmodified original (variant 0)."""
    return {"shape": [int(shape[0]), int(shape[1])], "transforms": [], "matrix": np.eye(3).tolist()}


def affine_matrix(params):
    """3x3 matrix mapping original pixel coordinates (x, y, 1) to the variant's."""
    rows, cols = params["shape"]
    cx, cy = (cols - 1) / 2.0, (rows - 1) / 2.0
    m = np.eye(3)
    g = params.get("geometric")
    if g:
        th = np.deg2rad(g["angle_deg"])
        s = g["scale"]
        tx, ty = g["shift_px"]
        to_c = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1.0]])
        rs = np.array([[s * np.cos(th), -s * np.sin(th), 0], [s * np.sin(th), s * np.cos(th), 0], [0, 0, 1.0]])
        back = np.array([[1, 0, cx + tx], [0, 1, cy + ty], [0, 0, 1.0]])
        m = back @ rs @ to_c @ m
    d = params.get("scan_drift")
    if d:
        vx, vy = d["v_px_per_row"]
        # pixel q (acquired at row q_y) shows specimen point p = q - v (q_y - cy)
        inv = np.array([[1, -vx, vx * cy], [0, 1 - vy, vy * cy], [0, 0, 1.0]])
        m = np.linalg.inv(inv) @ m
    return m


def _matrix(params):
    return np.asarray(params["matrix"], dtype=np.float64) if "matrix" in params else affine_matrix(params)


def _is_identity(m):
    return np.allclose(m, np.eye(3), rtol=0, atol=1e-12)


def _warp(array, m, order, cval):
    minv = np.linalg.inv(m)
    a_yx = minv[:2, :2][::-1, ::-1]
    b_yx = minv[:2, 2][::-1]
    return ndimage.affine_transform(array, a_yx, offset=b_yx, order=order, mode="constant",
                                    cval=cval, prefilter=order > 1)


def apply(image, params):
    """Apply one variant's parameters to a float image (pure: same input, same output).

    Returns
    -------
    numpy.ndarray float64 (rows, cols), non-negative.
    """
    img = np.array(image, dtype=np.float64)
    if list(img.shape) != list(params["shape"]):
        raise ValueError(f"image shape {img.shape} differs from params shape {params['shape']}")
    m = _matrix(params)
    if not _is_identity(m):
        img = _warp(img, m, order=3, cval=float(np.median(img)))
    if "focus_blur" in params:
        sx, sy = params["focus_blur"]["sigma_px"]
        img = ndimage.gaussian_filter(img, (sy, sx), mode="nearest")
    if "resolution" in params:
        f = params["resolution"]["factor"]
        # the coarse pixel integrates over its area: Gaussian anti-alias before sampling,
        # then cubic interpolation back to the original grid (grid_mode keeps the frame edges)
        aa = 0.5 * np.sqrt(max(1.0 / f**2 - 1.0, 0.0))
        small = ndimage.zoom(ndimage.gaussian_filter(img, aa, mode="nearest"), f, order=1,
                             mode="nearest", grid_mode=True)
        back = (img.shape[0] / small.shape[0], img.shape[1] / small.shape[1])
        img = ndimage.zoom(small, back, order=3, mode="nearest", grid_mode=True)
        if img.shape != tuple(params["shape"]):  # guard against rounding of the output shape
            img = img[: params["shape"][0], : params["shape"][1]]
    if "intensity" in params:
        p = params["intensity"]
        mean = float(img.mean())
        img = p["gain"] * (img - mean) + mean * (1 + p["offset"])
        img = np.clip(img, 0, None)
        top = float(img.max())
        if top > 0:
            img = top * (img / top) ** p["gamma"]
    if "noise" in params:
        p = params["noise"]
        nrng = np.random.default_rng(p["seed"])
        mean = float(img.mean())
        if mean > 0:  # counts per pixel at the mean intensity: independent of the image's scale
            scale = p["counts"] / mean
            img = nrng.poisson(np.clip(img, 0, None) * scale) / scale
            img = img + nrng.normal(0.0, p["read_sigma"] * mean, img.shape)
    if "jpeg" in params:
        lo, hi = float(img.min()), float(img.max())
        if hi > lo:
            u8 = to_uint8(img, lo, hi)
            buf = io.BytesIO()
            Image.fromarray(u8, mode="L").save(buf, format="JPEG", quality=int(params["jpeg"]["quality"]))
            buf.seek(0)
            dec = np.asarray(Image.open(buf).convert("L"), dtype=np.float64)
            img = lo + dec / 255.0 * (hi - lo)
    return np.clip(img, 0, None)


def transform_points(xy, params):
    """Map (M, 2) pixel coordinates (x, y) of the original to the variant."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    m = _matrix(params)
    return xy @ m[:2, :2].T + m[:2, 2]


def points_visible(xy, shape):
    """True where a point (pixel-centre convention) lies inside the image."""
    rows, cols = shape
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    return (xy[:, 0] >= -0.5) & (xy[:, 0] < cols - 0.5) & (xy[:, 1] >= -0.5) & (xy[:, 1] < rows - 0.5)


def warp_labels(labels, params, fill=0):
    """Warp an integer/bool label image (masks, instance maps) with nearest neighbour."""
    labels = np.asarray(labels)
    m = _matrix(params)
    if _is_identity(m):
        return labels.copy()
    dtype = labels.dtype
    work = labels.astype(np.int64) if dtype == bool else labels
    out = _warp(work, m, order=0, cval=fill)
    return out.astype(dtype)


def transform_boxes(boxes, params, min_size=2.0, min_visible=0.5):
    """Map top-left-origin boxes ``(K, 4)`` [x, y, w, h] and apply the drop rule.

    Returns
    -------
    boxes : (K', 4) float64 (continuous, top-left origin, clipped to the image)
    keep : (K,) bool  Which input boxes survive.
    """
    rows, cols = params["shape"]
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(b) == 0:
        return b.copy(), np.zeros(0, dtype=bool)
    corners = np.stack([
        np.column_stack([b[:, 0], b[:, 1]]),
        np.column_stack([b[:, 0] + b[:, 2], b[:, 1]]),
        np.column_stack([b[:, 0], b[:, 1] + b[:, 3]]),
        np.column_stack([b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]]),
    ], axis=1)  # (K, 4, 2) continuous
    mapped = transform_points(corners.reshape(-1, 2) - 0.5, params).reshape(-1, 4, 2) + 0.5
    x0, y0 = mapped[:, :, 0].min(axis=1), mapped[:, :, 1].min(axis=1)
    x1, y1 = mapped[:, :, 0].max(axis=1), mapped[:, :, 1].max(axis=1)
    full = (x1 - x0) * (y1 - y0)
    cx0, cy0 = np.clip(x0, 0, cols), np.clip(y0, 0, rows)
    cx1, cy1 = np.clip(x1, 0, cols), np.clip(y1, 0, rows)
    w, h = cx1 - cx0, cy1 - cy0
    keep = (w >= min_size) & (h >= min_size) & (w * h >= min_visible * np.maximum(full, 1e-12))
    out = np.column_stack([cx0, cy0, w, h])[keep]
    return out, keep
