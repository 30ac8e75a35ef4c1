"""The 'hspy' export read back by rosettasciio and HyperSpy: calibrated axes, title,
labels, markers and parameters."""

import json
import shutil

import numpy as np
import pytest

from exports_testdata import N, NAMES, make_item, write_items

from synthstem.exports import export_dataset, export_item

rsciio_hspy = pytest.importorskip("rsciio.hspy", reason="rosettasciio is not installed (pip install 'synthstem[formats]')")

CONDITIONS = ["stem00-clean", "stem00-dfct1"]
PIXEL_NM = 13 / N / 10  # angstrom_xy 13 over N pixels, in nm


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("hspy")
    write_items(root / "items")
    report = export_dataset(root, exports=["hspy", "coco"], image_condition=CONDITIONS,
                            splits={"by": "structure", "test_fraction": 0.3, "few_shot": False})
    return root, report


def _files(root):
    return sorted((root / "annotations").glob("*_hspy/*.hspy"))


def test_rosettasciio_reads_calibrated_axes_data_labels_and_parameters(exported):
    root, report = exported
    files = _files(root)
    assert len(files) == report["n_images"] == len(NAMES) * len(CONDITIONS)
    coco = {}
    for split in report["splits"]:
        doc = json.loads((root / "annotations" / "RLE_annotations" / f"{split}_annotations_with_class.json").read_text())
        coco.update({c["name"]: c["id"] for c in doc["categories"]})
    for path in files:
        sig = rsciio_hspy.file_reader(str(path))[0]
        name, cond = path.stem.split("-", 1)
        k = NAMES.index(name)
        item = make_item(name, k)
        # axes: y then x, scale = pixel size [nm], offset 0, units nm
        assert [a["name"] for a in sig["axes"]] == ["y", "x"]
        for axis in sig["axes"]:
            assert axis["scale"] == pytest.approx(PIXEL_NM, rel=1e-12)
            assert axis["offset"] == 0 and axis["units"] == "nm" and axis["size"] == N
        np.testing.assert_array_equal(sig["data"], item.images[cond])
        assert sig["metadata"]["General"]["title"] == f"SrTiO3 [001] {cond}"
        labels = sig["metadata"]["synthstem"]["labels"]
        xy = np.asarray(item.columns["xy"])
        np.testing.assert_allclose(labels["x"], xy[:, 0] * PIXEL_NM, rtol=1e-12)
        np.testing.assert_allclose(labels["y"], xy[:, 1] * PIXEL_NM, rtol=1e-12)
        assert list(labels["class"]) == list(item.columns["label"])
        assert list(labels["class_id"]) == [coco[c] for c in item.columns["label"]]
        # the item's bbox_px [25, 26, 10, 8] is in the pixel-centre frame, that of the axes
        want_boxes = [[25.0, 26.0, 10.0, 8.0]] if cond == "stem00-dfct1" else np.zeros((0, 4))
        np.testing.assert_allclose(np.reshape(labels["defect_boxes"], (-1, 4)),
                                   np.asarray(want_boxes).reshape(-1, 4) * PIXEL_NM)
        assert sig["metadata"]["synthstem"]["split"] in ("train", "test")
        params = json.loads(sig["original_metadata"]["synthstem_json"])
        assert params["params"]["params"] == item.params and params["params"]["seed"] == item.seed
        assert params["pixel_size_angstrom"] == pytest.approx(13 / N)
        tree = sig["original_metadata"]["synthstem"]
        assert tree["attrs"]["chemical_formula"] == "'Sr Ti O3'"
        assert tree["params"]["structure"]["prototype"] == f"proto{k % 3}"


def test_hyperspy_loads_the_scale_and_the_class_and_defect_markers(exported):
    hs = pytest.importorskip("hyperspy.api", reason="hyperspy is not installed (only rosettasciio is tested)")
    root, _ = exported
    paths = _files(root)[:2]  # one item's clean and dfct1 images
    assert [p.stem.split("-", 1)[1] for p in paths] == CONDITIONS
    for path in paths:
        _check_hyperspy(hs, path)


def _check_hyperspy(hs, path):
    s = hs.load(path)
    assert s.data.shape == (N, N) and s.axes_manager.signal_dimension == 2
    for axis in s.axes_manager.signal_axes:
        assert axis.scale == pytest.approx(PIXEL_NM) and axis.units == "nm" and axis.offset == 0
    assert s.axes_manager.signal_axes[0].name == "x"
    name = path.stem.split("-", 1)[0]
    item = make_item(name, NAMES.index(name))
    xy, labels = np.asarray(item.columns["xy"]), np.asarray(item.columns["label"])
    markers = {m.name: m for _, m in s.metadata.Markers}  # HyperSpy slugs the keys ('O+Ti' -> 'OTi')
    defect = markers.pop("defect", None)
    assert sorted(markers) == sorted(set(labels))
    assert (defect is not None) == path.stem.endswith("dfct1")
    if defect is not None:  # the box as a rectangle: centre and size in nm
        assert type(defect).__name__ == "Rectangles"
        np.testing.assert_allclose(defect.kwargs["offsets"], [[(25 + 5) * PIXEL_NM, (26 + 4) * PIXEL_NM]])
        np.testing.assert_allclose([defect.kwargs["widths"][0], defect.kwargs["heights"][0]],
                                   [10 * PIXEL_NM, 8 * PIXEL_NM])
    for name in set(labels):
        m = markers[name]
        assert type(m).__name__ == "Points"
        np.testing.assert_allclose(m.kwargs["offsets"], xy[labels == name] * PIXEL_NM)
    # the axes map pixel indices to calibrated positions: a column's pixel is its position / scale
    x_nm, y_nm = xy[0] * PIXEL_NM
    ix, iy = s.axes_manager.signal_axes[0].value2index(x_nm), s.axes_manager.signal_axes[1].value2index(y_nm)
    assert (ix, iy) == tuple(np.rint(xy[0]).astype(int))


def test_the_files_do_not_depend_on_the_run(exported, tmp_path):
    root, _ = exported
    shutil.copytree(root / "items", tmp_path / "items")
    export_dataset(tmp_path, exports=["hspy", "coco"], image_condition=CONDITIONS,
                   splits={"by": "structure", "test_fraction": 0.3, "few_shot": False}, workers=2)
    for path in _files(root):
        assert (tmp_path / path.relative_to(root)).read_bytes() == path.read_bytes()


def test_export_item_keeps_the_files_in_memory():
    files = export_item(make_item(NAMES[0], 0), ["hspy"], image_condition=CONDITIONS)["files"]
    assert sorted(f for f in files if f.endswith(".hspy")) == [
        f"all_hspy/{NAMES[0]}-{c}.hspy" for c in CONDITIONS]
    assert files[f"all_hspy/{NAMES[0]}-stem00-clean.hspy"][:8] == b"\x89HDF\r\n\x1a\n"


def test_a_missing_rosettasciio_is_one_line_naming_the_extra(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "rsciio" else real(name, *a))
    with pytest.raises(ValueError, match=r"needs rosettasciio, which is not installed: pip install 'synthstem\[formats\]'"):
        export_item(make_item(NAMES[0], 0), ["hspy"])


def test_an_item_without_a_pixel_size_gets_pixel_axes(tmp_path):
    item = make_item(NAMES[0], 0)
    item.attrs.pop("angstrom_xy")
    data = export_item(item, ["hspy"])["files"][f"all_hspy/{NAMES[0]}-stem00-clean.hspy"]
    (tmp_path / "a.hspy").write_bytes(data)
    sig = rsciio_hspy.file_reader(str(tmp_path / "a.hspy"))[0]
    assert [(a["scale"], a["units"]) for a in sig["axes"]] == [(1.0, "px"), (1.0, "px")]
    np.testing.assert_allclose(sig["metadata"]["synthstem"]["labels"]["x"], item.columns["xy"][:, 0])
