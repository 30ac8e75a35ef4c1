"""Scene labels: generalised merge_columns (labelled atoms only, classes, instances,
markers), the HDF5 round trip, COCO groups, and [scene] config errors naming the key."""

import numpy as np
import pytest
from ase import Atoms

from synthstem.io.hdf5 import Item, read_item, root_attrs, write_item
from synthstem.labels.coco import image_instances
from synthstem.runs.config import load_config
from synthstem.scenes import INSTANCE_KEY, SITE_KEY, Markers
from synthstem.structures.columns import merge_columns


def _labelled():
    a = Atoms("CCPtPtAu", positions=[[1, 1, 1], [5, 5, 2], [2, 2, 1], [2.1, 2.0, 4], [7, 7, 3]],
              cell=[10, 10, 10], pbc=True)
    a.set_array(SITE_KEY, np.array(["", "", "Pt", "Pt_x", "Au"]))
    a.set_array(INSTANCE_KEY, np.array([-1, -1, 3, 3, 5]))
    return a


def test_merge_columns_groups_only_labelled_atoms_and_labels_by_class():
    cols = merge_columns(_labelled(), 100)
    assert cols.label == ["Pt+Pt_x", "Au"]
    assert cols.counts.tolist() == [2, 1] and cols.z_sum.tolist() == [156.0, 79.0]
    assert cols.instance.tolist() == [3, 5] and cols.depth.tolist() == [2.5, 3.0]
    assert [g.tolist() for g in cols.atom_indices] == [[2, 3], [4]]


def test_markers_are_label_only_columns():
    m = Markers(xyz=np.array([[4.0, 4.0, 1.0]]), label=["S_vacancy"], instance=np.array([-1]))
    cols = merge_columns(_labelled(), 100, markers=m)
    assert cols.label == ["Pt+Pt_x", "S_vacancy", "Au"]
    assert cols.counts.tolist() == [2, 0, 1] and len(cols.atom_indices[1]) == 0


def test_bulk_columns_are_unchanged():
    a = Atoms("SrTi", positions=[[1, 1, 1], [3, 3, 1]], cell=[5, 5, 5], pbc=True)
    cols = merge_columns(a, 50)
    assert cols.label == ["Sr", "Ti"] and cols.instance is None and cols.depth is None


def test_hdf5_round_trip_of_instances_and_files_without_them(tmp_path):
    cols = merge_columns(_labelled(), 100)
    item = Item(name="000001.000001", attrs=root_attrs(10.0, "C", (0, 0, 1), 1, (0, 0, 1)),
                raw=np.zeros((100, 100)), full_coords=np.zeros((5, 2)), columns=cols)
    back = read_item(write_item(tmp_path / "a.h5", item)).columns
    assert back.instance.tolist() == [3, 5] and back.depth.tolist() == [2.5, 3.0] and back.label == cols.label
    cols.instance = cols.depth = None
    back = read_item(write_item(tmp_path / "b.h5", item)).columns
    assert back.instance is None and back.depth is None


def test_coco_groups_make_one_instance_per_cluster():
    xy = np.array([[10.0, 10.0], [14.0, 10.0], [30.0, 30.0], [40.0, 40.0]])
    insts = image_instances(xy, ["Pt", "Pt", "Pt", "Au"], (64, 64), 2.0, groups=np.array([7, 7, -1, 2]))
    assert [(i["label"], i["instance"]) for i in insts] == [("Pt", 7), ("Pt", -1), ("Au", 2)]
    single = image_instances(xy[:2], ["Pt", "Pt"], (64, 64), 2.0)
    assert insts[0]["area"] == sum(i["area"] for i in single)
    assert insts[0]["center"] == [12.5, 10.5]


BASE = {"simulation": {"pixels": 64, "size": 30.0}, "output": {"conditions": ["raw", "clean"]}}


@pytest.mark.parametrize("scene, extra, match", [
    ({"kind": "supported", "thicknes": 40}, {}, r"scene\.thicknes: unknown parameter"),
    ({"kind": "supported", "size": 40}, {}, r"scene\.size: set by simulation\.size"),
    ({"kind": "nope"}, {}, r"scene\.kind: unknown scene kind"),
    ({"kind": "supported", "thickness": {"uniform": [50, 10]}}, {}, r"scene\.thickness"),
    ({"kind": "supported"}, {"structures": [{"prototype": "perovskite"}]}, "either"),
    ({"kind": "supported"}, {"output": {"conditions": ["raw", "dfct1"]}}, "point-defect"),
])
def test_scene_config_errors_name_the_key(scene, extra, match):
    with pytest.raises(ValueError, match=match):
        load_config({**BASE, **extra, "scene": scene})


def test_scene_config_default_method_and_explicit_method():
    assert load_config({**BASE, "scene": {"kind": "supported"}}).simulation.method == "incoherent"
    cfg = {**BASE, "simulation": {**BASE["simulation"], "method": "multislice"}, "scene": {"kind": "supported"}}
    assert load_config(cfg).simulation.method == "multislice"


def test_config_show_round_trips_a_scene_and_leaves_crystal_configs_as_they_were(tmp_path):
    import tomllib

    from synthstem.runs.toml import to_toml

    cfg = load_config({**BASE, "scene": {"kind": "supported", "items": 3, "thickness": {"uniform": [30, 60]},
                                         "hole_radius": [4.0, 6.0], "heavy": {"Pt": 1.0}}})
    again = load_config(tomllib.loads(to_toml(cfg)))
    assert again.scene == cfg.scene and again.to_dict() == cfg.to_dict()
    crystal = load_config({"structures": [{"prototype": "perovskite"}]})
    assert "scene" not in crystal.to_dict() and "[scene]" not in to_toml(crystal)
