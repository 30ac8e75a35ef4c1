"""The 'hf' export read by the real readers: Hugging Face ``datasets`` (the Parquet files,
and the folder through its card's configs) and ``mlcroissant`` (croissant.json validated,
its records read)."""

import hashlib
import io
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from exports_testdata import N, NAMES, make_item, write_items

from synthstem.exports import export_dataset, export_item

pytest.importorskip("pyarrow", reason="pyarrow is not installed (pip install 'synthstem[formats]')")
# mlcroissant's own dependencies (rdflib, pandas) warn about their deprecations
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib"),
              pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")]

CONDITIONS = ["stem00-clean", "stem00-dfct1"]
SPLITS = {"by": "structure", "test_fraction": 0.3, "few_shot": False}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf")
    write_items(root / "items")
    report = export_dataset(root, exports=["hf", "masks"], image_condition=CONDITIONS, splits=SPLITS,
                            augment={"variants": 1, "shard_size": 5})
    splits = json.loads((root / "annotations" / "splits.json").read_text())["items"]
    return root, report, splits


def _rows_per_split(splits):
    out = {}
    for side in splits.values():
        out[side] = out.get(side, 0) + len(CONDITIONS)
    return out


def _check_row(row, root, split):
    name, cond = row["file_name"][:-4].split("-", 1)
    item = make_item(name, NAMES.index(name))
    assert (row["item"], row["condition"], row["split"]) == (name, cond, split)
    np.testing.assert_array_equal(row["points_x"], item.columns["xy"][:, 0])
    np.testing.assert_array_equal(row["points_y"], item.columns["xy"][:, 1])
    assert list(row["points_class"]) == list(item.columns["label"])
    boxes = [[25.5, 26.5, 10.0, 8.0]] if cond == "stem00-dfct1" else []
    assert [list(b) for b in row["defect_boxes"]] == boxes
    assert row["pixel_size_angstrom"] == pytest.approx(13 / N) and (row["width"], row["height"]) == (N, N)
    np.testing.assert_array_equal(np.asarray(row["image_float32"], dtype=np.float32), item.images[cond])
    ann = root / "annotations"
    png = np.asarray(Image.open(ann / f"{split}_images" / row["file_name"]).convert("L"))
    np.testing.assert_array_equal(np.asarray(row["image"]), png)  # the 8-bit image of {split}_images
    sem = np.asarray(Image.open(ann / f"{split}_semantic_masks" / row["file_name"]))
    np.testing.assert_array_equal(np.asarray(row["mask"]), sem)  # the masks export's semantic mask
    params = json.loads(row["parameters"])
    assert params["params"]["params"] == item.params and params["condition"] == cond


def test_datasets_loads_the_parquet_files_with_decoded_images_and_labels(exported, tmp_path):
    datasets = pytest.importorskip("datasets", reason="datasets is not installed (pip install 'synthstem[hub]')")
    root, report, splits = exported
    ds = datasets.load_dataset("parquet", data_dir=str(root / "annotations" / "hf" / "data"),
                               cache_dir=str(tmp_path / "cache"))
    assert {s: ds[s].num_rows for s in ds} == _rows_per_split(splits)
    assert sum(ds[s].num_rows for s in ds) == report["n_images"]
    assert isinstance(ds["train"].features["image"], datasets.Image)
    for split in ds:
        _check_row(ds[split][0], root, split)
    # the augmented export: shards of shard_size rows, all loaded
    aug = datasets.load_dataset("parquet", data_dir=str(root / "augmented" / "hf" / "data"),
                                cache_dir=str(tmp_path / "cache"))
    assert sum(aug[s].num_rows for s in aug) == report["n_augmented"]
    assert len(list((root / "augmented" / "hf" / "data").glob("train-*.parquet"))) > 1


def test_the_card_front_matter_and_its_configs_load_the_folder(exported, tmp_path):
    datasets = pytest.importorskip("datasets", reason="datasets is not installed (pip install 'synthstem[hub]')")
    from huggingface_hub import DatasetCard

    root, report, splits = exported
    folder = root / "annotations" / "hf"
    meta = DatasetCard.load(folder / "README.md").data.to_dict()
    assert meta["license"] == "cc-by-4.0" and meta["size_categories"] == ["n<1K"]
    assert "object-detection" in meta["task_categories"]
    assert meta["configs"] == [{"config_name": "default", "data_files": [
        {"split": "test", "path": "data/test-*.parquet"}, {"split": "train", "path": "data/train-*.parquet"}]}]
    ds = datasets.load_dataset(str(folder), cache_dir=str(tmp_path / "cache"))
    assert {s: ds[s].num_rows for s in ds} == _rows_per_split(splits)
    _check_row(ds["test"][0], root, "test")


def test_mlcroissant_validates_and_reads_the_records(exported):
    mlc = pytest.importorskip("mlcroissant", reason="mlcroissant is not installed (pip install 'synthstem[hub]')")
    import pyarrow.parquet as pq

    root, report, splits = exported
    folder = root / "annotations" / "hf"
    doc = json.loads((folder / "croissant.json").read_text())
    for f in doc["distribution"]:
        if f["@type"] == "cr:FileObject":
            assert hashlib.sha256((folder / f["contentUrl"]).read_bytes()).hexdigest() == f["sha256"]
    dataset = mlc.Dataset(jsonld=str(folder / "croissant.json"))  # raises on validation errors
    records = dataset.records(record_set="images")
    first = [r for r, _ in zip(records, range(3))]
    table = pq.read_table(sorted((folder / "data").glob("*.parquet"))[0]).slice(0, 3).to_pylist()
    for rec, row in zip(first, table):
        assert rec["images/file_name"].decode() == row["file_name"]
        assert rec["images/split"].decode() == row["split"]
        np.testing.assert_array_equal(rec["images/points_x"], row["points_x"])
        assert [c.decode() for c in rec["images/points_class"]] == row["points_class"]
        assert list(rec["images/points_visible"]) == row["points_visible"]
        assert rec["images/pixel_size_angstrom"] == pytest.approx(13 / N)
        np.testing.assert_array_equal(np.asarray(rec["images/image"]), np.asarray(Image.open(io.BytesIO(row["image"]["bytes"]))))
        assert json.loads(rec["images/parameters"])["item"] == row["item"]
    assert sum(1 for _ in dataset.records(record_set="images")) == report["n_images"]


def test_the_files_do_not_depend_on_the_workers(exported, tmp_path):
    root, _, _ = exported
    shutil.copytree(root / "items", tmp_path / "items")
    export_dataset(tmp_path, exports=["hf", "masks"], image_condition=CONDITIONS, splits=SPLITS,
                   augment={"variants": 1, "shard_size": 5}, workers=2)
    for path in sorted((root / "annotations" / "hf").rglob("*")) + sorted((root / "augmented" / "hf").rglob("*")):
        if path.is_file():
            assert (tmp_path / path.relative_to(root)).read_bytes() == path.read_bytes(), path


def test_export_item_and_a_missing_pyarrow(monkeypatch):
    import importlib.util

    files = export_item(make_item(NAMES[0], 0), ["hf"])["files"]
    assert {"hf/data/all-00000.parquet", "hf/README.md", "hf/croissant.json"} <= set(files)
    assert "- split: train\n    path: data/all-*.parquet" in files["hf/README.md"].decode()  # 'all' is reserved
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    with pytest.raises(ValueError, match=r"the 'hf' export needs pyarrow, which is not installed: pip install 'synthstem\[formats\]'"):
        export_item(make_item(NAMES[0], 0), ["hf"])
