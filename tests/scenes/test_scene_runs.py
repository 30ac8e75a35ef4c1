"""A small supported-atom run with every export: the heavy atoms (two classes, Pt and Au)
reach each output without a branch on the scene kind; the bulk path is unchanged (its
regression digests live in tests/exports and tests/runs)."""

import json
from pathlib import Path

import h5py
import imageio.v2 as imageio
import numpy as np
import pytest

from synthstem.evaluate.columns import score_columns
from synthstem.io.hdf5 import read_item
from synthstem.io.validate import validate_dataset
from synthstem.loaders import open_dataset
from synthstem.runs.config import load_config
from synthstem.runs.plan import plan
from synthstem.runs.run import run_dataset

CONFIG = {
    "run": {"name": "scene-exports", "seed": 5},
    "simulation": {"pixels": 96, "size": 36.0, "phonons": 0},
    "microscope": {"defocus": {"uniform": [0.0, 20.0]}},
    "output": {"conditions": ["raw", "clean", "blbk1"], "png": False,
               "exports": ["coco", "cvat", "masks", "heatmaps", "boxes", "store"],
               "export_conditions": ["stem00-clean"]},
    "scene": {"kind": "supported", "items": 2, "support": "CN", "thickness": {"uniform": [25.0, 40.0]},
              "heavy": {"Pt": 0.5, "Au": 0.5}, "heavy_density": 2.0, "group_fractions": [0.5, 0.2, 0.3],
              "texture_amplitude": 0.0},
}
CLASSES = {"Au", "Pt"}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("scene_run")
    run_dataset(load_config(CONFIG), out, workers=1, progress=False)
    return out


def test_plan_records_the_drawn_scene_params(tmp_path):
    tasks = plan(load_config(CONFIG), tmp_path)  # nothing is written
    assert [t.name for t in tasks] == ["000001.000001", "000002.000001"]
    p0, p1 = (t.structure["params"] for t in tasks)
    assert p0["thickness"] != p1["thickness"] and 25 <= p0["thickness"] <= 40
    assert p0["size"] == 36.0 and p0["heavy"] == {"Pt": 0.5, "Au": 0.5}
    assert "scene.thickness" in tasks[0].physics["drawn"]
    assert tasks[0].physics["simulation"]["method"] == "incoherent"  # the supported scene's default


def test_items_store_labelled_heavy_columns_with_instances(dataset):
    problems, counts = validate_dataset(dataset)
    assert problems == [] and counts["items"] == 2
    files = sorted((dataset / "items").glob("*.h5"))
    assert len(files) == 2
    for path in files:
        item = read_item(path)
        cols = item.columns
        assert set(cols.label) == CLASSES or set(cols.label) <= CLASSES | {"Au+Pt"}
        assert cols.instance is not None and len(cols.instance) == len(cols.label)
        assert cols.depth is not None and np.all(cols.depth > 0)
        numbers = item.numbers
        for lab, idx in zip(cols.label, cols.atom_indices):  # every column holds heavy atoms only
            assert set(numbers[idx]) <= {78, 79}
        heavy = np.isin(numbers, [78, 79]).sum()
        assert sum(cols.counts) == heavy  # every heavy atom is in a column
        spec = item.params["structure"]["spec"]
        assert spec["scene"] == "supported" and item.params["structure"]["scene"]["params"]["support"] == "CN"
        with h5py.File(path) as f:
            assert "instance" in f["synthstem/columns"]


def test_every_export_has_both_classes(dataset):
    ex = dataset / "annotations"
    coco = json.loads(next(ex.rglob("*_annotations_with_class.json")).read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    assert CLASSES <= {names[a["category_id"]] for a in coco["annotations"]}
    # one instance per cluster: an instance id appears once per image
    per_image = {}
    for a in coco["annotations"]:
        per_image.setdefault(a["image_id"], []).append(a["instance"])
    assert all(len(v) == len(set(v)) for v in per_image.values())
    item = read_item(sorted((dataset / "items").glob("*.h5"))[0])
    assert len(per_image[1]) == len(set(item.columns.instance[item.columns.instance >= 0]))
    cvat = next(ex.rglob("cvat/*_annotations.xml")).read_text()
    assert all(f'label="{c}"' in cvat for c in CLASSES)
    heat = np.load(next(ex.rglob("*_heatmaps/*.npz")))
    assert CLASSES <= set(heat["elements"].tolist()) and CLASSES <= set(heat["labels"].tolist())
    assert all(heat[f"heatmap_{c}"].max() > 0.9 for c in set(heat["labels"].tolist()))
    boxes = json.loads(next(ex.rglob("boxes/*_instance_boxes.json")).read_text())
    assert CLASSES <= {b["class"] for v in boxes.values() for b in v}
    cats = {c["name"]: c["id"] for c in json.loads((ex / "categories.json").read_text())["categories"]}
    values = set()
    for png in (ex / "all_semantic_masks").glob("*.png"):
        values |= set(np.unique(imageio.imread(png)).tolist())
    assert {cats[c] for c in CLASSES} <= values
    # loaders: folder and store, >= 2 classes
    for source in (dataset, ex / "store.h5"):
        ds = open_dataset(source, conditions="stem00-clean", target=["columns", "mask", "heatmaps"])
        assert CLASSES <= set(ds.classes)
        sample = ds[0]
        assert set(sample["labels"]) <= set(ds.classes) and sample["mask"].max() >= 1


def test_eval_columns_scores_the_heavy_atoms_per_class(dataset):
    pred = {}
    for path in sorted((dataset / "items").glob("*.h5")):
        cols = read_item(path).columns
        pred[f"{path.stem}-stem00-clean"] = [[float(x), float(y), c] for (x, y), c in zip(cols.xy, cols.label)]
    scores = score_columns(pred, dataset, threshold_angstrom=0.5)
    assert CLASSES <= set(scores["classes"]) and scores["all"]["f1"] == 1.0


def test_report_counts_both_classes(dataset, tmp_path):
    from synthstem.report.collect import collect
    from synthstem.report.html import write_report

    info = collect(dataset)
    assert CLASSES <= set(info["column_classes"])
    html = Path(write_report(dataset, out=tmp_path / "report.html")).read_text()
    assert all(c in html for c in CLASSES)
