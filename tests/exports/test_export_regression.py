"""The registry's exports equal v0.1's: every file of three export runs has the content
recorded with the pre-registry ``synthstem.labels.export`` (baseline_digests.json, made by
make_export_fixture.py)."""

import json
import shutil
from pathlib import Path

import pytest
from exports_testdata import RUNS, digests, write_items

from synthstem.exports import export_dataset

BASELINE = json.loads(Path(__file__).with_name("baseline_digests.json").read_text())


@pytest.fixture(scope="module")
def items(tmp_path_factory):
    folder = tmp_path_factory.mktemp("items")
    write_items(folder)
    return folder


@pytest.mark.parametrize("name", sorted(RUNS))
def test_exports_equal_the_v0_1_exports(name, items, tmp_path):
    shutil.copytree(items, tmp_path / "items")
    export_dataset(tmp_path, workers=2 if name.startswith("all") else 1, **RUNS[name])
    got, want = digests(tmp_path), BASELINE[name]
    assert sorted(got) == sorted(want)
    assert [k for k in want if got[k] != want[k]] == []
