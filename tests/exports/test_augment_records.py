"""Augmented variants of export records: every annotation follows the image."""

import numpy as np
import pytest

from synthstem.exports import transforms as tf
from synthstem.exports.augment import augment_variants, transform_peak_map
from synthstem.exports.records import Annotated

SHAPE = (96, 112)


def record():
    xy = np.array([[20.0, 30.0], [60.0, 50.0], [90.0, 70.0]])
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    img = 0.1 + sum(np.exp(-((c - x) ** 2 + (r - y) ** 2) / (2 * 1.5**2)) for x, y in xy)
    pm = np.zeros(SHAPE, dtype=bool)
    pm[xy[:, 1].astype(int), xy[:, 0].astype(int)] = True
    return Annotated(file_name="000001.000001-stem00-clean.png", image=img, xy=xy, labels=["Sr", "O", "Ti"],
                     defect_boxes=np.array([[50.0, 40.0, 10.0, 8.0]]), radius=3.0, sigma=2.0,
                     peak_map=pm, png_range=(0.1, 1.1), meta={"item": "000001.000001", "variant": 0})


def test_peak_map_rerasterised_from_transformed_points():
    xy = np.array([[20.0, 30.0], [60.0, 50.0], [110.0, 90.0]])
    pm = np.zeros(SHAPE, dtype=bool)
    pm[xy[:, 1].astype(int), xy[:, 0].astype(int)] = True  # (x, y) -> [row, col]
    params = tf.get_params(1, SHAPE, transforms=["geometric"],
                           ranges={"shift_px": (4.0, 4.0), "angle_deg": (0.0, 0.0), "scale": (1.0, 1.0)})
    out = transform_peak_map(pm, params)
    assert out.sum() == 2  # the third one leaves the image
    assert out[34, 24] and out[54, 64]


def test_variant_moves_every_annotation_and_scales_radii():
    rec = record()
    ranges = {"scale": (1.04, 1.04), "angle_deg": (0.0, 0.0), "shift_px": (2.0, 2.0)}
    variants = list(augment_variants(rec, 2, seed=7, transforms=["geometric"], ranges=ranges))
    assert [v for v, _, _ in variants] == [0, 1, 2]
    v0 = variants[0][2]
    assert v0.file_name.endswith("-a00.png") and np.array_equal(v0.image, rec.image)
    _, params, var = variants[1]
    assert var.file_name == "000001.000001-stem00-clean-a01.png"
    assert params["seed"] == [7, rec.file_name, 1] and var.meta["base"] == rec.file_name
    # centre (55.5, 47.5): x' = 55.5 + 1.04 (x - 55.5) + 2
    np.testing.assert_allclose(var.xy, 1.04 * (rec.xy - [55.5, 47.5]) + [57.5, 49.5], atol=1e-12)
    assert var.radius == pytest.approx(3.12) and var.sigma == pytest.approx(2.08)
    assert var.png_range == rec.png_range  # the base image's stretch
    rows, cols = np.nonzero(var.peak_map)
    np.testing.assert_array_equal(sorted(zip(cols, rows)), sorted(map(tuple, np.rint(var.xy).astype(int))))
    # the box's corners map with the same matrix (continuous top-left coordinates)
    x0, y0 = 1.04 * (50.0 - 0.5 - 55.5) + 57.5 + 0.5, 1.04 * (40.0 - 0.5 - 47.5) + 49.5 + 0.5
    np.testing.assert_allclose(var.defect_boxes, [[x0, y0, 10.4, 8.32]], atol=1e-9)
    # the image's peaks sit on the moved columns
    for x, y in var.xy:
        i, j = int(round(x)), int(round(y))
        win = var.image[j - 2:j + 3, i - 2:i + 3]
        dj, di = np.unravel_index(np.argmax(win), win.shape)
        assert np.hypot(i - 2 + di - x, j - 2 + dj - y) <= 1.0
    # a variant is made alone from (seed, file name, variant)
    again = list(augment_variants(rec, 1, seed=7, transforms=["geometric"], ranges=ranges))[1]
    assert again[1] == params and np.array_equal(again[2].image, var.image)
    with pytest.raises(ValueError, match="variants"):
        list(augment_variants(rec, -1))
