"""HDF5 items: the atomagined layout, reference-style access, round trip, atomic writes."""

import h5py
import numpy as np
import pytest

from synthstem.structures.columns import Columns
from synthstem.io.hdf5 import (ROOT_ATTRS, Item, format_formula, format_size, format_triple,
                               parse_triple, read_item, root_attrs, write_item)


@pytest.fixture
def reference_file(tmp_path):
    """A tiny file laid out exactly as the public atomagined files (h5py, ASCII vlen attrs)."""
    path = tmp_path / "020790.000201.h5"
    rng = np.random.default_rng(0)
    ascii_str = h5py.string_dtype("ascii")
    with h5py.File(path, "w") as f:
        for key, value in [("angstrom_xy", "26"), ("chemical_formula", "'Lu Ni Sn2'"),
                           ("hkl_plane", "(0.0, 38.0366, 205.779)"), ("icsd_collcode", "20790"),
                           ("uvw_direction", "(0.0, 2.0, 1.0)")]:
            f.attrs.create(key, value, dtype=ascii_str)
        f.create_dataset("haadf/peak_map_clean", data=rng.random((16, 16)) > 0.9)
        f.create_dataset("haadf/raw", data=rng.random((16, 16)) * 0.01)
        f.create_dataset("haadf/stem00-blbk1", data=rng.random((16, 16)).astype(np.float32))
        f.create_dataset("haadf/stem00-clean", data=rng.random((16, 16)).astype(np.float32))
        f.create_dataset("projection/full_coords", data=rng.random((7, 2)).astype(np.float32) * 16)
    return path


def _item(n=16, with_extras=True):
    rng = np.random.default_rng(1)
    raw = rng.random((n, n)) * 0.01
    item = Item(
        name="000007.000001",
        attrs=root_attrs(12.0, "Sr Ti O3", (0.0, 0.0, 15.249), 7, (0, 0, 1)),
        raw=raw,
        images={"stem00-clean": rng.random((n, n)).astype(np.float32),
                "stem01-comb1": rng.random((n, n)).astype(np.float32)},
        peak_maps={"clean": raw > 0.009, "dfct1": raw > 0.0095},
        full_coords=(rng.random((5, 2)) * n).astype(np.float32),
        extra_coords={"dlo_coords": (rng.random((4, 2)) * n).astype(np.float32)},
    )
    if with_extras:
        item.columns = Columns(xy=rng.random((3, 2)) * n, label=["Sr", "O+Ti", "O"],
                               counts=np.array([3, 6, 3]), z_sum=np.array([114.0, 90.0, 24.0]),
                               atom_indices=[np.array([0, 1, 2]), np.array([3, 4, 5, 6, 7, 8]),
                                             np.array([9, 10, 11])])
        item.numbers = np.array([38, 22, 8, 8, 8])
        item.defects = [{"kind": "vacancy", "level": 1, "bbox_px": [1.0, 2.0, 3.0, 4.0],
                         "condition": "stem00-dfct1"}]
        item.params = {"simulation": {"method": "incoherent", "pixels": n}, "nested": [1, 2.5, "x"]}
        item.seed = {"run_seed": 3, "item_index": 5}
        item.version = "0.1.0"
    return item


def test_reference_layout_reads(reference_file):
    item = read_item(reference_file)
    assert item.name == "020790.000201"
    assert item.attrs["chemical_formula"] == "'Lu Ni Sn2'"
    assert item.attrs["uvw_direction"] == "(0.0, 2.0, 1.0)"
    assert set(item.images) == {"stem00-clean", "stem00-blbk1"}
    assert set(item.peak_maps) == {"clean"}
    assert item.raw.dtype == np.float64 and item.full_coords.shape == (7, 2)
    assert item.columns is None and item.params == {} and item.seed is None


def test_ours_reads_like_the_reference(tmp_path, reference_file):
    path = write_item(tmp_path / "000007.000001.h5", _item())
    with h5py.File(path, "r") as ours, h5py.File(reference_file, "r") as ref:
        for f in (ours, ref):
            assert f["haadf"]["stem00-clean"].dtype == np.float32
            assert f["haadf"]["raw"].dtype == np.float64
            assert f["haadf"]["peak_map_clean"].dtype == bool
            assert f["projection"]["full_coords"].dtype == np.float32
            assert isinstance(f.attrs["uvw_direction"], str)
            for key in ROOT_ATTRS:
                aid = f.attrs.get_id(key)
                assert aid.get_type().is_variable_str() and aid.shape == ()
                assert aid.get_type().get_cset() == h5py.h5t.CSET_ASCII
        assert ours.attrs["uvw_direction"] == "(0.0, 0.0, 1.0)"
        assert ours.attrs["chemical_formula"] == "'Sr Ti O3'"
        assert ours.attrs["icsd_collcode"] == "7"
        assert ours.attrs["angstrom_xy"] == "12"
        # our extras stay out of the reference names
        assert set(ours.attrs) - set(ROOT_ATTRS) == {"synthstem_version"}
        assert set(ours) == {"haadf", "projection", "synthstem"}


def test_round_trip_every_field(tmp_path):
    item = _item()
    back = read_item(write_item(tmp_path / f"{item.name}.h5", item))
    assert back.name == item.name and back.attrs == item.attrs
    np.testing.assert_array_equal(back.raw, item.raw)
    assert back.raw.dtype == np.float64
    assert set(back.images) == set(item.images)
    for k in item.images:
        np.testing.assert_array_equal(back.images[k], item.images[k])
        assert back.images[k].dtype == np.float32
    for k in item.peak_maps:
        np.testing.assert_array_equal(back.peak_maps[k], item.peak_maps[k])
        assert back.peak_maps[k].dtype == bool
    np.testing.assert_array_equal(back.full_coords, item.full_coords)
    np.testing.assert_array_equal(back.extra_coords["dlo_coords"], item.extra_coords["dlo_coords"])
    cols = back.columns
    assert isinstance(cols, Columns)  # always typed, never a dict
    np.testing.assert_array_equal(cols.xy, item.columns.xy)
    assert list(cols.label) == item.columns.label
    np.testing.assert_array_equal(cols.counts, item.columns.counts)
    np.testing.assert_array_equal(cols.z_sum, item.columns.z_sum)
    assert len(cols.atom_indices) == len(item.columns.atom_indices)
    for a, b in zip(cols.atom_indices, item.columns.atom_indices):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back.numbers, item.numbers)
    assert back.defects == item.defects
    assert back.params == item.params
    assert back.seed == item.seed and back.version == item.version


def test_write_is_atomic_and_deterministic(tmp_path):
    item = _item()
    a = write_item(tmp_path / "a" / "x.h5", item).read_bytes()
    b = write_item(tmp_path / "b" / "x.h5", item).read_bytes()
    assert a == b  # no timestamps: same item, same bytes
    bad = _item()
    bad.images["stem00-clean"] = np.zeros((3, 3), np.float32)
    with pytest.raises(ValueError, match="stem00-clean"):
        write_item(tmp_path / "c" / "x.h5", bad)
    assert not (tmp_path / "c" / "x.h5").exists()
    assert not list((tmp_path / "c").glob("*.tmp")) if (tmp_path / "c").exists() else True


def test_atomagined_text_style():
    assert format_formula("Sb") == "Sb"
    assert format_formula("Lu Ni Sn2") == "'Lu Ni Sn2'"
    assert format_formula("K2 (Mo4 O13)") == "'K2 (Mo4 O13)'"
    assert format_triple((0, 38.03661, 205.7791)) == "(0.0, 38.0366, 205.779)"
    assert format_triple((0, 2, 1)) == "(0.0, 2.0, 1.0)"
    assert format_triple((-0.0, -1, 0)) == "(0.0, -1.0, 0.0)"
    assert parse_triple("(0.0, 2.0, 1.0)") == (0.0, 2.0, 1.0)
    assert format_size(26.0) == "26" and format_size(12.5) == "12.5"
    assert root_attrs(26, "Sb", (0, 0, 8.91619), 52227, (0, 0, 1))["icsd_collcode"] == "52227"


def test_read_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_item(tmp_path / "nope.h5")
    with h5py.File(tmp_path / "empty.h5", "w"):
        pass
    with pytest.raises(ValueError, match="haadf/raw"):
        read_item(tmp_path / "empty.h5")


def test_columns_are_typed(tmp_path):
    """Columns are written from Columns (or a dict of exactly its fields) and always read as Columns."""
    fields = {"xy": np.array([[1.0, 2.0]]), "label": ["Sr"], "counts": np.array([2]),
              "z_sum": np.array([76.0]), "atom_indices": [np.array([0, 1])]}
    item = Item(name="x", attrs=root_attrs(10.0, "Sr Ti O3", (0, 0, 1), 1, (0, 0, 1)),
                raw=np.zeros((4, 4)), full_coords=np.zeros((0, 2), np.float32), columns=dict(fields))
    back = read_item(write_item(tmp_path / "x.h5", item))
    assert isinstance(back.columns, Columns)
    np.testing.assert_array_equal(back.columns.xy, fields["xy"])
    item.columns = dict(fields, extra=1)
    with pytest.raises(ValueError, match="columns.*extra"):
        write_item(tmp_path / "y.h5", item)
    item.columns = [1, 2]
    with pytest.raises(ValueError, match="columns must be"):
        write_item(tmp_path / "y.h5", item)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.h5"]  # nothing half-written
