"""The named conditions registry, user conditions from dicts, and the extras."""

import json
import math

import numpy as np
import pytest

from synthstem import CONDITIONS, Condition, add_stem_noise
from synthstem.noise import extras
from synthstem.noise.conditions import ConditionParams, condition_from_dict, get_condition, register_condition

# atomagined README: blur [px], counts [per px], scan [px], background, defect level, dataset
TABLE = {
    "clean": (0.8, 400, 0.75, 2, 0, "stem00-clean"),
    "blur1": (1.8, 400, 0.75, 2, 0, "stem00-blur1"),
    "blur2": (2.8, 400, 0.75, 2, 0, "stem00-blur2"),
    "cnts1": (0.8, 100, 0.75, 2, 0, "stem00-cnts1"),
    "cnts2": (0.8, 40, 0.75, 2, 0, "stem00-cnts2"),
    "scan1": (0.8, 400, 1.00, 2, 0, "stem00-scan1"),
    "scan2": (0.8, 400, 1.25, 2, 0, "stem00-scan2"),
    "bkgd1": (0.8, 400, 0.75, 6, 0, "stem00-bkgd1"),
    "bkgd2": (0.8, 400, 0.75, 10, 0, "stem00-bkgd2"),
    "blbk1": (1.8, 400, 1.00, 6, 0, "stem00-blbk1"),
    "blbk2": (2.8, 400, 1.25, 10, 0, "stem00-blbk2"),
    "dfct1": (0.8, 400, 0.75, 2, 1, "stem00-dfct1"),
    "dfct2": (0.8, 400, 0.75, 2, 2, "stem00-dfct2"),
    "comb1": (1.8, 100, 1.00, 6, 1, "stem01-comb1"),
    "comb2": (2.8, 100, 1.25, 6, 1, "stem02-comb2"),
}


@pytest.fixture
def image():
    y, x = np.mgrid[0:64, 0:64]
    return 0.003 + 0.05 * np.exp(-(((x % 8) - 4) ** 2 + ((y % 8) - 4) ** 2) / 3.0)


def test_registry_has_the_reference_table():
    assert set(CONDITIONS) >= set(TABLE) | {"raw"}
    for name, (blur, counts, scan, bg, level, dataset) in TABLE.items():
        c = CONDITIONS[name]
        assert (c.name, c.blur, c.counts, c.scan, c.background) == (name, blur, counts, scan, bg)
        assert c.defect_level == level
        assert c.dataset_name == dataset
        assert c.extras_on == [], name
    assert CONDITIONS["raw"].dataset_name == "raw"
    assert CONDITIONS["raw"].defect_level == 0


@pytest.mark.parametrize("name", sorted(TABLE))
def test_condition_apply_is_the_reference_model(image, name):
    c = CONDITIONS[name]
    out = c.apply(image, rng=11)
    ref = add_stem_noise(image, c.blur, c.counts, c.scan, c.background, rng=11)
    assert np.array_equal(out, ref)
    k = out * c.counts
    np.testing.assert_allclose(k, np.round(k), atol=1e-9)


def test_raw_is_the_image_itself(image):
    out = CONDITIONS["raw"].apply(image, rng=0)
    assert np.array_equal(out, image)
    assert out is not image


def test_conditions_are_frozen_and_json_safe():
    c = CONDITIONS["clean"]
    with pytest.raises(AttributeError):
        c.blur = 2.0
    d = json.loads(json.dumps(CONDITIONS["raw"].to_dict()))
    assert d["counts"] == "inf"
    assert condition_from_dict("raw2", {k: v for k, v in d.items() if k != "name"}).counts == math.inf


def test_params_recorded_and_replayed(image):
    c = condition_from_dict("all", {"base": "clean", "drift": 1.0, "line_current": 0.05, "dark_noise": 2.0})
    out, params = c.apply(image, rng=4, return_params=True)
    replay = c.apply_params(image, ConditionParams.from_dict(json.loads(json.dumps(params.to_dict()))))
    assert np.array_equal(out, replay)
    # extras are drawn after the reference parameters: switching them on keeps shifts
    assert np.array_equal(params.noise.shifts, CONDITIONS["clean"].draw_params(image.shape, 4).noise.shifts)


def test_condition_from_dict_with_base_and_defaults():
    c = condition_from_dict("mine", {"base": "blbk1", "counts": 50})
    assert (c.name, c.blur, c.counts, c.scan, c.background) == ("mine", 1.8, 50.0, 1.0, 6.0)
    assert c.dataset_name == "stem00-mine"
    d = condition_from_dict("plain", {"blur": 1, "counts": 200, "scan": 0.5, "background": 1, "stem_index": 3})
    assert d.dataset_name == "stem03-plain"
    assert isinstance(d.blur, float)


@pytest.mark.parametrize(
    "d, word",
    [
        ({"blurr": 1.0}, "blurr"),
        ({"base": "clean", "noise": 1}, "noise"),
        ({"base": "nosuch"}, "nosuch"),
        ({"counts": -5}, "counts"),
        ({"counts": 0}, "counts"),
        ({"blur": "1.0"}, "blur"),
        ({"scan": True}, "scan"),
        ({"background": float("nan")}, "background"),
        ({"defect_level": 3}, "defect_level"),
        ({"defect_level": 1.0}, "defect_level"),
        ({"dose": 0}, "dose"),
        ({"flyback": 5.0, "flyback_tau": 4.0}, "flyback"),
        ({"drift": -1}, "drift"),
    ],
)
def test_condition_from_dict_rejects(d, word):
    with pytest.raises(ValueError, match=word):
        condition_from_dict("bad", d)


def test_register_condition():
    c = condition_from_dict("test_registered", {"base": "clean", "dark_noise": 1.0})
    try:
        register_condition(c)
        assert get_condition("test_registered") is c
        with pytest.raises(ValueError, match="already registered"):
            register_condition(c)
        with pytest.raises(ValueError, match="reserved"):
            register_condition(Condition("raw"))
    finally:
        CONDITIONS.pop("test_registered", None)
    with pytest.raises(ValueError, match="unknown condition"):
        get_condition("test_registered")


# ----------------------------------------------------------------------- extras


def test_dose_sets_counts_from_pixel_area():
    c = condition_from_dict("dosed", {"dose": 1000.0})
    assert c.counts_per_pixel(pixel_size=0.5) == pytest.approx(250.0)
    flat = np.ones((128, 128))
    out = c.apply(flat, rng=1, pixel_size=0.5)
    assert out.var() == pytest.approx(1 / 250, rel=0.05)
    k = out * 250
    np.testing.assert_allclose(k, np.round(k), atol=1e-9)
    with pytest.raises(ValueError, match="pixel_size"):
        c.apply(flat, rng=1)


def test_drift_shears_and_stretches_along_slow_axis():
    ny = nx = 128
    img = np.full((ny, nx), 1e-3)
    img[:, 60:64] = 1.0  # vertical bar
    img[60:64, :] += 1.0  # horizontal bar
    sheared = extras.drift_distortion(img, (16.0, 0.0))
    # the vertical bar moves right by dx * j / ny in row j
    for j in (0, 64, 120):
        centre = np.average(np.arange(nx), weights=sheared[j] - sheared[j].min())
        assert centre == pytest.approx(61.5 + 16.0 * j / ny, abs=0.6)
    stretched = extras.drift_distortion(img, (0.0, -32.0))
    col = stretched[:, 10] - stretched[:, 10].min()
    # a specimen point at y appears at y / (1 - dy / ny): the bar moves from 61.5 to about 49
    expect = extras.drift_coords(np.array([[10.0, 61.5]]), (0.0, -32.0), img.shape)[0, 1]
    assert np.average(np.arange(ny), weights=col) == pytest.approx(expect, abs=0.6)
    assert expect == pytest.approx(61.5 / 1.25)


def test_flyback_compresses_first_columns_only():
    nx = 96
    x = flyback_x = extras.flyback_positions(nx, 3.0, 6.0)
    assert x[0] == pytest.approx(3.0)
    step = np.diff(flyback_x)
    assert step[0] < 0.7 and step[-1] == pytest.approx(1.0, abs=1e-6)
    img = np.tile(np.sin(np.arange(nx) / 3.0) + 2, (4, 1))
    out = extras.flyback_distortion(img, 3.0, 6.0)
    np.testing.assert_allclose(out[:, 60:], img[:, 60:], atol=1e-3)
    assert np.abs(out[:, :5] - img[:, :5]).max() > 0.3
    # coordinate map is the inverse of the probe positions
    back = extras.flyback_coords(np.stack([x[:50], np.zeros(50)], axis=1), 3.0, 6.0, (4, nx))
    np.testing.assert_allclose(back[:, 0], np.arange(50), atol=1e-9)


def test_line_current_gives_row_to_row_gain():
    c = condition_from_dict("flicker", {"line_current": 0.1})
    out, params = c.apply(np.ones((400, 50)), rng=2, return_params=True)
    np.testing.assert_allclose(out.mean(axis=1), params.line_gain)
    assert out.mean(axis=1).std() == pytest.approx(0.1, rel=0.15)


def test_detector_dark_noise_and_gain_spread_add_variance():
    flat = np.ones((200, 200))
    base = condition_from_dict("d0", {"counts": 100})
    v0 = base.apply(flat, rng=3).var()
    dark = condition_from_dict("d1", {"counts": 100, "detector_gain": 2.0, "dark_noise": 10.0})
    # read noise of 10 units at 2 units per electron is 5 electrons: + (5 / 100)^2
    assert dark.apply(flat, rng=3).var() == pytest.approx(v0 + 0.05**2, rel=0.05)
    spread = condition_from_dict("d2", {"counts": 100, "gain_cv": 0.5})
    # excess noise factor 1 + cv^2
    assert spread.apply(flat, rng=3).var() == pytest.approx(v0 * 1.25, rel=0.05)
    assert dark.apply(flat, rng=3).min() >= 0


def test_map_coords_follows_the_geometric_extras():
    ny, nx = 96, 128
    yy, xx = np.mgrid[0:ny, 0:nx]
    spots = np.array([[20.0, 30.0], [70.0, 60.0], [100.0, 80.0], [11.0, 50.0]])
    img = 1e-3 + sum(np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5**2)) for x, y in spots)
    c = condition_from_dict("geo", {"drift": 6.0, "flyback": 4.0, "flyback_tau": 8.0})
    out, params = c.apply(img, rng=21, return_params=True)
    assert max(abs(v) for v in params.drift) > 1.0
    moved = c.map_coords(spots, img.shape, params)
    for (x, y) in moved:
        win = out[int(y) - 5 : int(y) + 6, int(x) - 5 : int(x) + 6]
        w = win - win.min()
        cy, cx = np.mgrid[int(y) - 5 : int(y) + 6, int(x) - 5 : int(x) + 6]
        assert np.average(cx, weights=w) == pytest.approx(x, abs=0.35)
        assert np.average(cy, weights=w) == pytest.approx(y, abs=0.35)


def test_raw_condition_names_the_problem():
    img = np.ones((8, 8))
    img[2, 3] = np.nan
    img[4, 4] = np.inf
    with pytest.raises(ValueError, match="2 NaN or infinite pixel"):
        CONDITIONS["raw"].apply(img)
    with pytest.raises(ValueError, match=r"2-D array, got shape \(8,\)"):
        CONDITIONS["raw"].apply(np.ones(8))


def test_reference_conditions_own_their_seed_children():
    """The table in noise/conditions.py is the one place: every reference condition has one
    fixed, distinct noise-stream child, and 'all' lists exactly them."""
    from synthstem.noise.conditions import REFERENCE_CONDITIONS, SEED_CHILDREN, noise_seed_sequence

    assert set(REFERENCE_CONDITIONS) == set(SEED_CHILDREN) and len(REFERENCE_CONDITIONS) == 16
    assert sorted(SEED_CHILDREN.values()) == list(range(16))
    states = {name: tuple(noise_seed_sequence(5, 9, name).generate_state(2)) for name in REFERENCE_CONDITIONS}
    assert len(set(states.values())) == 16  # independent streams
    # a user condition's stream depends on its name only, not on any list position
    assert tuple(noise_seed_sequence(5, 9, "mine").generate_state(2)) not in states.values()
    np.testing.assert_array_equal(noise_seed_sequence(5, 9, "mine").generate_state(2),
                                  noise_seed_sequence(5, 9, "mine").generate_state(2))
