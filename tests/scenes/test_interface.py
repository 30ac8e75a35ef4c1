"""Interface scenes: sides of the plane, mismatch, coherency, tilt angles, CSL periods,
removal of close atoms, bulk density and bonds, labels."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from synthstem.scenes import INSTANCE_KEY, SITE_KEY, build_scene
from synthstem.scenes.interface import build_interface, period_along

A_CU = 3.615  # prototype fcc/Cu [Angstrom]


def _side(scene):
    p = np.array(scene.params["plane_point"])
    n = np.array(scene.params["plane_normal"])
    return (scene.atoms.positions[:, :2] - p) @ n


def test_epitaxial_perovskites_sides_labels_and_mismatch():
    scene = build_interface(size=40.0, thickness=12.0, crystal="perovskite/SrTiO3", crystal2="perovskite/BaTiO3",
                            plane_angle=45.0, plane_offset=-4.0)
    a = scene.atoms
    inst, site = a.arrays[INSTANCE_KEY], a.arrays[SITE_KEY]
    assert set(inst) == {0, 1}
    assert list(site) == list(a.get_chemical_symbols())
    side = _side(scene)
    assert np.all(side[inst == 0] < 0) and np.all(side[inst == 1] >= 0)
    assert set(a.symbols[inst == 0]) == {"Sr", "Ti", "O"} and set(a.symbols[inst == 1]) == {"Ba", "Ti", "O"}
    assert scene.params["mismatch"] == pytest.approx(4.006 / 3.905 - 1)  # +2.59 %, periods a sqrt(2) along [-1 1 0]
    assert scene.params["grains"][0]["period_along_plane"] == pytest.approx(3.905 * np.sqrt(2))
    assert scene.params["coherency_strain"] == 0.0
    assert scene.params["plane_point"] == pytest.approx(20.0 - 4.0 * np.array([np.cos(np.pi / 4), np.sin(np.pi / 4)]))
    odd = build_interface(size=20.0, thickness=8.0, crystal2="perovskite/BaTiO3", plane_angle=30.0)
    assert odd.params["mismatch"] is None  # no lattice vector along an irrational direction


def test_the_plane_turns_with_the_bicrystal():
    kw = dict(size=30.0, thickness=8.0, crystal="perovskite/SrTiO3", crystal2="perovskite/BaTiO3")
    turned = build_interface(rotation=25.0, **kw)
    assert turned.params["plane_normal_angle"] == pytest.approx(25.0)
    assert turned.params["plane_normal"] == pytest.approx([np.cos(np.radians(25)), np.sin(np.radians(25))])
    assert turned.params["mismatch"] == pytest.approx(4.006 / 3.905 - 1)  # still a (100) plane
    side = _side(turned)
    inst = turned.atoms.arrays[INSTANCE_KEY]
    assert np.all(side[inst == 0] < 0) and np.all(side[inst == 1] >= 0)


def test_coherent_interface_matches_the_period_along_the_plane():
    scene = build_interface(size=40.0, thickness=8.0, crystal="perovskite/SrTiO3", crystal2="perovskite/BaTiO3",
                            coherent=True, plane_offset=-8.0)
    assert scene.params["coherency_strain"] == pytest.approx(3.905 / 4.006 - 1)
    a = scene.atoms
    ba = a.positions[a.symbols == "Ba"]
    ys = np.sort(np.unique(np.round(ba[:, 1], 4)))
    assert np.allclose(np.diff(ys), 3.905, atol=1e-6)  # Ba rows along the plane at SrTiO3's period


def test_symmetric_tilt_boundary_sigma5():
    theta = 2 * np.degrees(np.arctan(1 / 3))  # 36.87 degrees, Sigma 5 about [001]
    scene = build_interface(size=40.0, thickness=2 * A_CU, crystal="fcc/Cu", zone_axis=[0, 0, 1], tilt=theta)
    grains = scene.params["grains"]
    assert grains[0]["angle"] == pytest.approx(theta / 2) and grains[1]["angle"] == pytest.approx(-theta / 2)
    for g in grains:  # the (310) boundary repeats every a sqrt(10) / 2
        assert g["period_along_plane"] == pytest.approx(A_CU * np.sqrt(10) / 2)
    assert scene.params["mismatch"] == pytest.approx(0.0, abs=1e-12)
    a = scene.atoms
    inst = a.arrays[INSTANCE_KEY]
    side = _side(scene)
    # the grains' lattices are turned by +-theta/2: nearest-neighbour bonds in the interior
    for g, sign in ((0, 1), (1, -1)):
        inner = (inst == g) & (np.abs(side) > 6) & np.all((a.positions[:, :2] > 4) & (a.positions[:, :2] < 36), axis=1)
        p = a.positions[inner]
        d, idx = cKDTree(a.positions[inst == g]).query(p, k=2)
        assert np.allclose(d[:, 1], A_CU / np.sqrt(2), atol=1e-6)
        v = a.positions[inst == g][idx[:, 1]] - p
        ang = np.degrees(np.arctan2(v[:, 1], v[:, 0]))
        # <110> bonds projected on (001): along multiples of 45 degrees in the crystal frame
        rel = (ang - sign * theta / 2) % 45.0
        assert np.all(np.minimum(rel, 45 - rel) < 1e-6)


def test_sigma25_boundary_period_needs_index_seven():
    theta = 2 * np.degrees(np.arctan(1 / 7))  # 16.26 degrees, Sigma 25 about [001]: the (710) plane
    scene = build_interface(size=30.0, thickness=8.0, crystal="perovskite/SrTiO3", tilt=round(theta, 2))
    assert scene.params["grains"][0]["period_along_plane"] == pytest.approx(3.905 * np.sqrt(50))
    assert scene.params["mismatch"] == pytest.approx(0.0, abs=1e-12)


def test_close_atoms_removed_and_density_is_bulk():
    scene = build_interface(size=50.0, thickness=3 * A_CU, crystal="fcc/Cu", zone_axis=[0, 0, 1], tilt=25.0)
    a = scene.atoms
    inst = a.arrays[INSTANCE_KEY]
    d = cKDTree(a.positions[inst == 0]).query(a.positions[inst == 1])[0]
    assert d.min() >= scene.params["min_distance"]
    assert scene.params["min_distance"] == pytest.approx(0.7 * A_CU / np.sqrt(2))
    assert scene.params["removed"] > 0
    layers = len(np.unique(np.round(a.positions[:, 2], 4)))  # (002) planes kept by the cut
    expected = 4 / A_CU ** 3 * 50.0 * 50.0 * layers * A_CU / 2
    assert abs(len(a) / expected - 1) < 0.03


def test_non_csl_tilt_has_no_period_and_refuses_coherent():
    scene = build_interface(size=30.0, thickness=10.0, crystal="diamond/Si", zone_axis=[1, 1, 0], tilt=20.0)
    assert scene.params["mismatch"] is None
    with pytest.raises(ValueError, match="coherent needs"):
        build_interface(size=30.0, thickness=10.0, crystal="diamond/Si", zone_axis=[1, 1, 0], tilt=20.0,
                        coherent=True)


def test_period_along_uses_centring_translations():
    fcc = np.eye(3) * A_CU
    x = np.array([1.0, 0.0, 0.0])
    diag = np.array([1.0, 1.0, 0.0]) / np.sqrt(2)
    assert period_along(fcc, x) == pytest.approx(A_CU)
    assert period_along(fcc, diag) == pytest.approx(A_CU * np.sqrt(2))
    tau = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]
    assert period_along(fcc, diag, tau) == pytest.approx(A_CU / np.sqrt(2))


def test_registry_and_reproducible():
    p = {"size": 30.0, "thickness": 8.0, "crystal": "diamond/Si", "crystal2": "diamond/Ge", "zone_axis": [1, 1, 0]}
    a, b = build_scene("interface", p, rng=1), build_scene("interface", p, rng=2)
    assert np.array_equal(a.atoms.positions, b.atoms.positions)
    assert a.params["mismatch"] == pytest.approx(5.658 / 5.431 - 1)


@pytest.mark.parametrize("params, match", [
    ({"zone_axis": [1, 1]}, "zone_axis"),
    ({"zone_axis": [0.5, 0, 1]}, "zone_axis"),
    ({"crystal": "perovskit"}, "perovskit"),
    ({"crystal2": "/nonexistent/file.cif"}, "does not exist"),
    ({"plane_offset": 100.0}, "plane_offset"),
    ({"coherent": "yes"}, "coherent"),
])
def test_bad_input_is_one_clear_error(params, match):
    with pytest.raises(ValueError, match=match):
        build_interface(size=20.0, thickness=8.0, **params)
