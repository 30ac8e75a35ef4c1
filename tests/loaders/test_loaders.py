import json
import multiprocessing as mp
import os
import pickle

import numpy as np
import pytest
from PIL import Image

import ml_data
import synthstem
from synthstem.loaders import collate, open_dataset, write_store


def _split_of(tiny):
    return json.loads((tiny / "annotations" / "splits.json").read_text())["items"]


def test_targets_equal_the_exported_files(tiny):
    """Masks, heatmaps, peak maps, columns and boxes equal the exports of the same run,
    for a clean, a defect and a drifting image (columns moved with the recorded drift)."""
    ds = open_dataset(tiny, conditions=["clean", "dfct1", "drifty"])
    assert len(ds) == 6 and ds.classes == ["Au", "O", "O+Ti", "Sr"] and ds.elements == ["Au", "O", "Sr", "Ti"]
    split = _split_of(tiny)
    ann = tiny / "annotations"
    boxes = json.loads((ann / "boxes" / "all_defect_boxes.json").read_text())
    cats = {c["name"]: c["id"] for c in json.loads((ann / "categories.json").read_text())["categories"]}
    n_boxes = 0
    for i in range(len(ds)):
        s = ds[i]
        side = split[s["item"]]
        sem = np.asarray(Image.open(ann / f"{side}_semantic_masks" / f"{s['name']}.png"))
        # our ids are class index + 1; the export's are its category ids: map by name
        ours = np.zeros_like(sem, dtype=np.int64)
        for k, c in enumerate(ds.classes):
            ours[s["mask"] == k + 1] = cats[c]
        np.testing.assert_array_equal(ours, sem)
        h = np.load(ann / f"{side}_heatmaps" / f"{s['name']}.npz")
        for e in h["elements"]:  # stored as float16: steps below 1e-3
            np.testing.assert_allclose(s["heatmaps"][ds.elements.index(str(e))],
                                       h[f"heatmap_{e}"].astype(np.float32), atol=1e-3)
        np.testing.assert_allclose(s["xy"], h["xy"], atol=1e-5)
        assert list(s["labels"]) == [str(v) for v in h["labels"]]
        np.testing.assert_array_equal(s["peak_map"], h["peak_map"])
        np.testing.assert_allclose(s["boxes"], np.asarray(boxes[s["name"] + ".png"]).reshape(-1, 4), atol=0.01)
        n_boxes += len(s["boxes"])
        assert s["image"].dtype == np.float32 and s["image"].shape == (64, 64)
        assert s["params"]["attrs"]["angstrom_xy"] == "12"
        assert s["pixel_size"] == pytest.approx(12.0 / 64)
    assert n_boxes == 2  # the two dfct1 images have one defect each, the others none
    clean, drifty = ds[ds.names.index("000001.000001-stem00-clean")], ds[ds.names.index("000001.000001-stem00-drifty")]
    assert 0.1 < np.abs(drifty["xy"] - clean["xy"]).max() < 5  # moved by the drift


def test_conditions_targets_and_errors(tiny):
    assert synthstem.open_dataset is open_dataset
    assert len(open_dataset(tiny)) == 2 * 4  # every image but raw
    assert len(open_dataset(tiny, conditions=["raw", "stem00-blbk1"])) == 4
    ds = open_dataset(tiny, conditions="clean", target=None)
    assert ds.names == sorted(ds.names) and all(n.endswith("-stem00-clean") for n in ds.names)
    assert set(ds[0]) == {"image", "name", "item", "condition", "pixel_size"}
    assert set(open_dataset(tiny, conditions="clean", target="boxes")[-1]) >= {"boxes"}
    with pytest.raises(ValueError, match="conditions: \\['nope'\\]"):
        open_dataset(tiny, conditions=["clean", "nope"])
    with pytest.raises(ValueError, match="target: unknown \\['mask2'\\]"):
        open_dataset(tiny, target=["mask2"])
    with pytest.raises(FileNotFoundError, match="dataset folder not found"):
        open_dataset(tiny / "missing")
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_store_gives_the_same_samples(tiny, tmp_path):
    path = write_store(tiny, tmp_path / "tiny.h5")
    ml_data.assert_same_samples(open_dataset(tiny), open_dataset(path))
    assert open_dataset(path, conditions="dfct1").names == open_dataset(tiny, conditions="dfct1").names
    with pytest.raises(ValueError, match="subset"):
        open_dataset(path, subset="items")


def test_store_errors_leave_no_file(tiny, tmp_path):
    with pytest.raises(ValueError, match="nope"):
        write_store(tiny, tmp_path / "s.h5", conditions=["nope"])
    with pytest.raises(ValueError, match="compression"):
        write_store(tiny, tmp_path / "s.h5", compression="zstd")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "x.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="not a synthstem store"):
        open_dataset(tmp_path / "x.h5")


def _read_in_worker(args):
    ds, i = args
    s = ds[i]
    return os.getpid(), s["name"], s["image"], s["mask"]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_pickled_dataset_reads_in_worker_processes(tiny, method):
    """The DataLoader protocol without torch: the dataset, already used (files open in this
    process), is pickled to 2 worker processes that open their own handles."""
    ds = open_dataset(tiny, conditions=["clean", "blbk1"], target=["mask"])
    expected = [ds[i] for i in range(len(ds))]  # opens the files here first
    pickle.dumps(ds)  # no h5py handle inside
    with mp.get_context(method).Pool(2) as pool:
        got = pool.map(_read_in_worker, [(ds, i) for i in range(len(ds))], chunksize=1)
    assert {pid for pid, *_ in got} - {os.getpid()}  # read in the workers
    for e, (_, name, image, mask) in zip(expected, got):
        assert e["name"] == name
        np.testing.assert_array_equal(e["image"], image)
        np.testing.assert_array_equal(e["mask"], mask)


def test_torch_dataloader_two_workers(tiny, tmp_path):
    if os.environ.get("CI"):
        import torch  # on CI a missing torch is a failure
    else:
        torch = pytest.importorskip("torch", reason="torch is not installed (the optional extra "
                                    "synthstem[ml]; .ci/run installs it)")
    from torch.utils.data import DataLoader

    for path in (tiny, write_store(tiny, tmp_path / "s.h5")):
        ds = open_dataset(path, target=["columns", "mask", "heatmaps", "boxes"])
        loader = DataLoader(ds, batch_size=2, num_workers=2, collate_fn=collate, shuffle=False)
        names = []
        for batch in loader:
            assert batch["image"].shape == (2, 64, 64) and batch["mask"].shape == (2, 64, 64)
            assert batch["heatmaps"].shape == (2, len(ds.elements), 64, 64)
            assert len(batch["xy"]) == 2 and all(x.shape[1] == 2 for x in batch["xy"])
            torch.from_numpy(batch["image"])  # ready for a model
            for k, name in enumerate(batch["name"]):
                np.testing.assert_array_equal(batch["image"][k], ds[len(names)]["image"])
                names.append(name)
        assert names == ds.names


def test_semantic_mask_equals_the_plain_nearest_column_rule():
    """Every pixel against every column (the obviously correct, slow version)."""
    from synthstem.loaders.targets import semantic_mask

    rng = np.random.default_rng(2)
    xy = rng.uniform(-3, 40, (60, 2))
    ids = rng.integers(1, 5, 60)
    radius = 3.3
    rows, cols = np.mgrid[0:37, 0:41]
    d = np.hypot(cols[..., None] - xy[:, 0], rows[..., None] - xy[:, 1])  # (37, 41, 60)
    nearest = np.argmin(d, axis=-1)
    expected = np.where(d.min(axis=-1) <= radius, ids[nearest], 0)
    np.testing.assert_array_equal(semantic_mask(xy, ids, (37, 41), radius), expected)
