"""Supported atoms: every heavy atom labelled, groups as requested, support cleared around
them, reproducible, bad parameters named."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from synthstem.scenes import INSTANCE_KEY, SITE_KEY, build_scene, scene_parameters
from synthstem.scenes.placement import clear_around, place_heavy_atoms

SMALL = dict(size=50.0, thickness=30.0, heavy_density=2.0, texture_amplitude=0.0)


@pytest.fixture(scope="module")
def scene():
    return build_scene("supported", dict(SMALL, support="CN", heavy={"Pt": 0.6, "Au": 0.4},
                                          group_fractions=(0.5, 0.2, 0.3)), rng=7)


def test_every_heavy_atom_is_labelled_with_its_element_and_group(scene):
    a = scene.atoms
    site, inst = a.arrays[SITE_KEY], a.arrays[INSTANCE_KEY]
    sym = np.array(a.get_chemical_symbols())
    heavy = np.isin(sym, ["Pt", "Au"])
    assert np.array_equal(site != "", heavy)
    assert np.array_equal(site[heavy], sym[heavy])
    assert np.all(inst[~heavy] == -1) and np.all(inst[heavy] >= 0)
    # one element per group, groups of 1 (isolated), 2 (pairs) and >= 3 (clusters)
    sizes = {}
    for i in np.unique(inst[heavy]):
        assert len(set(sym[inst == i])) == 1
        sizes[i] = (inst == i).sum()
    assert {1, 2} <= set(sizes.values()) and max(sizes.values()) >= 3
    # areal density: round(density * supported area), the whole field supported here
    assert heavy.sum() == pytest.approx(2.0 * 25.0, abs=12)  # clusters round up by < 1 cluster


def test_support_cleared_and_groups_apart(scene):
    a = scene.atoms
    heavy = a.arrays[SITE_KEY] != ""
    p = a.positions
    box = [50.0, 50.0, a.cell[2, 2] + 10]
    d, _ = cKDTree(p[~heavy], boxsize=box).query(p[heavy], k=1)
    assert d.min() >= 2.0
    inst = a.arrays[INSTANCE_KEY][heavy]
    hp = p[heavy]
    pairs = cKDTree(hp[:, :2], boxsize=50.0).query_pairs(4.99, output_type="ndarray")
    assert np.all(inst[pairs[:, 0]] == inst[pairs[:, 1]])  # different groups >= 5 A apart laterally
    scene.check()


def test_pairs_are_at_the_bond_length():
    rng = np.random.default_rng(0)
    zt, zb = np.full((40, 40), 10.0), np.full((40, 40), 40.0)
    h = place_heavy_atoms(zt, zb, 1.0, rng, elements="Pt", density=3.0, group_fractions=(0, 1, 0), bond=2.7)
    assert len(h) == 48 and set(h.group) == {"pair"}
    for i in np.unique(h.instance):
        p = h.positions[h.instance == i]
        dv = p[0] - p[1]
        dv[:2] -= 40.0 * np.round(dv[:2] / 40.0)  # minimum image
        assert np.linalg.norm(dv) == pytest.approx(2.7)
    top = h.site == "top"
    assert np.all(h.positions[top, 2] <= 8.0 + 1e-9)  # above (beam side of) the top surface
    assert np.all(h.positions[h.site == "bottom", 2] >= 42.0 - 1e-9)


def test_no_heavy_atoms_over_vacuum():
    s = build_scene("supported", dict(SMALL, vacuum_fraction=0.5, heavy_density=1.0,
                                      group_fractions=(1, 0, 0)), rng=3)
    a = s.atoms
    heavy = a.arrays[SITE_KEY] != ""
    support = a.positions[~heavy]
    d, _ = cKDTree(support[:, :2], boxsize=50.0).query(np.mod(a.positions[heavy, :2], 50.0))
    assert d.max() < 3.0  # every heavy atom sits over film


def test_clear_around_is_minimum_image():
    pos = np.array([[0.1, 5.0, 5.0], [25.0, 5.0, 5.0]])
    keep = clear_around(pos, np.array([[49.9, 5.0, 5.0]]), 1.0, 50.0)
    assert keep.tolist() == [False, True]


def test_reproducible_and_rng_dependent():
    a = build_scene("supported", dict(SMALL, size=30.0), rng=11).atoms
    b = build_scene("supported", dict(SMALL, size=30.0), rng=11).atoms
    c = build_scene("supported", dict(SMALL, size=30.0), rng=12).atoms
    assert np.array_equal(a.positions, b.positions) and len(a) > 1000
    assert len(a) != len(c) or not np.array_equal(a.positions, c.positions)


def test_group_labels_and_crystal_support():
    s = build_scene("supported", dict(size=30.0, thickness=20.0, crystal="perovskite", heavy_density=3.0,
                                      label_groups=True, group_fractions=(0.5, 0.2, 0.3)), rng=2)
    classes = set(s.atoms.arrays[SITE_KEY]) - {""}
    assert {"Pt", "Pt_pair", "Pt_cluster"} <= classes
    assert {"Sr", "Ti", "O"} <= set(s.atoms.get_chemical_symbols())
    s.check()


@pytest.mark.parametrize("bad, match", [({"nope": 1}, "unknown parameter"), ({"thickness": 5}, "thickness"),
                                        ({"heavy": "Qq"}, "unknown element"),
                                        ({"group_fractions": (1, 0)}, "group_fractions"),
                                        ({"heavy_density": -1}, "density")])
def test_bad_parameters_are_named(bad, match):
    with pytest.raises(ValueError, match=match):
        build_scene("supported", dict(SMALL, size=20.0, **bad), rng=0)


def test_parameters_are_listed():
    p = scene_parameters("supported")
    assert p["support"] == "C" and p["size"] == 150.0 and "heavy_density" in p


def test_params_record_every_input_and_the_placement(scene):
    p = scene.params
    assert p["heavy"] == {"Pt": 0.6, "Au": 0.4} and p["support"] == "CN"
    n_heavy = int((scene.atoms.arrays[SITE_KEY] != "").sum())
    assert len(p["heavy_atoms"]["group"]) == n_heavy == p["heavy_summary"]["count"]
    assert set(p["heavy_atoms"]["site"]) <= {"top", "bottom", "inside"}
