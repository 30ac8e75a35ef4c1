"""Instrument extras (noise/instrument.py and their Condition fields) against their definitions."""

import numpy as np
import pytest

from synthstem.noise import instrument
from synthstem.noise.conditions import CONDITIONS, Condition, ConditionParams, condition_from_dict


def test_detector_variance_is_gain_times_mean_above_offset():
    c = Condition("det", counts=50.0, quantise=True, detector_offset=1.7e5, detector_gain=1.0e4)
    out = c.apply(np.ones((256, 256)), rng=3)
    assert np.all(out == np.rint(out))  # integer counts
    mean, var = out.mean(), out.var()
    assert mean == pytest.approx(1.7e5 + 1.0e4 * 50, rel=0.01)
    assert var == pytest.approx(1.0e4 * (mean - 1.7e5), rel=0.05)


def test_row_series_rms_and_spectrum_slope():
    rng = np.random.default_rng(0)
    for exponent in (0.0, 1.0, 2.0):
        slopes = []
        for _ in range(20):
            s = instrument.row_series(512, 0.015, exponent, rng)
            assert s.std() == pytest.approx(0.015) and abs(s.mean()) < 1e-12
            slopes.append(instrument.spectrum_slope(s))
        assert np.mean(slopes) == pytest.approx(exponent, abs=0.15)


def test_row_gain_and_offset_make_row_statistics():
    c = Condition("rows", counts=1e6, row_gain=0.015)
    img, p = c.apply(np.ones((400, 300)), rng=1, return_params=True)
    rows = img.mean(axis=1)
    expected = 1.0 + p.instrument["row_gain"]
    np.testing.assert_allclose(rows, expected, atol=5 * np.sqrt(1 / (1e6 * 300)))
    assert np.std(np.diff(rows)) / rows.mean() == pytest.approx(0.015 * np.sqrt(2), rel=0.15)
    c2 = Condition("off", counts=np.inf, row_offset=0.02)
    img2, p2 = c2.apply(np.ones((64, 64)), rng=1, return_params=True)
    np.testing.assert_allclose(img2, np.broadcast_to(1.0 + p2.instrument["row_offset"][:, None], img2.shape))


def test_smooth_field_and_background_field():
    f = instrument.smooth_field((128, 128), 8.0, np.random.default_rng(0))
    assert f.mean() == pytest.approx(0, abs=1e-12) and f.std() == pytest.approx(1.0)
    # correlation length: neighbours are highly correlated, far pixels are not
    assert np.corrcoef(f[:, :-1].ravel(), f[:, 1:].ravel())[0, 1] > 0.95
    c = Condition("bg", background_field=0.1, background_scale=8.0)
    img = c.apply(np.ones((128, 128)), rng=2)
    assert img.std() == pytest.approx(0.1, rel=0.05)


def test_background_map_is_spatially_varying_background():
    c = Condition("bgmap", background=2.0)
    bmap = np.ones((32, 32))
    bmap[:, 16:] = 3.0
    img = c.apply(np.ones((32, 32)), rng=0, background_map=bmap)
    # 1 + 2 * map / mean(map), renormalised by 1 + background
    np.testing.assert_allclose(img[:, :16], (1 + 2 * 0.5) / 3)
    np.testing.assert_allclose(img[:, 16:], (1 + 2 * 1.5) / 3)
    with pytest.raises(ValueError, match="background_map shape"):
        c.apply(np.ones((32, 32)), rng=0, background_map=np.ones((4, 4)))


def test_current_drift_definition():
    d = instrument.current_drift((64, 64), 0.03, [0.1, 0.2, 0.3])
    assert d.mean() == pytest.approx(1.0) and d.std() == pytest.approx(0.03)
    # slow: the drift within one row is tiny compared with its range
    assert np.abs(np.diff(d, axis=1)).max() < 0.01 * 0.03 * 64


def test_dose_spread_changes_counts_per_image():
    c = Condition("dose", counts=100.0, dose_spread=0.5, quantise=True, detector_gain=1.0)
    img, p = c.apply(np.ones((128, 128)), rng=5, return_params=True)
    assert img.mean() == pytest.approx(100 * p.instrument["dose_factor"], rel=0.01)


def test_reproducible_and_recorded():
    c = condition_from_dict("all", {"base": "clean", "quantise": True, "detector_offset": 100.0,
                                    "detector_gain": 7.0, "row_gain": 0.01, "row_offset": 0.01,
                                    "row_exponent": 1.0, "current_drift": 0.02, "dose_spread": 0.2,
                                    "background_field": 0.05})
    img = np.random.default_rng(0).random((48, 40)) + 0.5
    a, p = c.apply(img, rng=11, return_params=True)
    b = c.apply(img, rng=11)
    np.testing.assert_array_equal(a, b)
    replay = c.apply_params(img, ConditionParams.from_dict(p.to_dict()))
    np.testing.assert_array_equal(a, replay)
    assert set(c.extras_on) >= {"quantise", "row_gain", "row_offset", "current_drift", "dose_spread",
                                "background_field"}
    assert "quantise" in c.to_dict()


def test_named_conditions_unchanged_by_the_new_fields():
    # the new fields are absent from records and draw nothing when off
    d = CONDITIONS["comb1"].to_dict()
    assert "quantise" not in d and "row_gain" not in d
    p = CONDITIONS["comb1"].draw_params((16, 16), rng=0)
    assert p.instrument is None and "instrument" not in p.to_dict()


def test_bad_values_named():
    with pytest.raises(ValueError, match="row_gain"):
        Condition("x", row_gain=-1.0)
    with pytest.raises(ValueError, match="quantise"):
        Condition("x", quantise=1)
    with pytest.raises(ValueError, match="finite counts"):
        Condition("x", quantise=True).apply(np.ones((4, 4)), rng=0)


def test_config_table_accepts_the_instrument_keys():
    from synthstem.runs.sections import ConditionTable, user_condition

    table = ConditionTable(base="clean", quantise=True, counts=40.0, detector_offset=100.0, detector_gain=5.0,
                           row_gain=0.01, row_exponent=1.0, background_field=0.05, background_scale=8.0,
                           current_drift=0.01, dose_spread=0.2, row_offset=0.01)
    c = user_condition("cal", table)
    assert c.quantise and c.detector_offset == 100.0 and c.blur == 0.8
    out = c.apply(np.ones((32, 32)), rng=0)
    assert np.all(out == np.rint(out))
