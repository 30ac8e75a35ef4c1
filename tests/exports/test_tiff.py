"""The 'tiff' export read back by tifffile: resolution tags and ImageJ metadata give the
pixel size in nm, float32 keeps the image, uint16 gives it back within half a step."""

import json

import numpy as np
import pytest

from exports_testdata import N, NAMES, make_item, write_items

from synthstem.exports import export_dataset, export_item

tifffile = pytest.importorskip("tifffile", reason="tifffile is not installed (pip install 'synthstem[formats]')")

CONDITIONS = ["stem00-clean", "stem00-dfct1"]
PIXEL_NM = 13 / N / 10


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiff")
    write_items(root / "items")
    return root


def _read(path):
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        tags = {t.name: t.value for t in page.tags}
        return page.asarray(), tags, tif.imagej_metadata, tif.is_imagej


@pytest.mark.parametrize("dtype", ["float32", "uint16"])
def test_tifffile_reads_the_pixel_size_unit_image_and_parameters(dataset, dtype):
    report = export_dataset(dataset, exports=["tiff"], image_condition=CONDITIONS, tiff_dtype=dtype)
    files = sorted((dataset / "annotations" / "all_tiff").glob("*.tif"))
    assert len(files) == report["n_images"] == len(NAMES) * len(CONDITIONS)
    for path in files:
        name, cond = path.stem.split("-", 1)
        item = make_item(name, NAMES.index(name))
        data, tags, ij, is_imagej = _read(path)
        assert is_imagej and data.dtype == np.dtype(dtype) and data.shape == (N, N)
        # the resolution tags (pixels per unit, a rational) and ImageJ's unit give the pixel size
        for key in ("XResolution", "YResolution"):
            num, den = tags[key]
            assert den / num == pytest.approx(PIXEL_NM, rel=1e-9)
        assert int(tags["ResolutionUnit"]) == 1 and ij["unit"] == "nm"
        assert ij["Labels"] == f"SrTiO3 [001] {cond}"
        doc = json.loads(ij["Info"])
        assert doc["pixel_size_nm"] == pytest.approx(PIXEL_NM) and doc["dtype"] == dtype
        np.testing.assert_allclose(doc["labels"]["x_px"], item.columns["xy"][:, 0])
        assert doc["labels"]["class"] == list(item.columns["label"])
        assert doc["parameters"]["params"]["params"] == item.params
        assert doc["parameters"]["condition"] == cond
        image = item.images[cond].astype(np.float64)
        if dtype == "float32":
            np.testing.assert_array_equal(data, item.images[cond])
        else:
            # ImageJ's straight-line calibration (cf=0) and the Info both give the values back
            assert ij["cf"] == 0 and ij["c0"] == doc["uint16"]["offset"] == pytest.approx(image.min())
            step = ij["c1"]
            assert step == doc["uint16"]["step"] == pytest.approx((image.max() - image.min()) / 65535)
            assert data.min() == 0 and data.max() == 65535
            np.testing.assert_allclose(ij["c0"] + step * data.astype(np.float64), image, atol=step / 2 * (1 + 1e-9))


def test_the_same_export_gives_the_same_bytes_and_a_bad_dtype_is_one_line():
    item = make_item(NAMES[1], 1)
    a = export_item(item, ["tiff"])["files"][f"all_tiff/{NAMES[1]}-stem00-clean.tif"]
    b = export_item(item, ["tiff"])["files"][f"all_tiff/{NAMES[1]}-stem00-clean.tif"]
    assert a == b and a[:2] == b"II"
    with pytest.raises(ValueError, match=r"tiff_dtype must be one of \['float32', 'uint16'\], got 'uint8'"):
        export_item(item, ["tiff"], tiff_dtype="uint8")


def test_an_item_without_a_pixel_size_gets_no_resolution(tmp_path):
    item = make_item(NAMES[0], 0)
    item.attrs.pop("angstrom_xy")
    path = tmp_path / "a.tif"
    path.write_bytes(export_item(item, ["tiff"])["files"][f"all_tiff/{NAMES[0]}-stem00-clean.tif"])
    data, tags, ij, _ = _read(path)
    assert ij["unit"] == "pixel" and json.loads(ij["Info"])["pixel_size_nm"] is None
    np.testing.assert_array_equal(data, item.images["stem00-clean"])
