"""io.micrographs: image formats, the TIFF pixel size, label CSVs and their one-line errors."""

import numpy as np
import pytest

from synthstem.io.micrographs import find_images, read_micrograph, read_points


def test_tiff_pixel_size_from_imagej_tags(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    img = np.arange(12, dtype=np.uint32).reshape(3, 4)
    # 34.13 px per nm -> 0.293 Angstrom per pixel, as the real AC-STEM files
    tifffile.imwrite(tmp_path / "a.tif", img, resolution=(34.13, 34.13), metadata=None,
                     description="ImageJ=1.11a\nunit=nm")
    out, ps = read_micrograph(tmp_path / "a.tif")
    np.testing.assert_array_equal(out, img)
    assert out.dtype == np.float64 and ps == pytest.approx(10 / 34.13, rel=1e-4)


def test_npy_and_errors(tmp_path):
    np.save(tmp_path / "a.npy", np.ones((4, 5)))
    assert read_micrograph(tmp_path / "a.npy")[0].shape == (4, 5)
    np.save(tmp_path / "b.npy", np.ones((4, 5, 2)))
    with pytest.raises(ValueError, match="expected a 2-D numeric image"):
        read_micrograph(tmp_path / "b.npy")
    with pytest.raises(FileNotFoundError):
        read_micrograph(tmp_path / "missing.npy")
    with pytest.raises(ValueError, match="no image files"):
        find_images([])


def test_points(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text(" ,X,Y\n1,152,351\n2,174.5,332\n")
    np.testing.assert_array_equal(read_points(p), [[152, 351], [174.5, 332]])
    p.write_text(",X,Y\n")
    assert read_points(p).shape == (0, 2)
    p.write_text("x,y\n1,2\n")
    with pytest.raises(ValueError, match="needs columns 'X' and 'Y'"):
        read_points(p)
    p.write_text("X,Y\n1,inf\n")
    with pytest.raises(ValueError, match="finite"):
        read_points(p)
    p.write_bytes(b"\xff\xfe\x00X")
    with pytest.raises(ValueError):
        read_points(p)
