"""export_dataset / export_item on small items written with the real HDF5 writer."""

import filecmp
import json
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from exports_testdata import N, NAMES, write_items

from synthstem.exports import export_dataset, export_item, registry
from synthstem.io.hdf5 import read_item

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("ds")
    write_items(root / "items")
    return root


@pytest.fixture(scope="module")
def exported(dataset, tmp_path_factory):
    runs = []
    for i in range(2):
        d = tmp_path_factory.mktemp(f"run{i}")
        shutil.copytree(dataset / "items", d / "items")
        report = export_dataset(d, exports=registry.NAMES, augment={"variants": 2, "shard_size": 10},
                                splits={"by": "structure", "test_fraction": 0.3, "runs": 2}, seed=3,
                                image_condition=["stem00-clean", "stem00-dfct1"], workers=1 + i)
        runs.append((d, report))
    return runs


def files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_report_and_layout(exported):
    d, report = exported[0]
    assert report["n_items"] == 6 and report["n_images"] == 12 and report["n_augmented"] == 36
    ann = d / "annotations"
    for rel in ["categories.json", "splits.json", "RLE_annotations/train_annotations.json",
                "RLE_annotations/train_annotations_with_class.json", "RLE_annotations/test_annotations.json",
                "RLE_annotations/1_shot/run_1/train_annotations_with_class.json",
                "RLE_annotations/10_shot/run_0/train_annotations.json",
                "cvat/train_annotations.xml", "boxes/test_defect_boxes.json"]:
        assert (ann / rel).is_file(), rel
    assert not list(d.rglob("*.tmp"))
    aug = d / "augmented"
    assert len(list(aug.glob("*_images/*.png"))) == 36 and len(list(aug.glob("params/*.json"))) == 12


def test_deterministic_given_seed_whatever_the_workers(exported):
    (d0, _), (d1, _) = exported
    for sub in ("annotations", "augmented"):
        f0, f1 = files(d0 / sub), files(d1 / sub)
        assert f0 == f1
        _, mismatch, errors = filecmp.cmpfiles(d0 / sub, d1 / sub, [str(f) for f in f0], shallow=False)
        assert not mismatch and not errors


def test_splits_have_no_structure_overlap_and_few_shot_within_train(exported):
    d, _ = exported[0]
    doc = json.loads((d / "annotations" / "splits.json").read_text())
    sides = {}
    for name, split in doc["items"].items():
        sides.setdefault(name.split(".")[0], set()).add(split)
    assert all(len(s) == 1 for s in sides.values())
    assert {"train", "test"} == set(doc["items"].values())
    train = json.loads((d / "annotations/RLE_annotations/train_annotations_with_class.json").read_text())
    train_files = {im["file_name"] for im in train["images"]}
    assert train_files == {f"{n}-{c}.png" for n, s in doc["items"].items() if s == "train"
                           for c in ("stem00-clean", "stem00-dfct1")}
    assert doc["few_shot"]["1_shot"]["run_0"]["seed"] == [3, 1, 0]
    for k in ("1_shot", "2_shot", "3_shot", "5_shot", "10_shot"):
        for run, sel in doc["few_shot"][k].items():
            sub = json.loads((d / f"annotations/RLE_annotations/{k}/{run}/train_annotations_with_class.json").read_text())
            assert {im["file_name"] for im in sub["images"]} == set(sel["images"]) <= train_files
            present = {a["category_id"] for a in sub["annotations"]}
            assert present == {a["category_id"] for a in train["annotations"]}  # every class covered


def test_coco_masks_heatmaps_cvat_boxes_agree(exported):
    d, _ = exported[0]
    ann = d / "annotations"
    cats = json.loads((ann / "categories.json").read_text())["categories"]
    assert [c["name"] for c in cats] == ["O", "O+Ti", "Sr", "defect"]
    for split in ("train", "test"):
        coco = COCO(str(ann / f"RLE_annotations/{split}_annotations_with_class.json"))
        assert [c["id"] for c in coco.loadCats(coco.getCatIds())] == [c["id"] for c in cats]
        root = ET.parse(ann / f"cvat/{split}_annotations.xml").getroot()
        declared = [lab.find("name").text for lab in root.iter("label")]
        assert [lab["name"] for lab in json.loads((ann / "cvat/labels.json").read_text())] == declared
        cvat_images = {im.get("name"): im for im in root.iter("image")}
        boxes = json.loads((ann / f"boxes/{split}_defect_boxes.json").read_text())
        for img in coco.loadImgs(coco.getImgIds()):
            fname, stem = img["file_name"], img["file_name"][:-4]
            png = np.asarray(Image.open(ann / f"{split}_images" / fname))
            assert png.shape == (img["height"], img["width"]) and png.dtype == np.uint8
            sem = np.asarray(Image.open(ann / f"{split}_semantic_masks/{stem}.png"))
            anns = coco.loadAnns(coco.getAnnIds(imgIds=[img["id"]]))
            for a in anns:
                m = coco.annToMask(a).astype(bool)
                assert list(mask_utils.toBbox(coco.annToRLE(a))) == pytest.approx(a["bbox"])
                if a["category_id"] != 4:
                    assert np.all(sem[m] == a["category_id"])
            h = np.load(ann / f"{split}_heatmaps/{stem}.npz")
            assert list(h["elements"]) == ["O", "Sr", "Ti"]
            xy = h["xy"]
            assert np.all(h["heatmap_Sr"][np.rint(xy[:, 1]).astype(int), np.rint(xy[:, 0]).astype(int)][
                h["labels"] == "Sr"] > 0.85)
            assert h["peak_map"].sum() == len(xy)
            ellipses = cvat_images[fname].findall("ellipse")
            assert len(ellipses) == len(xy)
            for el in ellipses:
                dist = np.hypot(xy[:, 0] + 0.5 - float(el.get("cx")), xy[:, 1] + 0.5 - float(el.get("cy")))
                assert dist.min() < 0.01
            # defect box only on the defect image; 10 x 8 box at (25.5, 26.5) top-left
            expected = [[25.5, 26.5, 10.0, 8.0]] if "dfct1" in fname else []
            assert boxes[fname] == expected
            assert len(cvat_images[fname].findall("box")) == len(expected)
            assert sum(a["category_id"] == 4 for a in anns) == len(expected)


def test_augmented_coordinates_sit_on_columns(exported):
    d, _ = exported[0]
    aug = d / "augmented"
    checked = 0
    for params_file in sorted(aug.glob("params/*.json")):
        doc = json.loads(params_file.read_text())
        assert [v["variant"] for v in doc["variants"]] == [0, 1, 2]
        assert doc["variants"][0]["transforms"] == []
        for v in doc["variants"][1:]:
            assert 2 <= len(v["transforms"]) <= 4
            stem = v["file_name"][:-4]
            img = np.asarray(Image.open(aug / f"{doc['split']}_images" / v["file_name"]), dtype=float)
            h = np.load(aug / f"{doc['split']}_heatmaps/{stem}.npz")
            if "noise" in v["transforms"] or "jpeg" in v["transforms"]:
                continue  # 8-bit + noise: local maxima are not exact enough for this check
            for x, y in h["xy"][h["visible"]]:
                i, j = int(round(x)), int(round(y))
                if 4 <= i < N - 4 and 4 <= j < N - 4:
                    win = img[j - 2:j + 3, i - 2:i + 3]
                    dj, di = np.unravel_index(np.argmax(win), win.shape)
                    assert np.hypot(i - 2 + di - x, j - 2 + dj - y) <= 1.0 + 1e-9
                    checked += 1
    assert checked > 50


def test_export_item_in_memory_and_bad_options(dataset):
    item = read_item(dataset / "items" / f"{NAMES[0]}.h5")
    out = export_item(item, exports=("coco", "masks"), augment={"variants": 1})
    with_class, agnostic = out["documents"]["coco"]["all"]
    assert out["files"]["RLE_annotations/all_annotations_with_class.json"] is with_class
    assert len(with_class["images"]) == 1 and len(agnostic["annotations"]) == len(with_class["annotations"])
    assert {c["name"] for c in agnostic["categories"]} == {"column", "defect"}
    sem = out["files"][f"all_semantic_masks/{NAMES[0]}-stem00-clean.png"]
    ids = {c["name"]: c["id"] for c in out["categories"]}
    rec = out["records"][0]
    inst = rec.instances_map()
    expected = np.zeros(inst.shape, dtype=np.uint8)
    expected[inst >= 0] = [ids[rec.labels[i]] for i in inst[inst >= 0]]
    np.testing.assert_array_equal(sem, expected)
    assert len(out["augmented"]["variants"]) == 2
    assert f"all_images/{NAMES[0]}-stem00-clean-a01.png" in out["augmented"]["files"]
    with pytest.raises(ValueError, match="unknown exports"):
        export_item(item, exports=("yolo",))
    with pytest.raises(ValueError, match="unknown augment options"):
        export_item(item, augment={"variant": 3})
    with pytest.raises(ValueError, match="unknown export options"):
        export_item(item, radius=3)
    with pytest.raises(ValueError, match="image_condition"):
        export_item(item, image_condition="stem01-comb1")
    with pytest.raises(ValueError, match="seed"):
        export_dataset(dataset, seed=-1)
    with pytest.raises(FileNotFoundError):
        export_dataset(dataset / "nope")


def test_export_without_splits_uses_one_split(dataset, tmp_path):
    shutil.copytree(dataset / "items", tmp_path / "items")
    report = export_dataset(tmp_path, exports=("coco", "boxes"), min_area=10,
                            image_condition=["stem00-clean", "stem01-comb1"])
    assert report["splits"] == ["all"] and report["augmented_root"] is None
    assert report["n_images"] == 6 and report["n_skipped_missing_condition"] == 6
    coco = COCO(str(tmp_path / "annotations/RLE_annotations/all_annotations_with_class.json"))
    assert len(coco.getImgIds()) == 6
    assert min(a["area"] for a in coco.loadAnns(coco.getAnnIds())) >= 10
    assert not (tmp_path / "annotations/all_semantic_masks").exists()
    with pytest.raises(ValueError, match="no item has the image_condition"):
        export_dataset(tmp_path, exports=("coco",), image_condition="stem01-comb1")
    # a re-run replaces the whole previous export (no stale files); the failed run left none
    (tmp_path / "annotations" / "stale.txt").write_text("x")
    export_dataset(tmp_path, exports=("boxes",))
    assert not (tmp_path / "annotations" / "stale.txt").exists()
    assert not (tmp_path / "annotations" / "RLE_annotations").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotations", "items"]


def test_augmented_shards_load_with_unique_ids(exported):
    d, _ = exported[0]
    folder = d / "augmented" / "RLE_annotations"
    shards = sorted(folder.glob("train_annotations_with_class-*.json"))
    assert len(shards) >= 2 and (folder / "train_annotations-0000.json").is_file()
    image_ids, ann_ids, names = [], [], []
    for path in shards:
        coco = COCO(str(path))
        image_ids += coco.getImgIds()
        ann_ids += coco.getAnnIds()
        names += [im["file_name"] for im in coco.loadImgs(coco.getImgIds())]
    assert len(set(image_ids)) == len(image_ids) and len(set(ann_ids)) == len(ann_ids)
    pngs = {p.name for p in (d / "augmented" / "train_images").glob("*.png")}
    assert set(names) == pngs
    assert sorted((d / "augmented" / "cvat").glob("train_annotations-*.xml"))
