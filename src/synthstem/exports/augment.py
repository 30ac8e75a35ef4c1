"""Augmented variants of export records: the image and every annotation transformed alike.

Variant 0 is the original; variant ``v`` >= 1 draws its transforms from
:func:`synthstem.exports.transforms.variant_rng` (seed, base file name, v), so any variant
can be made alone. Coordinates and defect boxes are mapped with the variant's affine
matrix, the column instance map is warped with nearest neighbour, peak maps are
re-rasterised from the mapped peaks, the disc radius and heatmap sigma grow with the
magnification.
"""

from dataclasses import replace

import numpy as np

from ..labels.masks import rasterise_points
from . import transforms as tf


def transform_peak_map(peak_map, params):
    """Peak map of the variant: True pixels mapped as points and re-rasterised."""
    peak_map = np.asarray(peak_map, dtype=bool)
    rows, cols = np.nonzero(peak_map)
    pts = tf.transform_points(np.column_stack([cols, rows]), params)
    return rasterise_points(pts, peak_map.shape)


def augment_record(record, params, variant, min_box_size=2.0, min_box_visible=0.5):
    """The record of one augmented variant (image and every annotation transformed)."""
    image = tf.apply(record.image, params)
    xy = tf.transform_points(record.xy, params)
    boxes, _ = tf.transform_boxes(record.defect_boxes, params, min_size=min_box_size,
                                  min_visible=min_box_visible)
    m = np.asarray(params["matrix"])
    scale = float(np.sqrt(abs(np.linalg.det(m[:2, :2]))))
    meta = dict(record.meta, variant=int(variant), base=record.file_name)
    return replace(
        record,
        file_name=f"{record.stem}-a{variant:02d}.png", image=image, xy=xy, defect_boxes=boxes,
        radius=record.radius * scale, sigma=record.sigma * scale,
        peak_map=None if record.peak_map is None else transform_peak_map(record.peak_map, params),
        inst_map=tf.warp_labels(record.instances_map(), params, fill=-1),
        visible=tf.points_visible(xy, image.shape), meta=meta,
    )


def augment_variants(record, variants, seed=0, n_transforms=(2, 4), transforms=None, ranges=None,
                     min_box_size=2.0, min_box_visible=0.5):
    """Yield ``(variant, params, record)`` for the original (variant 0) and ``variants`` variants.

    ``params`` are JSON-serialisable (with ``variant`` and ``seed`` = [seed, base file name,
    variant]); the augmented record keeps the base image's 8-bit display range, so
    intensity changes show in its PNG.
    """
    if int(variants) < 0:
        raise ValueError(f"variants must be >= 0, got {variants}")
    shape = record.image.shape
    for v in range(int(variants) + 1):
        if v == 0:
            params = tf.identity_params(shape)
        else:
            params = tf.get_params(tf.variant_rng(seed, record.file_name, v), shape,
                                   n_transforms=n_transforms, transforms=transforms, ranges=ranges)
        params["variant"] = v
        params["seed"] = [int(seed), record.file_name, v]
        yield v, params, augment_record(record, params, v, min_box_size, min_box_visible)
