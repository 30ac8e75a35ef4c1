"""Augmentation transforms: annotations follow the image, parameters are drawn then applied
purely, and each photometric transform does what its parameters say, by the right amount."""

import io
import json

import numpy as np
import pytest

from PIL import Image

from synthstem.exports import transforms as aug
from synthstem.io.png import to_uint8

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


def test_identity_is_exact_and_photometric_transforms_keep_geometry():
    img = gaussian_image(lattice())
    assert np.array_equal(aug.apply(img, aug.identity_params(SHAPE)), img)
    for t in ("focus_blur", "resolution", "intensity", "noise", "jpeg"):
        p = aug.get_params(5, SHAPE, transforms=[t])
        assert np.allclose(p["matrix"], np.eye(3))


def test_focus_blur_spreads_a_point_by_the_drawn_sigmas():
    # a point blurred by a Gaussian has variance sigma_x**2 along x and sigma_y**2 along y
    img = np.zeros(SHAPE)
    img[48, 56] = 1.0
    p = aug.get_params(0, SHAPE, transforms=["focus_blur"],
                       ranges={"blur_sigma_px": (1.2, 1.2), "astigmatism": (0.25, 0.25)})
    sx, sy = p["focus_blur"]["sigma_px"]
    assert sorted([sx, sy]) == pytest.approx([0.9, 1.5])
    out = aug.apply(img, p)
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    assert out.sum() == pytest.approx(1.0, rel=1e-9)
    assert (out * (c - 56) ** 2).sum() == pytest.approx(sx**2, rel=1e-2)
    assert (out * (r - 48) ** 2).sum() == pytest.approx(sy**2, rel=1e-2)


def test_intensity_is_gain_offset_then_gamma():
    img = gaussian_image(lattice())
    p = aug.get_params(0, SHAPE, transforms=["intensity"],
                       ranges={"gain": (1.2, 1.2), "offset": (0.05, 0.05), "gamma": (0.8, 0.8)})
    q = p["intensity"]
    assert [q["gain"], q["offset"], q["gamma"]] == pytest.approx([1.2, 0.05, 0.8])
    mean = img.mean()
    y = np.clip(1.2 * (img - mean) + mean * 1.05, 0, None)
    np.testing.assert_allclose(aug.apply(img, p), y.max() * (y / y.max()) ** 0.8, rtol=1e-12)


def test_noise_is_poisson_at_the_drawn_counts_plus_read_noise():
    img = gaussian_image(lattice())
    p = aug.get_params(2, SHAPE, transforms=["noise"], ranges={"counts": (50.0, 50.0), "read_sigma": (0.0, 0.0)})
    scale = p["noise"]["counts"] / img.mean()  # counts per unit of intensity
    k = aug.apply(img, p) * scale
    np.testing.assert_allclose(k, np.rint(k), atol=1e-9)  # whole counts
    # Poisson: the variance of the counts equals their mean (10752 pixels: +-2 % at 1 sigma)
    assert np.var(k - img * scale) / np.mean(img * scale) == pytest.approx(1.0, abs=0.06)
    p = aug.get_params(2, SHAPE, transforms=["noise"], ranges={"counts": (1e12, 1e12), "read_sigma": (0.02, 0.02)})
    assert np.std(aug.apply(img, p) - img) / img.mean() == pytest.approx(0.02, rel=0.05)


def test_jpeg_is_the_pillow_round_trip_of_the_8_bit_image():
    img = gaussian_image(lattice())
    lo, hi = img.min(), img.max()
    errors = []
    for quality in (25, 95):
        p = aug.get_params(0, SHAPE, transforms=["jpeg"], ranges={"jpeg_quality": (quality, quality)})
        assert p["jpeg"]["quality"] == quality
        out = aug.apply(img, p)
        buf = io.BytesIO()
        Image.fromarray(to_uint8(img, lo, hi), mode="L").save(buf, format="JPEG", quality=quality)
        decoded = np.asarray(Image.open(buf).convert("L"), dtype=np.float64)
        np.testing.assert_allclose(out, lo + decoded / 255.0 * (hi - lo), rtol=1e-12)
        errors.append(np.sqrt(np.mean((out - img) ** 2)) / (hi - lo))
    assert errors[1] < 0.01 < errors[0]  # quality 95 within 1 % of the range, 25 worse


def test_resolution_keeps_coarse_detail_and_removes_what_the_coarse_grid_cannot_hold():
    # factor 0.4: the coarse pixel is 2.5 px, its Nyquist period 5 px
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    p = aug.get_params(0, SHAPE, transforms=["resolution"], ranges={"resolution_factor": (0.4, 0.4)})
    inner = (slice(10, -10), slice(16, -16))  # 80 columns: whole periods of 16 and 4 px
    for period, low, high in ((16.0, 0.8, 0.95), (4.0, 0.0, 0.05)):
        wave = np.cos(2 * np.pi * c / period)
        out = aug.apply(1 + 0.5 * wave, p)
        amplitude = 2 * np.mean((out[inner] - out[inner].mean()) * wave[inner]) / 0.5
        assert low < amplitude < high, (period, amplitude)


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
