"""Augmentations: annotations follow the image, parameters are drawn then applied purely."""

import json

import numpy as np
import pytest

from synthstem.noise import augment as aug

SHAPE = (96, 112)


def lattice(spacing=12.0, jitter=0.3, seed=0):
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(6, SHAPE[1] - 4, spacing), np.arange(6, SHAPE[0] - 4, spacing))
    xy = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-jitter, jitter, (gx.size, 2))
    return xy


def gaussian_image(xy, sigma=1.6, background=0.1):
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    img = np.full(SHAPE, background)
    for x, y in xy:
        img += np.exp(-((c - x) ** 2 + (r - y) ** 2) / (2 * sigma**2))
    return img


def local_max_offsets(image, pts, margin=8, half=3):
    """Distance from each point (well inside) to the brightest pixel of its (2h+1)^2 window."""
    out = []
    for x, y in pts:
        i, j = int(round(x)), int(round(y))
        if not (margin <= i < SHAPE[1] - margin and margin <= j < SHAPE[0] - margin):
            continue
        win = image[j - half:j + half + 1, i - half:i + half + 1]
        dj, di = np.unravel_index(np.argmax(win), win.shape)
        out.append(np.hypot(i - half + di - x, j - half + dj - y))
    return np.array(out)


@pytest.mark.parametrize("seed", range(6))
def test_transformed_coordinates_stay_on_columns(seed):
    xy = lattice(seed=seed)
    img = gaussian_image(xy)
    ranges = {"counts": (2e4, 4e4), "jpeg_quality": (85, 95), "gamma": (0.9, 1.1)}
    # all seven transforms at once, then the default random draw of 2-4
    for transforms in (aug.TRANSFORMS, None):
        params = aug.get_params(seed, SHAPE, transforms=transforms, ranges=ranges)
        out = aug.apply(img, params)
        moved = aug.transform_points(xy, params)
        offsets = local_max_offsets(out, moved)
        assert len(offsets) > 20
        assert offsets.max() <= 1.0, (params["transforms"], offsets.max())


def test_geometry_is_really_applied():
    xy = lattice()
    img = gaussian_image(xy)
    params = aug.get_params(0, SHAPE, transforms=["geometric"],
                            ranges={"shift_px": (5.0, 5.0), "angle_deg": (2.0, 2.0)})
    out = aug.apply(img, params)
    assert local_max_offsets(out, xy).max() > 2  # the old positions are no longer peaks
    assert local_max_offsets(out, aug.transform_points(xy, params)).max() <= 1.0


def test_matrix_composition_known_values():
    p = aug.get_params(0, SHAPE, transforms=["geometric"],
                       ranges={"angle_deg": (90.0, 90.0), "scale": (1.0, 1.0), "shift_px": (0.0, 0.0)})
    c = np.array([(SHAPE[1] - 1) / 2, (SHAPE[0] - 1) / 2])
    assert np.allclose(aug.transform_points(c, p), c)
    assert np.allclose(aug.transform_points(c + [1, 0], p), c + [0, 1])
    d = aug.get_params(0, SHAPE, transforms=["scan_drift"], ranges={"drift_px_per_row": (0.01, 0.01)})
    # a point on the middle row does not move; rows further down move by ~v per row
    assert np.allclose(aug.transform_points(c, d), c)
    below = aug.transform_points(c + [0, 40], d)[0]
    assert below[0] - c[0] == pytest.approx(0.4, rel=0.02)
    assert below[1] - c[1] == pytest.approx(40 / 0.99)


def test_masks_warped_with_nearest_neighbour_follow_points():
    from synthstem.labels.masks import instance_map

    xy = lattice()
    inst = instance_map(xy, SHAPE, 3.0)
    params = aug.get_params(3, SHAPE, transforms=["geometric", "scan_drift"])
    warped = aug.warp_labels(inst, params, fill=-1)
    assert warped.dtype == inst.dtype and set(np.unique(warped)) <= set(np.unique(inst))
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    checked = 0
    for i in range(len(xy)):
        before, after = inst == i, warped == i
        inside = 6 < c[after].mean() < SHAPE[1] - 6 and 6 < r[after].mean() < SHAPE[0] - 6 if after.any() else False
        if inside and before.sum() == 29:  # whole discs only
            centroid = aug.transform_points([c[before].mean(), r[before].mean()], params)[0]
            assert np.hypot(c[after].mean() - centroid[0], r[after].mean() - centroid[1]) < 0.5
            det = abs(np.linalg.det(np.asarray(params["matrix"])[:2, :2]))
            assert abs(int(after.sum()) - 29 * det) <= 8
            checked += 1
    assert checked > 10
    bool_mask = aug.warp_labels(inst >= 0, params)
    assert bool_mask.dtype == bool and np.array_equal(bool_mask, warped >= 0)


def test_peak_map_rerasterised_from_transformed_points():
    xy = np.array([[20.0, 30.0], [60.0, 50.0], [110.0, 90.0]])
    pm = np.zeros(SHAPE, dtype=bool)
    pm[xy[:, 1].astype(int), xy[:, 0].astype(int)] = True  # (x, y) -> [row, col]
    params = aug.get_params(1, SHAPE, transforms=["geometric"],
                            ranges={"shift_px": (4.0, 4.0), "angle_deg": (0.0, 0.0), "scale": (1.0, 1.0)})
    out = aug.transform_peak_map(pm, params)
    assert out.sum() == 2  # the third one leaves the image
    assert out[34, 24] and out[54, 64]


def test_box_drop_rule():
    params = aug.get_params(0, SHAPE, transforms=["geometric"],
                            ranges={"shift_px": (10.0, 10.0), "angle_deg": (0.0, 0.0), "scale": (1.0, 1.0)})
    boxes = np.array([[40.0, 40.0, 10.0, 8.0],   # stays, moved by (10, 10)
                      [98.0, 40.0, 10.0, 8.0],   # 4 of 10 px stay in view: < 50 % -> dropped
                      [90.0, 40.0, 10.0, 8.0],   # 12 of 10... fully clipped to 2 px? see below
                      [60.0, 60.0, 1.0, 1.0]])   # thinner than min_size -> dropped
    out, keep = aug.transform_boxes(boxes, params)
    assert keep.tolist() == [True, False, True, False]
    assert out[0].tolist() == pytest.approx([50.0, 50.0, 10.0, 8.0])
    assert out[1].tolist() == pytest.approx([100.0, 50.0, 10.0, 8.0])  # 100..110 < 112 stays
    rotated = aug.get_params(0, SHAPE, transforms=["geometric"],
                             ranges={"angle_deg": (45.0, 45.0), "scale": (1.0, 1.0), "shift_px": (0.0, 0.0)})
    out, keep = aug.transform_boxes([[50.0, 40.0, 10.0, 10.0]], rotated)
    assert out[0, 2] == pytest.approx(10 * np.sqrt(2)) and keep.all()


def test_params_deterministic_json_and_two_to_four_transforms():
    seen = set()
    for v in range(1, 44):
        p1 = aug.get_params(aug.variant_rng(0, "x.png", v), SHAPE)
        p2 = aug.get_params(aug.variant_rng(0, "x.png", v), SHAPE)
        assert p1 == p2
        assert 2 <= len(p1["transforms"]) <= 4
        json.loads(json.dumps(p1))
        seen.update(p1["transforms"])
        img = gaussian_image(lattice())
        if v < 4:
            assert np.array_equal(aug.apply(img, p1), aug.apply(img, p2))
    assert seen == set(aug.TRANSFORMS)
    assert aug.get_params(aug.variant_rng(0, "x.png", 1), SHAPE) != aug.get_params(aug.variant_rng(1, "x.png", 1), SHAPE)
    assert aug.get_params(aug.variant_rng(0, "x.png", 1), SHAPE) != aug.get_params(aug.variant_rng(0, "y.png", 1), SHAPE)


def test_identity_and_photometric_transforms_keep_geometry():
    img = gaussian_image(lattice())
    assert np.array_equal(aug.apply(img, aug.identity_params(SHAPE)), img)
    for t in ("focus_blur", "resolution", "intensity", "noise", "jpeg"):
        p = aug.get_params(5, SHAPE, transforms=[t])
        assert np.allclose(p["matrix"], np.eye(3))
        out = aug.apply(img, p)
        assert out.shape == SHAPE and out.min() >= 0 and not np.array_equal(out, img)


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="unknown transforms"):
        aug.get_params(0, SHAPE, transforms=["flip"])
    with pytest.raises(ValueError, match="unknown augmentation ranges"):
        aug.get_params(0, SHAPE, ranges={"angle": (0, 1)})
    with pytest.raises(ValueError, match="n_transforms"):
        aug.get_params(0, SHAPE, n_transforms=(3, 9))


def test_noise_level_independent_of_image_scale():
    img = gaussian_image(lattice())
    p = aug.get_params(2, SHAPE, transforms=["noise"], ranges={"read_sigma": (0.0, 0.0)})
    a = aug.apply(img, p)
    b = aug.apply(img * 1e-3, p)  # e.g. 'raw' (fraction of the beam) instead of mean-1 images
    assert np.allclose(b * 1e3, a)
    rel = np.std(a - img) / img.mean()
    assert 0.2 / np.sqrt(p["noise"]["counts"]) < rel < 5 / np.sqrt(p["noise"]["counts"])
