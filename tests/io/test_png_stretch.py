"""The one 8-bit contrast stretcher (io.png.to_uint8) and the array PNG writer."""

import io

import numpy as np
import pytest
from PIL import Image

from synthstem.io.png import array_png_bytes, display_range, stretch, to_uint8


def test_to_uint8_maps_lo_hi_linearly_rounds_half_to_even_and_clips():
    v = np.array([-1.0, 0.0, 0.5, 1.5, 2.5, 100.25, 127.5, 255.0, 300.0])  # exact in float64
    # halves to even (0.5 -> 0, 1.5 -> 2, 2.5 -> 2, 127.5 -> 128), outside [lo, hi] clipped
    assert to_uint8(v, 0.0, 255.0).tolist() == [0, 0, 0, 2, 2, 100, 128, 255, 255]
    assert to_uint8(2 * v + 4, 4.0, 514.0).tolist() == [0, 0, 0, 2, 2, 100, 128, 255, 255]
    assert to_uint8(np.array([3.0, 5.0, 7.0])).tolist() == [0, 128, 255]  # min, max by default
    assert to_uint8(np.full((2, 2), 3.0)).tolist() == [[0, 0], [0, 0]]


def test_stretch_is_to_uint8_between_the_percentiles():
    img = np.random.default_rng(1).random((40, 50))
    img[3, 4] = 100.0  # one hot pixel does not darken the image
    lo, hi = display_range(img)
    assert (lo, hi) == (pytest.approx(np.percentile(img, 0.01)), pytest.approx(np.percentile(img, 99.0)))
    assert hi < 1.0
    np.testing.assert_array_equal(stretch(img), to_uint8(img, lo, hi))
    flat = np.ones((20, 20))
    flat[0, 0] = 2.0  # percentiles equal: falls back to min and max
    assert display_range(flat) == (1.0, 2.0)


@pytest.mark.parametrize("array, mode", [
    (np.arange(12, dtype=np.uint8).reshape(3, 4), "L"),
    (np.arange(12, dtype=np.uint16).reshape(3, 4) * 1000, "I;16"),
    (np.arange(36, dtype=np.uint8).reshape(3, 4, 3), "RGB"),
])
def test_array_png_round_trips(array, mode):
    with Image.open(io.BytesIO(array_png_bytes(array))) as im:
        assert im.mode == mode
        np.testing.assert_array_equal(np.asarray(im), array)


def test_array_png_refuses_other_arrays():
    with pytest.raises(ValueError, match="2-D uint8/uint16"):
        array_png_bytes(np.zeros((3, 4), dtype=np.float32))
