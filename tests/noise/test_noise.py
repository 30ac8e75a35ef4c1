"""The atomagined noise model: invariants, reproducibility, validation."""

import numpy as np
import pytest
from scipy import ndimage

from synthstem import add_stem_noise
from synthstem.noise.stem_noise import (
    NoiseParams,
    apply_stem_noise,
    draw_noise_params,
    shift_rows,
)


from naive import splat_rows as shift_rows_naive  # noqa: E402  (the kernel's slow twin)


@pytest.fixture
def image():
    rng = np.random.default_rng(42)
    y, x = np.mgrid[0:48, 0:64]
    img = 0.002 + 0.05 * np.exp(-(((x % 8) - 4) ** 2 + ((y % 8) - 4) ** 2) / 3.0)
    return img * (1 + 0.01 * rng.random(img.shape))


def test_same_seed_same_output(image):
    a = add_stem_noise(image, 0.8, 400, 0.75, 2, rng=7)
    b = add_stem_noise(image, 0.8, 400, 0.75, 2, rng=np.random.default_rng(7))
    c = add_stem_noise(image, 0.8, 400, 0.75, 2, rng=8)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_params_then_pure_apply(image):
    p = draw_noise_params(image.shape, 0.75, 3)
    a = apply_stem_noise(image, 0.8, 400, 2, p)
    b = apply_stem_noise(image, 0.8, 400, 2, NoiseParams.from_dict(p.to_dict()))
    assert np.array_equal(a, b)
    assert np.array_equal(a, add_stem_noise(image, 0.8, 400, 0.75, 2, rng=3))
    assert p.shifts.shape == (image.shape[0],)
    assert 0.4 < p.shifts.std() < 1.1


def test_infinite_counts_no_blur_no_scan_returns_normalised_input(image):
    out = add_stem_noise(image, 0, np.inf, 0, 0, rng=0)
    np.testing.assert_allclose(out, image / image.mean(), rtol=1e-12)
    big = add_stem_noise(image, 0, 1e12, 0, 0, rng=0)
    np.testing.assert_allclose(big, image / image.mean(), rtol=1e-4)


def test_output_quantised_in_steps_of_one_over_counts(image):
    out = add_stem_noise(image, 0.8, 400, 0.75, 2, rng=1)
    k = out * 400
    np.testing.assert_allclose(k, np.round(k), atol=1e-9)
    assert out.min() >= 0
    assert abs(out.mean() - 1) < 0.01


@pytest.mark.parametrize("counts", [40, 400])
def test_poisson_variance_is_mean_over_counts(counts):
    img = np.ones((128, 128))
    out = add_stem_noise(img, 0, counts, 0, 0, rng=5)
    assert abs(out.mean() - 1) < 4 * np.sqrt(1 / counts / img.size)
    # sampling error of a variance over 16384 pixels is about 1.1 %
    assert out.var() == pytest.approx(1 / counts, rel=0.05)


def test_scan_zero_leaves_rows_unshifted(image):
    p = draw_noise_params(image.shape, 0.0, 9)
    assert np.all(p.shifts == 0)
    out = add_stem_noise(image, 1.0, np.inf, 0, 2, rng=9)
    ref = ndimage.gaussian_filter((image / image.mean() + 2) / 3, 1.0)
    np.testing.assert_allclose(out, ref / ref.mean(), rtol=1e-12)


def test_shift_rows_matches_naive_twin():
    rng = np.random.default_rng(0)
    img = rng.random((20, 13))
    shifts = rng.normal(0, 3, 20)
    shifts[:3] = [0.0, 30.0, -30.0]
    np.testing.assert_allclose(shift_rows(img, shifts), shift_rows_naive(img, shifts), rtol=1e-13)


def test_shift_rows_conserves_rows_and_leaves_zeros_at_trailing_edge():
    img = np.arange(1, 11, dtype=float)[None, :].repeat(2, axis=0)
    out = shift_rows(img, np.array([2.0, -1.5]))
    np.testing.assert_allclose(out.sum(axis=1), img.sum(axis=1))
    # +2: two empty pixels on the left, the last three values piled on the right edge
    np.testing.assert_allclose(out[0], [0, 0, 1, 2, 3, 4, 5, 6, 7, 8 + 9 + 10])
    # -1.5: pile at the left edge, the last pixel empty, the one before half filled
    assert out[1, -1] == 0
    assert out[1, -2] == pytest.approx(0.5 * 10)
    assert out[1, 0] == pytest.approx(1 + 2 + 0.5 * 3)


def test_background_raises_the_floor():
    img = np.zeros((32, 32))
    img[::4, ::4] = 1.0
    for bg in (2, 6, 10):
        out = add_stem_noise(img, 0, np.inf, 0, bg, rng=0)
        assert out.min() == pytest.approx(bg / (1 + bg))
        assert out.mean() == pytest.approx(1.0)
        # contrast (max - min) shrinks as 1 / (1 + bg)
        assert out.max() - out.min() == pytest.approx((img.max() / img.mean()) / (1 + bg))


def test_blur_is_gaussian_and_renormalised(image):
    out = add_stem_noise(image, 1.8, np.inf, 0, 0, rng=0)
    ref = ndimage.gaussian_filter(image / image.mean(), 1.8)
    np.testing.assert_allclose(out, ref / ref.mean(), rtol=1e-12)
    assert out.std() < (image / image.mean()).std()


def test_non_square_images(image):
    out = add_stem_noise(image, 0.8, 400, 0.75, 2, rng=0)
    assert out.shape == (48, 64)
    assert out.dtype == np.float64
    out = add_stem_noise(image.T, 0.8, 400, 0.75, 2, rng=0)
    assert out.shape == (64, 48)


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(counts=-1), "counts"),
        (dict(counts=0), "counts"),
        (dict(counts=float("nan")), "counts"),
        (dict(blur=-0.5), "blur"),
        (dict(blur=float("nan")), "blur"),
        (dict(scan=-1), "scan"),
        (dict(background=-2), "background"),
        (dict(counts="many"), "counts"),
    ],
)
def test_bad_parameters_raise(image, kwargs, word):
    args = dict(blur=0.8, counts=400, scan=0.75, background=2, rng=0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=word):
        add_stem_noise(image, **args)


def test_bad_images_raise(image):
    bad = image.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        add_stem_noise(bad, 0.8, 400, 0.75, 2, rng=0)
    with pytest.raises(ValueError, match="all-zero"):
        add_stem_noise(np.zeros((8, 8)), 0.8, 400, 0.75, 2, rng=0)
    with pytest.raises(ValueError, match="2-D"):
        add_stem_noise(np.ones(16), 0.8, 400, 0.75, 2, rng=0)
    with pytest.raises(ValueError, match="rng"):
        add_stem_noise(image, 0.8, 400, 0.75, 2, rng="seed")
