"""Tiny runs of the nanoparticle, monolayer and interface scenes: the scene's classes,
instances and markers reach the item files and the loader (incoherent, 64 px, to stay
cheap; the configs in configs/ are checked by tests/scenes/test_scene_configs_build.py)."""

import numpy as np
import pytest

from synthstem.io.hdf5 import read_item
from synthstem.io.validate import validate_dataset
from synthstem.loaders import open_dataset
from synthstem.runs.config import load_config
from synthstem.runs.run import run_dataset

SCENES = {
    "nanoparticle": {"element": "Au", "diameter": 12.0, "particles": 2, "support": "C", "support_thickness": 10.0,
                     "zone_axis": [1, 1, 0], "min_separation": 2.0, "margin": 1.0},
    "monolayer": {"material": "MoS2", "dopant": "W", "dopants": 2, "double_vacancies": 2, "chalcogen_vacancies": 3,
                  "metal_vacancies": 1},
    "interface": {"thickness": 8.0, "crystal": "perovskite/SrTiO3", "crystal2": "perovskite/BaTiO3"},
}
SIZE = {"nanoparticle": 40.0, "monolayer": 24.0, "interface": 24.0}


def _run(kind, tmp_path):
    config = {
        "run": {"name": f"tiny-{kind}", "seed": 3},
        "simulation": {"method": "incoherent", "pixels": 64, "size": SIZE[kind], "phonons": 0},
        "output": {"conditions": ["raw", "clean"], "png": False, "exports": ["masks", "heatmaps"],
                   "export_conditions": ["stem00-clean"]},
        "scene": {"kind": kind, "items": 1, **SCENES[kind]},
    }
    run_dataset(load_config(config), tmp_path, workers=1, progress=False)
    problems, counts = validate_dataset(tmp_path)
    assert problems == [] and counts["items"] == 1
    item = read_item(next((tmp_path / "items").glob("*.h5")))
    return item, item.params["structure"]["scene"]


@pytest.mark.parametrize("kind", sorted(SCENES))
def test_scene_labels_reach_the_item_and_the_loader(kind, tmp_path):
    item, scene = _run(kind, tmp_path)
    cols = item.columns
    assert scene["kind"] == kind
    labels = set(cols.label)
    if kind == "nanoparticle":
        assert labels == {"Au"}
        assert set(cols.instance) == {0, 1}
        gold = (item.numbers == 79).sum()
        assert sum(cols.counts) == gold == sum(p["atoms"] for p in scene["params"]["particles"])
    elif kind == "monolayer":
        assert {"Mo", "S2", "S1", "W_dopant", "S_vacancy2", "Mo_vacancy"} <= labels
        vac = [c for lab, c in zip(cols.label, cols.counts) if "vacancy" in lab]
        assert len(vac) == 3 and all(c == 0 for c in vac)  # markers: label-only columns
    else:
        assert {"Sr", "Ba", "O", "O+Ti"} <= labels  # [001]: Ti and O share the TiO columns
        assert set(cols.instance) == {0, 1}
    sample = open_dataset(tmp_path)[0]
    assert len(sample["xy"]) == len(cols.label) and sample["image"].shape == (64, 64)
    assert np.isfinite(sample["image"]).all()
