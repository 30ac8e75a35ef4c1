"""The 'store' export: a run with exports = ["store"] writes annotations/store.h5, read
by open_dataset with the same samples as the item files."""

import h5py
import ml_data

from synthstem.exports import export_item
from synthstem.loaders import open_dataset
from synthstem.runs.config import load_config
from synthstem.runs.run import run_dataset

CONFIG = """
[run]
seed = 5
[simulation]
method = "incoherent"
pixels = 32
size = 8.0
[output]
conditions = ["raw", "clean", "dfct1"]
exports = ["store"]
export_conditions = ["stem00-clean"]
[output.augment]
variants = 1
[[structures]]
prototype = "perovskite/SrTiO3"
uvw = [[0, 0, 1], [1, 1, 0]]
"""


def test_run_writes_the_store_with_the_samples_of_the_item_files(tmp_path):
    (tmp_path / "c.toml").write_text(CONFIG)
    out = tmp_path / "data"
    report = run_dataset(load_config(tmp_path / "c.toml"), out, workers=1, progress=False)
    assert report.ok, report.failed
    store = out / "annotations" / "store.h5"
    assert store.is_file()
    assert not (out / "augmented" / "store.h5").exists()  # the store is the dataset's, once
    a = open_dataset(out)
    assert len(a) == 4  # 2 items x clean, dfct1
    ml_data.assert_same_samples(a, open_dataset(store))
    with h5py.File(store) as f:
        assert f.attrs["source"] == ".."  # the dataset folder, relative: the bytes do not depend on it


def test_export_item_writes_no_store(tmp_path):
    from synthstem.io.hdf5 import read_item

    (tmp_path / "c.toml").write_text(CONFIG.replace("exports = [\"store\"]", "exports = []"))
    out = tmp_path / "data"
    assert run_dataset(load_config(tmp_path / "c.toml"), out, workers=1, progress=False).ok
    item = read_item(sorted((out / "items").glob("*.h5"))[0])
    result = export_item(item, ["store"])
    assert result["documents"] == {"store": {}}
    assert not any("store" in name for name in result["files"])
