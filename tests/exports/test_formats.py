"""The format protocol: a new format is one module registered by name; split documents
are sharded with running image numbers."""

import json
import shutil
import textwrap

import numpy as np
import pytest
from exports_testdata import write_items

from synthstem.exports import export_dataset, registry
from synthstem.exports.base import Context, MemorySink, SplitDocuments

TOY = '''
"""Columns per image: {split}_columns.json = {"<image>.png": n}."""
from synthstem.exports.base import SplitDocuments


class Format(SplitDocuments):
    name = "toy"

    def add(self, record):
        return record.file_name, len(record.xy)

    def write(self, split, entries, suffix, first):
        doc = dict(entries)
        self.sink.json(f"toy/{split}_columns{suffix}.json", doc)
        return doc
'''


@pytest.fixture(scope="module")
def items(tmp_path_factory):
    folder = tmp_path_factory.mktemp("items")
    write_items(folder)
    return folder


def test_a_new_format_is_one_module_and_one_registry_line(items, tmp_path, monkeypatch):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "toy_format.py").write_text(textwrap.dedent(TOY))
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.setitem(registry.FORMATS, "toy", "toy_format")
    d = tmp_path / "ds"
    shutil.copytree(items, d / "items")
    report = export_dataset(d, exports=["toy"], augment={"variants": 2, "shard_size": 4},
                            splits={"by": "structure", "test_fraction": 0.3})
    ann = d / "annotations"
    sides = json.loads((ann / "splits.json").read_text())["items"]
    for split in ("train", "test"):
        doc = json.loads((ann / "toy" / f"{split}_columns.json").read_text())
        assert doc == {f"{n}-stem00-clean.png": 64 for n, s in sides.items() if s == split}
    # augmented: 3 images per item gathered item by item, a shard once 4 or more are waiting
    shards = sorted((d / "augmented" / "toy").glob("train_columns-*.json"))
    n_train = sum(s == "train" for s in sides.values())
    assert [len(json.loads(p.read_text())) for p in shards] == [6] * (n_train // 2) + [3] * (n_train % 2)
    assert report["n_augmented"] == 18


class Count(SplitDocuments):
    def add(self, record):
        return record

    def write(self, split, entries, suffix, first):
        self.sink.json(f"{split}{suffix}.json", {"first": first, "entries": list(entries)})
        return entries


def test_split_documents_shard_by_item_and_number_images_on():
    fmt = Count()
    sink = MemorySink()
    fmt.begin(sink, Context(categories=(), shard_size=3))
    for item in range(5):  # two images of split 'a' per item, one of 'b'
        fmt.gather([("a", 2 * item), ("a", 2 * item + 1), ("b", item)])
    assert fmt.finish() == {}
    assert sink.files == {
        "a-0000.json": {"first": 0, "entries": [0, 1, 2, 3]},
        "a-0001.json": {"first": 4, "entries": [4, 5, 6, 7]},
        "b-0000.json": {"first": 0, "entries": [0, 1, 2]},
        "a-0002.json": {"first": 8, "entries": [8, 9]},
        "b-0001.json": {"first": 3, "entries": [3, 4]},
    }
    fmt = Count()
    fmt.begin(MemorySink(), Context(categories=()))
    fmt.gather([("a", 1), ("a", None), ("b", 2)])  # None: nothing for the document
    assert fmt.finish() == {"a": [1], "b": [2]}


def test_defaults_export_only_the_images(items, tmp_path):
    shutil.copytree(items, tmp_path / "items")
    report = export_dataset(tmp_path)  # as a run config's defaults: no format, no variant, no split
    assert report["augmented_root"] is None and report["splits"] == ["all"] and report["n_images"] == 6
    names = sorted(str(p.relative_to(tmp_path / "annotations")) for p in (tmp_path / "annotations").rglob("*"))
    assert names[:2] == ["all_images", "all_images/000101.000001-stem00-clean.png"]
    assert names[-2:] == ["categories.json", "splits.json"] and len(names) == 9  # folder, 6 images, 2 documents
    cats = json.loads((tmp_path / "annotations" / "categories.json").read_text())
    assert cats["image_condition"] == ["stem00-clean"] and cats["radius"]["angstrom"] == 0.5
    assert np.asarray(registry.EXPORT_DEFAULTS["image_condition"]).tolist() == ["stem00-clean"]
