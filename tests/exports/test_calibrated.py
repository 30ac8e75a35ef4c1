"""The shared helpers of the calibrated formats: pixel size, zone axis, title, JSON."""

import json
import math

import numpy as np

from synthstem.exports.calibrated import json_safe, parameters_json, pixel_size_nm, title, zone_axis
from synthstem.exports.records import Annotated


def _record(attrs=None, px=0.2, cond="stem00-clean", name="000001.000001"):
    return Annotated(file_name=f"{name}-{cond}.png", image=np.zeros((4, 4)), xy=np.zeros((0, 2)), labels=[],
                     defect_boxes=np.zeros((0, 4)), radius=1.0, sigma=1.0,
                     meta={"item": name, "condition": cond, "pixel_size_angstrom": px,
                           "params": {"attrs": attrs or {}, "seed": {"run_seed": np.int64(3)}}})


def test_title_pixel_size_and_zone_axis():
    rec = _record({"chemical_formula": "'Sr Ti O3'", "uvw_direction": "(1.0, -1.0, 0.0)"}, px=0.78125)
    assert title(rec) == "SrTiO3 [1-10] stem00-clean"
    assert pixel_size_nm(rec) == 0.078125
    assert zone_axis(_record({"uvw_direction": "(0.0, 0.0, 12.0)"})) == "[0,0,12]"  # two digits: commas
    assert zone_axis(_record({"uvw_direction": "(0.5, 0.0, 1.0)"})) == "[(0.5, 0.0, 1.0)]"  # as recorded
    assert title(_record(px=None)) == "000001.000001 stem00-clean"  # no formula, no zone axis
    assert pixel_size_nm(_record(px=None)) is None


def test_parameters_are_json_with_numpy_values_and_nan_made_json():
    assert json_safe({"a": np.float32(0.5), "b": (1, np.arange(2)), "c": math.nan, 3: b"x"}) == {
        "a": 0.5, "b": [1, [0, 1]], "c": None, "3": "x"}
    doc = json.loads(parameters_json(_record()))
    assert doc["params"]["seed"] == {"run_seed": 3} and doc["pixel_size_angstrom"] == 0.2
