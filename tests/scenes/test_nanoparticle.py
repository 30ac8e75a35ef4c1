"""Nanoparticle scenes: magic numbers, bond lengths, diameters, orientation, placement,
support film, labels."""

import numpy as np
import pytest
from scipy.spatial import cKDTree
from scipy.spatial.distance import pdist

from synthstem.scenes import INSTANCE_KEY, SITE_KEY, build_scene
from synthstem.scenes.nanoparticle import SHAPES, build_nanoparticle, equal_volume_diameter, particle
from synthstem.structures.amorphous import default_min_distance, number_density, parse_composition

A_PT = 3.92  # ase reference state of Pt [Angstrom]


def _cubo(n):  # closed-shell cuboctahedral / icosahedral magic numbers (Mackay)
    return (10 * n ** 3 + 15 * n ** 2 + 11 * n + 3) // 3


@pytest.mark.parametrize("shape, magic", [
    ("cuboctahedron", [13, 55, 147, 309, 561]),
    ("icosahedron", [13, 55, 147, 309, 561]),
    ("decahedron", [13, 55, 147, 309]),               # Ino decahedra with p = q
    ("truncated_octahedron", [38, 201, 586, 1289]),   # 16n^3 + 15n^2 + 6n + 1
])
def test_shell_counts_are_the_known_magic_numbers(shape, magic):
    assert [_cubo(n) for n in range(1, 6)] == [13, 55, 147, 309, 561]
    for n_atoms in magic:
        atoms, rec = particle(shape, "Pt", equal_volume_diameter(n_atoms, A_PT))
        assert len(atoms) == rec["atoms"] == n_atoms


@pytest.mark.parametrize("shape", ["cuboctahedron", "truncated_octahedron", "wulff"])
def test_fcc_shapes_have_bulk_bond_lengths(shape):
    atoms, _ = particle(shape, "Au", 25.0)
    d, _ = cKDTree(atoms.positions).query(atoms.positions, k=2)
    assert np.allclose(d[:, 1], 4.08 / np.sqrt(2), atol=1e-6)  # ase's reference a(Au) = 4.08 A


def test_twinned_shapes_bond_lengths_within_five_percent():
    for shape in ("decahedron", "icosahedron"):
        atoms, _ = particle(shape, "Pt", 25.0)
        d, _ = cKDTree(atoms.positions).query(atoms.positions, k=2)
        assert np.all(np.abs(d[:, 1] / (A_PT / np.sqrt(2)) - 1) < 0.05)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("target", [10.0, 30.0, 60.0])
def test_achieved_diameter_is_the_closest_shell(shape, target):
    atoms, rec = particle(shape, "Pt", target)
    assert rec["diameter"] == pytest.approx(equal_volume_diameter(len(atoms), A_PT))
    if shape == "wulff":
        assert abs(rec["diameter"] / target - 1) < 0.15
        return
    n = rec["shell"]
    err = abs(rec["diameter"] - target)
    for other in (n - 1, n + 1):
        if other >= 1:
            d = particle(shape, "Pt", equal_volume_diameter(_count(shape, other), A_PT))[1]["diameter"]
            assert err <= abs(d - target) + 1e-9
    assert rec["extent"] == pytest.approx(pdist(atoms.positions).max())


def _count(shape, n):
    return {"cuboctahedron": _cubo(n), "icosahedron": _cubo(n), "decahedron": _cubo(n),
            "truncated_octahedron": 16 * n ** 3 + 15 * n ** 2 + 6 * n + 1}[shape]


def test_zone_axis_110_gives_atom_columns():
    scene = build_nanoparticle(rng=0, shape="cuboctahedron", diameter=25.0, zone_axis=[1, 1, 0], in_plane=0.0,
                               support="none", size=50.0)
    xy = np.round(scene.atoms.positions[:, :2], 3)
    columns = np.unique(xy, axis=0)
    assert len(columns) < len(xy) / 4  # many atoms per projected column
    rot = np.array(scene.params["particles"][0]["rotation"])
    assert np.allclose(rot @ rot.T, np.eye(3)) and np.linalg.det(rot) == pytest.approx(1.0)
    assert np.allclose(rot @ (np.array([1, 1, 0]) / np.sqrt(2)), [0, 0, 1])


def test_random_orientation_is_recorded_and_breaks_columns():
    scene = build_nanoparticle(rng=3, shape="cuboctahedron", diameter=25.0, zone_axis="random", support="none",
                               size=50.0)
    assert scene.params["particles"][0]["zone_axis"] == "random"
    xy = np.round(scene.atoms.positions[:, :2], 2)
    assert len(np.unique(xy, axis=0)) > 0.9 * len(xy)


def test_several_particles_do_not_overlap_and_labels_are_complete():
    scene = build_nanoparticle(rng=5, shape="random", particles=4, diameter=20.0, diameter_spread=0.3, size=120.0,
                               support="C", support_thickness=15.0, min_separation=3.0, margin=2.0)
    atoms = scene.atoms
    inst = atoms.arrays[INSTANCE_KEY]
    site = atoms.arrays[SITE_KEY]
    recs = scene.params["particles"]
    assert len(recs) == 4
    for i, rec in enumerate(recs):
        mine = inst == i
        assert mine.sum() == rec["atoms"]
        assert set(site[mine]) == {"Pt"} and set(atoms.symbols[mine]) == {"Pt"}
        assert rec["shape"] in SHAPES
    film = inst == -1
    assert set(site[film]) == {""} and set(atoms.symbols[film]) == {"C"}
    assert film.sum() + sum(r["atoms"] for r in recs) == len(atoms)
    for i in range(4):
        for j in range(i + 1, 4):
            a = atoms.positions[inst == i, :2]
            b = atoms.positions[inst == j, :2]
            assert cKDTree(a).query(b)[0].min() >= 3.0
    pp = atoms.positions[inst >= 0]
    assert pp[:, :2].min() >= 2.0 and pp[:, :2].max() <= 120.0 - 2.0
    # every particle rests on the film: `gap` (2 A) from its nearest film atom or more
    film_tree = cKDTree(atoms.positions[film])
    for i in range(4):
        assert film_tree.query(atoms.positions[inst == i])[0].min() >= 2.0


def test_flat_support_film_density_and_spacing():
    scene = build_nanoparticle(rng=2, diameter=15.0, size=60.0, support="SiO2", support_thickness=20.0,
                               support_amplitude=0.0)
    film = scene.atoms[scene.atoms.arrays[INSTANCE_KEY] == -1]
    rho = number_density(parse_composition("SiO2"), 2.2)  # film.SUPPORTS: a-SiO2 at 2.2 g/cm^3
    assert len(film) == round(rho * 60.0 * 60.0 * 20.0)
    assert abs((film.symbols == "O").sum() / len(film) - 2 / 3) < 1e-3
    assert np.ptp(film.positions[:, 2]) < 20.0
    md = default_min_distance(parse_composition("SiO2"))
    tree = cKDTree(film.positions, boxsize=[60.0, 60.0, 1e6])
    assert tree.query(film.positions, k=2)[0][:, 1].min() >= md - 1e-9


def test_particles_rest_on_a_rough_film():
    scene = build_nanoparticle(rng=8, diameter=20.0, particles=3, size=100.0, support="C", support_thickness=40.0,
                               support_amplitude=0.4, support_correlation=15.0, gap=2.5)
    atoms = scene.atoms
    inst = atoms.arrays[INSTANCE_KEY]
    film = atoms.positions[inst == -1]
    for i in range(3):
        p = atoms.positions[inst == i]
        assert cKDTree(film).query(p)[0].min() >= 2.5 - 1e-9
        # it rests on the film's highest point under its disc (widened by 1 A + one grid step): the highest
        # film atom under the disc is 2.5 A below the particle, plus at most ~3 A (the steep
        # 40 % / 15 A roughness over those 2 A, and the hard-core atoms not reaching the surface)
        c = np.array(scene.params["particles"][i]["centre"][:2])
        r = np.hypot(*(p[:, :2] - c).T).max()
        below = film[np.hypot(*(film[:, :2] - c).T) < r]
        assert 2.5 <= below[:, 2].min() - p[:, 2].max() <= 2.5 + 3.0


def test_same_seed_same_scene_and_registry_validation():
    a = build_scene("nanoparticle", {"shape": "wulff", "diameter": 20.0, "size": 60.0, "support_thickness": 10.0}, rng=7)
    b = build_scene("nanoparticle", {"shape": "wulff", "diameter": 20.0, "size": 60.0, "support_thickness": 10.0}, rng=7)
    assert np.array_equal(a.atoms.positions, b.atoms.positions)
    with pytest.raises(ValueError, match="unknown parameter"):
        build_scene("nanoparticle", {"diamter": 20.0})


@pytest.mark.parametrize("params, match", [
    ({"shape": "cube"}, "unknown nanoparticle shape"),
    ({"element": "Fe"}, "needs an fcc crystal"),
    ({"diameter": -3.0}, "diameter must be"),
    ({"particles": 0}, "particles must be"),
    ({"diameter": 80.0, "size": 50.0}, "does not fit"),
    ({"zone_axis": "fivefold"}, "fivefold"),
    ({"zone_axis": [0, 0, 0]}, "zone_axis"),
])
def test_bad_input_is_one_clear_error(params, match):
    with pytest.raises(ValueError, match=match):
        build_nanoparticle(rng=0, support="none", **params)
