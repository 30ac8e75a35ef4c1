"""Pipeline x noise x labels: user conditions, recorded draws, defect columns in exports."""

import json

import numpy as np
import pytest

from synthstem.runs.config import config_from_dict, load_config
from synthstem.io.hdf5 import read_item
from synthstem.noise.conditions import ConditionParams, condition_from_dict
from synthstem.runs.run import run_dataset

CONFIG = """
[run]
seed = 3
[simulation]
method = "incoherent"
pixels = 40
size = 8.0
[output]
conditions = ["raw", "clean", "dfct1", "dfct2", "lowdose", "wobbly"]
exports = ["coco", "boxes"]
export_conditions = ["stem00-clean", "dfct1", "stem00-dfct2", "stem00-wobbly"]
[conditions.lowdose]
base = "clean"
dose = 2000.0
[conditions.wobbly]
base = "blbk1"
drift = 2.0
flyback = 1.5
line_current = 0.05
[[structures]]
prototype = "perovskite/SrTiO3"
uvw = [[0, 0, 1]]
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("labels")
    (tmp / "c.toml").write_text(CONFIG)
    report = run_dataset(load_config(tmp / "c.toml"), tmp / "data", workers=1, progress=False)
    assert report.ok, report.failed
    return tmp / "data", read_item(tmp / "data" / "items" / "000001.000001.h5")


def _coco(out, image):
    doc = json.loads((out / "annotations" / "RLE_annotations" / "all_annotations_with_class.json").read_text())
    (img,) = [i for i in doc["images"] if i["file_name"] == image]
    names = {c["id"]: c["name"] for c in doc["categories"]}
    anns = [a for a in doc["annotations"] if a["image_id"] == img["id"]]
    return [a for a in anns if names[a["category_id"]] != "defect"], [a for a in anns if names[a["category_id"]] == "defect"]


def test_user_conditions_and_dose_are_recorded_and_replay_exactly(run):
    out, item = run
    assert set(item.images) == {"stem00-clean", "stem00-dfct1", "stem00-dfct2", "stem00-lowdose", "stem00-wobbly"}
    assert set(item.noise) == set(item.images)
    rec = item.noise["stem00-lowdose"]
    assert rec["pixel_size"] == pytest.approx(8.0 / 40) and rec["condition"]["dose"] == 2000.0
    assert item.noise["stem00-wobbly"]["draws"]["drift"] is not None
    assert item.noise["stem00-wobbly"]["moves_image"] and not item.noise["stem00-clean"]["moves_image"]
    for key in ("stem00-clean", "stem00-lowdose", "stem00-wobbly"):  # made from the stored raw image
        rec = item.noise[key]
        assert rec["source"] == "raw"
        d = {k: v for k, v in rec["condition"].items() if k != "name"}
        cond = condition_from_dict(rec["condition"]["name"], d)
        again = cond.apply_params(item.raw, ConditionParams.from_dict(rec["draws"]), pixel_size=rec["pixel_size"])
        np.testing.assert_array_equal(np.asarray(again, np.float32), item.images[key], err_msg=key)
    # the dose sets the counts: 2000 e/A^2 * (0.2 A)^2 = 80 counts/px, noisier than clean's 400
    assert np.std(item.images["stem00-lowdose"] - item.images["stem00-clean"]) > 0.05
    assert item.params["settings"]["conditions"]["wobbly"]["drift"] == 2.0


def test_defect_images_are_labelled_with_the_defected_columns(run):
    out, item = run
    clean, dfct2 = item.columns, item.defect_columns[2]
    assert set(item.defect_columns) == {1, 2}
    assert sum(item.defect_columns[1].counts) == sum(clean.counts) - 1  # one vacancy
    assert len(dfct2.xy) == len(clean.xy) - 1  # the level-2 vacancies empty a whole column
    (rec,) = [d for d in item.defects if d["level"] == 2]
    gone = np.asarray(rec["column_px"])  # the emptied column
    assert np.min(np.linalg.norm(np.asarray(clean.xy) - gone, axis=1)) < 0.1
    assert np.min(np.linalg.norm(np.asarray(dfct2.xy) - gone, axis=1)) > 1.0
    cols_clean, defects_clean = _coco(out, "000001.000001-stem00-clean.png")
    cols_d2, defects_d2 = _coco(out, "000001.000001-stem00-dfct2.png")
    cols_d1, defects_d1 = _coco(out, "000001.000001-stem00-dfct1.png")
    assert defects_clean == [] and len(defects_d1) == 1 and len(defects_d2) == 1
    assert len(cols_d2) == len(cols_clean) - 1
    centers = np.array([a["center"] for a in cols_d2]) - 0.5  # COCO: top-left pixel origin
    assert np.min(np.linalg.norm(centers - gone, axis=1)) > 1.0  # no label on the empty column
    centers = np.array([a["center"] for a in cols_clean]) - 0.5
    assert np.min(np.linalg.norm(centers - gone, axis=1)) < 0.1
    assert len(cols_d1) == len(cols_clean)  # a column that lost one of its atoms stays
    boxes = json.loads((out / "annotations" / "boxes" / "all_defect_boxes.json").read_text())
    assert len(boxes["000001.000001-stem00-dfct2.png"]) == 1 and boxes["000001.000001-stem00-clean.png"] == []


def test_drifted_images_get_moved_labels(run):
    out, item = run
    rec = item.noise["stem00-wobbly"]
    cond = condition_from_dict("wobbly", {k: v for k, v in rec["condition"].items() if k != "name"})
    moved = cond.map_coords(np.asarray(item.columns.xy), item.raw.shape, ConditionParams.from_dict(rec["draws"]))
    cols, _ = _coco(out, "000001.000001-stem00-wobbly.png")
    centers = np.array([a["center"] for a in cols]) - 0.5  # COCO: top-left pixel origin
    assert np.abs(moved - np.asarray(item.columns.xy)).max() > 0.3  # the drift does move them
    for c in centers:
        assert np.min(np.linalg.norm(moved - c, axis=1)) < 1e-6


@pytest.mark.parametrize("data, key", [
    ({"conditions": {"mycond": {"base": "clean", "blurr": 1.0}}}, "conditions.mycond.blurr: unknown key"),
    ({"conditions": {"mycond": {"drift": -1.0}}}, "conditions.mycond:"),
    ({"conditions": {"clean": {"blur": 1.0}}}, "conditions.clean:"),
    ({"output": {"conditions": ["clean", "mycond"]}}, "output.conditions: unknown conditions ['mycond']"),
    ({"output": {"exports": ["coco"], "export_conditions": ["stem00-blbk1"], "conditions": ["clean"]}},
     "output.export_conditions"),
])
def test_condition_config_errors_name_the_key(data, key):
    with pytest.raises(ValueError) as err:
        config_from_dict({"structures": [{"prototype": "fcc"}], **data})
    assert key in str(err.value)


def test_restarted_complete_run_keeps_its_exports(run, tmp_path):
    import shutil

    src, _ = run
    out = tmp_path / "data"
    shutil.copytree(src, out)
    config = load_config(src.parent / "c.toml")
    coco = out / "annotations" / "RLE_annotations" / "all_annotations.json"
    stamp = coco.stat().st_mtime_ns
    report = run_dataset(config, out, workers=1, progress=False)
    assert report.ok and report.skipped == 1 and report.done == 0
    assert report.exports.get("skipped") and coco.stat().st_mtime_ns == stamp
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and "annotations/RLE_annotations/all_annotations.json" in manifest["exports"]
    coco.write_text("{}")  # a damaged export is remade
    report = run_dataset(config, out, workers=1, progress=False)
    assert report.ok and not report.exports.get("skipped") and report.exports["n_images"] == 4
    assert json.loads(coco.read_text())["images"]


def test_preview_overlays_the_peak_map_of_the_image(run):
    from synthstem.commands.preview import _peak_map

    out, item = run
    np.testing.assert_array_equal(_peak_map(item, "stem00-dfct2"), item.peak_maps["dfct2"])
    np.testing.assert_array_equal(_peak_map(item, "stem00-clean"), item.peak_maps["clean"])
    moved = _peak_map(item, "stem00-wobbly")
    assert moved.any() and not np.array_equal(moved, item.peak_maps["clean"])
