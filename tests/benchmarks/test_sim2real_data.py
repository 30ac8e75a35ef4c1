"""benchmarks/sim2real_data.py: the recipe's renderer and training-set writer on tiny scenes."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

_DIR = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(_DIR))
_spec = importlib.util.spec_from_file_location("sim2real_data", _DIR / "sim2real_data.py")
data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(data)

CAL = {"detector": {"gain": 50.0, "offset": 1000.0}, "pixel_size": 0.3, "spot_sigma_median": 3.0,
       "images": {"a": {"dose": 30.0, "spot_sigma": 3.0, "spot_contrast": 0.3, "row_gain": 0.02,
                        "row_exponent": 1.0, "texture_rms": 0.05, "texture_scale": 8.0}}}


def test_deposit_conserves_weight_and_centre():
    out = data.deposit(np.array([[3.25, 4.5]]), np.array([2.0]), 8)
    assert out.sum() == pytest.approx(2.0)
    yy, xx = np.mgrid[:8, :8]
    assert (out * xx).sum() / 2 == pytest.approx(3.25) and (out * yy).sum() / 2 == pytest.approx(4.5)


def test_variants_and_points_folder(tmp_path):
    raws = data.render_all(2, 0, 0.3, 64, cache=str(tmp_path / "cache"))
    again = data.render_all(2, 0, 0.3, 64, cache=str(tmp_path / "cache"))  # read back
    for a, b in zip(raws, again):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    for variant in data.VARIANTS:
        img, rec = data.make_image(raws[0], variant, CAL, 0.3, np.random.default_rng(0))
        assert img.shape == (64, 64) and np.all(np.isfinite(img)) and rec["variant"] == variant
        if variant in ("noise", "full"):
            assert np.all(img == np.rint(img)) and img.mean() > 1000  # integer counts above the offset
    folder = data.write_points_folder(str(tmp_path / "set"), raws, "full", CAL, 0.3, seed=1)
    meta = json.loads((tmp_path / "set" / "dataset.json").read_text())
    assert meta["pixel_size"] == 0.3 and len(meta["records"]) == 2
    lines = (tmp_path / "set" / "labels" / "gen0000.csv").read_text().splitlines()
    assert lines[0] == ",X,Y,class" and len(lines) - 1 == len(raws[0][2])
    assert folder == str(tmp_path / "set")
