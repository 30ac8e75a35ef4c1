"""Peak maps (labels.peaks), PNG previews and key.csv."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage as ndi

from synthstem.io.keycsv import FIELDS, read_key_csv, write_key_csv
from synthstem.io.png import crop, stretch, to_png_array, write_png

REFERENCE_PNG = Path(__file__).resolve().parents[1] / "fixtures" / "atomagined_052227.000001-stem00-clean.png"
from synthstem.labels.peaks import compare_maps, find_peaks, peak_map


def _gaussians(xy, amp, n=64, sigma=1.5):
    y, x = np.mgrid[:n, :n]
    img = np.full((n, n), 1e-4)
    for (cx, cy), a in zip(xy, amp):
        img += a * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma**2))
    return img


def _naive_peak_map(raw, xy, radius, contrast, window):
    """Slow, obviously-correct twin of peak_map (explicit loops)."""
    ny, nx = raw.shape
    cols = np.unique(np.asarray(xy, float), axis=0)
    best = {}
    h = window // 2
    for j in range(ny):
        for i in range(nx):
            nb = raw[max(j - 1, 0):j + 2, max(i - 1, 0):i + 2]
            if raw[j, i] < nb.max() or raw[j, i] <= 0:
                continue
            # minimum over the window with edge replication == clipped window
            low = raw[max(j - h, 0):j + h + 1, max(i - h, 0):i + h + 1].min()
            if (raw[j, i] - low) / raw[j, i] < contrast:
                continue
            d = np.hypot(cols[:, 0] - i, cols[:, 1] - j)
            k = int(np.argmin(d))
            if d[k] > radius:
                continue
            key = (-raw[j, i], d[k], j, i)
            if k not in best or key < best[k]:
                best[k] = key
    out = np.zeros_like(raw, dtype=bool)
    for _, _, j, i in best.values():
        out[j, i] = True
    return out


def test_one_peak_per_resolved_visible_column():
    xy = np.array([[10.2, 10.4], [30.0, 10.0], [50.0, 50.0], [20.0, 40.0], [21.2, 40.0]])
    # columns 3 and 4 are 1.2 px apart: unresolved -> one peak between them
    img = _gaussians(xy, [1.0, 0.5, 0.8, 1.0, 1.0])
    pm = peak_map(img, np.repeat(xy, 3, axis=0))  # repeated atoms of a column are fine
    assert pm.dtype == bool and pm.shape == img.shape
    ys, xs = np.nonzero(pm)
    assert len(xs) == 4
    assert pm[10, 10] and pm[10, 30] and pm[50, 50]
    assert np.all(ndi.maximum_filter(img, 3, mode="nearest")[pm] == img[pm])


def test_faint_or_far_columns_are_not_flagged():
    xy = np.array([[16.0, 16.0], [40.0, 40.0]])
    img = _gaussians(xy, [1.0, 1.0])
    img += 0.05  # flat background lowers the relative contrast of every peak
    assert peak_map(img, xy, contrast=0.3).sum() == 2
    assert peak_map(img, xy, contrast=0.99).sum() == 0
    # a column with no local maximum near it (projected 5 px from the only bump)
    assert peak_map(_gaussians(xy[:1], [1.0]), [[21.0, 16.0]]).sum() == 0


def test_peak_map_matches_naive_twin():
    rng = np.random.default_rng(3)
    xy = rng.random((40, 2)) * 60 + 2
    img = _gaussians(xy, rng.random(40) + 0.1) + rng.random((64, 64)) * 0.01
    for radius, contrast, window in [(2.5, 0.3, 7), (1.5, 0.0, 3), (3.0, 0.5, 9)]:
        fast = peak_map(img, xy, radius, contrast, window)
        np.testing.assert_array_equal(fast, _naive_peak_map(img, xy, radius, contrast, window))
    peaks, column = find_peaks(img, xy)
    assert len(set(column.tolist())) == len(column)


def test_peak_parameters_are_checked():
    img = np.ones((8, 8))
    with pytest.raises(ValueError, match="radius"):
        peak_map(img, [[1, 1]], radius=0)
    with pytest.raises(ValueError, match="window"):
        peak_map(img, [[1, 1]], window=4)
    with pytest.raises(ValueError, match="xy"):
        peak_map(img, [1, 2, 3])


def test_compare_maps():
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    a[2, 2] = a[5, 5] = True
    b[2, 3] = b[8, 8] = True
    c = compare_maps(a, b, tolerance=1.5)
    assert c["n_matched"] == 1 and c["precision"] == 0.5 and c["recall"] == 0.5


def test_png_crop_stretch(tmp_path):
    img = np.random.default_rng(0).random((256, 256))
    img[100, 100] = 50.0  # a hot pixel saturates instead of darkening everything
    arr = to_png_array(img)
    assert arr.shape == (250, 250) and arr.dtype == np.uint8
    assert arr.max() == 255 and arr.min() == 0
    np.testing.assert_array_equal(crop(img), img[3:253, 3:253])
    assert (arr == 255).mean() == pytest.approx(0.01, abs=0.002)  # top 1 % saturated
    path = write_png(tmp_path / "x-raw.png", img)
    with Image.open(path) as im:  # RGBA, equal channels, opaque: as the reference PNGs
        assert im.mode == "RGBA" and im.size == (250, 250)
        rgba = np.asarray(im)
        for c in range(3):
            np.testing.assert_array_equal(rgba[..., c], arr)
        assert (rgba[..., 3] == 255).all()
        np.testing.assert_array_equal(np.asarray(im.convert("L")), arr)
    import imageio.v2 as imageio

    np.testing.assert_array_equal(imageio.imread(path)[..., 0], arr)  # reference-style reader
    # same layout as a reference atomagined PNG (committed fixture)
    ours, theirs = imageio.imread(path), imageio.imread(REFERENCE_PNG)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    with Image.open(REFERENCE_PNG) as ref:
        assert ref.mode == "RGBA"
    assert stretch(np.ones((5, 5))).max() == 0


def test_key_csv_round_trip(tmp_path):
    rows = [{"item": "000002.000001", "subset": "items", "structure_id": 2, "prototype": "fcc",
             "formula": "Cu", "spacegroup_symbol": "Fm-3m", "spacegroup_number": 225,
             "uvw": "(0.0, 0.0, 1.0)", "hkl": "(0.0, 0.0, 13.0682)", "hdf5": "items/000002.000001.h5",
             "png": ["items/a.png", "items/b.png"], "source": "fcc/Cu", "citation": 'J. "X", 1999',
             "role": "general", "twin": ""},
            {"item": "000001.000001", "subset": "items", "structure_id": 1, "formula": "'Sr Ti O3'",
             "uvw": "(0.0, 0.0, 1.0)", "hdf5": "items/000001.000001.h5", "png": []}]
    write_key_csv(tmp_path / "key.csv", rows)
    back = read_key_csv(tmp_path / "key.csv")
    assert [r["item"] for r in back] == ["000001.000001", "000002.000001"]  # sorted
    assert back[1]["png"] == ["items/a.png", "items/b.png"] and back[1]["citation"] == 'J. "X", 1999'
    assert back[0]["formula"] == "'Sr Ti O3'" and list(back[0]) == FIELDS
