"""orient: thickness apart from the field of view, and seamless periodic cells."""

import itertools

import numpy as np
import pytest
from scipy.spatial import cKDTree

from synthstem.structures.orient import orient
from synthstem.structures.periodic import periodic_frame
from synthstem.structures.prototypes import prototype


def _slow_block(atoms, rotation, half):
    """Direct enumeration: every atom of every translation strictly inside the block."""
    recip = np.linalg.norm(np.linalg.inv(atoms.cell.array), axis=0)
    bounds = [int(np.ceil(np.linalg.norm(half) * r)) + 2 for r in recip]
    kept = []
    for n in itertools.product(*(range(-b, b + 1) for b in bounds)):
        for number, pos in zip(atoms.numbers, atoms.positions):
            p = rotation @ (pos + np.asarray(n) @ atoms.cell.array)
            if np.all(np.abs(p) < half - 1e-9):
                kept.append((number, *p))
    return np.array(kept)


@pytest.mark.parametrize("uvw,thickness", [((1, 1, 0), 31.0), ((1, 1, 1), 6.5)])
def test_thickness_cut_matches_slow_enumeration(uvw, thickness):
    atoms = prototype("rutile")
    cell = orient(atoms, uvw, size=11.0, thickness=thickness)
    assert cell.size == 11.0 and cell.thickness == thickness
    np.testing.assert_allclose(cell.atoms.cell.array, np.diag([11.0, 11.0, thickness]))
    pos = cell.atoms.positions
    assert np.all(pos >= 0) and np.all(pos[:, :2] < 11.0) and np.all(pos[:, 2] < thickness)
    slow = _slow_block(atoms, cell.rotation, np.array([5.5, 5.5, thickness / 2]))
    fast = np.column_stack([cell.atoms.numbers, pos - cell.origin])
    key = lambda a: a[np.lexsort(np.round(a.T[::-1], 6))]  # noqa: E731
    assert len(fast) == len(slow)
    np.testing.assert_allclose(key(fast), key(slow), atol=1e-8)


def test_default_thickness_is_size_and_same_cube():
    atoms = prototype("perovskite")
    a = orient(atoms, (1, 1, 0), size=17.0)
    b = orient(atoms, (1, 1, 0), size=17.0, thickness=17.0)
    assert a.thickness == 17.0 and a.boundary == "cut" and a.strain == 0.0
    np.testing.assert_array_equal(a.atoms.positions, b.atoms.positions)
    np.testing.assert_array_equal(a.deformation, np.eye(3))
    # a thick block holds the cube's atoms in its middle (both cut around the lattice origin)
    thick = orient(atoms, (1, 1, 0), size=12.0, thickness=60.0)
    cube = orient(atoms, (1, 1, 0), size=12.0)
    rel = thick.atoms.positions - thick.origin
    middle = np.abs(rel[:, 2]) < 6.0 - 1e-9
    key = lambda a: a[np.lexsort(np.round(a.T[::-1], 6))]  # noqa: E731
    np.testing.assert_allclose(key(rel[middle]), key(cube.atoms.positions - cube.origin), atol=1e-9)
    assert len(thick.atoms) > 4 * len(cube.atoms)


@pytest.mark.parametrize("bad", [0, -2.0, float("nan"), "10", True])
def test_bad_thickness_and_boundary(bad):
    with pytest.raises(ValueError, match="thickness"):
        orient(prototype("fcc"), (0, 0, 1), size=10.0, thickness=bad)


def test_bad_boundary_and_strain():
    with pytest.raises(ValueError, match="boundary"):
        orient(prototype("fcc"), (0, 0, 1), boundary="wrap")
    with pytest.raises(ValueError, match="max_strain"):
        orient(prototype("fcc"), (0, 0, 1), max_strain=0.02)
    with pytest.raises(ValueError, match="max_strain"):
        orient(prototype("fcc"), (0, 0, 1), boundary="periodic", max_strain=-0.1)


def test_periodic_error_names_best_strain():
    # rutile [110] at 25 A: the best pair needs 1.23 % strain
    with pytest.raises(ValueError, match=r"best pair .* needs strain 0\.012"):
        orient(prototype("rutile"), (1, 1, 0), size=25.0, boundary="periodic")
    # no pair within 3 x max_strain of a square: a wider search still names the best strain
    with pytest.raises(ValueError, match=r"best pair .* needs strain 0\.019"):
        orient(prototype("perovskite"), (1, 1, 1), size=25.0, boundary="periodic")
    cell = orient(prototype("rutile"), (1, 1, 0), size=25.0, boundary="periodic", max_strain=0.015, thickness=4.0)
    assert 0.01 < cell.strain <= 0.015


def _environments(positions, numbers, box, cutoff, mask):
    """Per-atom (element, sorted neighbour distances) within ``cutoff`` [Angstrom]."""
    tree = cKDTree(positions, boxsize=box)
    out = set()
    for i in np.flatnonzero(mask):
        nb = tree.query_ball_point(positions[i], cutoff)
        d = sorted(round(float(np.linalg.norm(_wrap(positions[j] - positions[i], box))), 4) for j in nb if j != i)
        out.add((int(numbers[i]), tuple(d)))
    return out


def _wrap(v, box):
    return v - box * np.round(v / box)


def _bulk_environments(atoms, linear, cutoff):
    """Environments of every basis atom in the infinite crystal mapped by ``linear``."""
    sc = atoms.repeat((7, 7, 7))
    pos = sc.positions @ linear.T
    n = len(atoms)
    central = (3 * 49 + 3 * 7 + 3) * n  # ase repeat order: i, j, k nested (i outermost)
    tree = cKDTree(pos)
    out = set()
    for i in range(central, central + n):
        nb = tree.query_ball_point(pos[i], cutoff)
        d = sorted(round(float(np.linalg.norm(pos[j] - pos[i])), 4) for j in nb if j != i)
        out.add((int(sc.numbers[i]), tuple(d)))
    return out


@pytest.mark.parametrize("name,uvw,size", [("perovskite", (0, 0, 1), 25.0), ("perovskite", (0, 1, 1), 25.0),
                                           ("hcp", (0, 0, 1), 25.0), ("rutile", (0, 0, 1), 25.0),
                                           ("fcc", (1, 1, 0), 25.0), ("wurtzite", (0, 0, 1), 25.0),
                                           ("fcc", (1, 1, 1), 35.0), ("corundum", (-1, 1, 2), 25.0)])
def test_periodic_cell_is_seamless(name, uvw, size):
    atoms = prototype(name)
    cell = orient(atoms, uvw, size=size, thickness=14.0, boundary="periodic")
    L, t = cell.size, cell.thickness
    assert cell.boundary == "periodic" and 0.0 <= cell.strain <= 0.01
    assert 0.8 * size <= L <= 1.25 * size
    np.testing.assert_allclose(cell.atoms.cell.array, np.diag([L, L, t]))
    pos = cell.atoms.positions
    assert np.all(pos >= 0) and np.all(pos[:, :2] < L) and np.all(pos[:, 2] < t)
    box = np.array([L, L, t + 100.0])  # periodic laterally, open along the beam
    # no pair closer than 0.5 A across the edges (minimum image), and the closest pair is
    # the bulk nearest-neighbour distance within the strain
    d_min = cKDTree(pos, boxsize=box).query(pos, k=2)[0][:, 1].min()
    bulk = atoms.repeat((3, 3, 3)).get_all_distances()
    bulk_nn = bulk[bulk > 0].min()
    assert d_min >= 0.5 and d_min == pytest.approx(bulk_nn, rel=cell.strain + 1e-9)
    # every atom away from the entrance/exit faces has exactly a bulk environment of the
    # strained crystal, also across the lateral edges (an independent rebuild of the crystal)
    linear = cell.deformation @ cell.rotation
    mask = (pos[:, 2] > 3.5) & (pos[:, 2] < t - 3.5)
    assert mask.any()
    assert _environments(pos, cell.atoms.numbers, box, 3.0, mask) <= _bulk_environments(atoms, linear, 3.0)
    # the deformation maps the two recorded lattice vectors onto the cell edges
    for k, n in enumerate(cell.lattice_vectors):
        edge = linear @ (np.asarray(n) @ atoms.cell.array)
        np.testing.assert_allclose(edge, L * np.eye(3)[k], atol=1e-9)
    np.testing.assert_allclose(cell.deformation @ [0, 0, 1], [0, 0, 1], atol=1e-12)


def test_centring_translations():
    from synthstem.structures.periodic import centring_translations

    assert len(centring_translations(prototype("perovskite"))) == 1
    np.testing.assert_allclose(centring_translations(prototype("bcc")), [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert len(centring_translations(prototype("fcc"))) == 4
    r = centring_translations(prototype("corundum"))  # R-3c in hexagonal axes: +-(2/3, 1/3, 1/3)
    np.testing.assert_allclose(sorted(r.tolist()), [[0, 0, 0], [1 / 3, 2 / 3, 2 / 3], [2 / 3, 1 / 3, 1 / 3]])
    # fcc [111] at 35 A tiles with a centring vector: an edge has half-integer indices
    cell = orient(prototype("fcc"), (1, 1, 1), size=35.0, thickness=4.0, boundary="periodic")
    assert any(v != int(v) for n in cell.lattice_vectors for v in n)


@pytest.mark.parametrize("name,uvw", [("perovskite", (0, 1, 1)), ("hcp", (0, 0, 1)), ("rutile", (0, 0, 1)),
                                      ("corundum", (-1, 1, 2))])
def test_periodic_count_equals_density_times_volume(name, uvw):
    atoms = prototype(name)
    d = np.asarray(uvw) @ atoms.cell.array
    repeat = np.linalg.norm(d)  # uvw here are primitive lattice directions
    t = 3 * repeat
    cell = orient(atoms, uvw, size=25.0, thickness=t, boundary="periodic", max_strain=0.02)
    density = len(atoms) / atoms.get_volume() / np.linalg.det(cell.deformation)  # strained
    assert len(cell.atoms) == round(density * cell.size**2 * t)
    assert abs(len(cell.atoms) - density * cell.size**2 * t) < 1e-6


def test_frame_prefers_cut_orientation_and_exact_cells():
    atoms = prototype("perovskite")
    cell = orient(atoms, (0, 0, 1), size=25.0, thickness=4.0, boundary="periodic")
    assert cell.lattice_vectors == ((6, 0, 0), (0, 6, 0)) and cell.strain < 1e-12
    assert cell.size == pytest.approx(6 * atoms.cell[0, 0])
    # the cut and the periodic cell see the same in-plane orientation
    np.testing.assert_allclose(cell.deformation, np.eye(3), atol=1e-12)
    frame = periodic_frame(atoms.cell.array, cell.rotation, 50.0)
    assert frame.indices == ((13, 0, 0), (0, 13, 0))


def test_cut_seam_srtio3_011_and_periodic_fix():
    # the "cut" cube is not periodic: across its lateral edge two atoms come 0.15 A apart
    atoms = prototype("perovskite")
    cut = orient(atoms, (0, 1, 1), size=25.0)
    box = np.array([25.0, 25.0, 1e3])
    d_cut = cKDTree(cut.atoms.positions, boxsize=box).query(cut.atoms.positions, k=2)[0][:, 1].min()
    assert d_cut == pytest.approx(0.15, abs=0.01)
    per = orient(atoms, (0, 1, 1), size=25.0, boundary="periodic")
    box = np.array([per.size, per.size, 1e3])
    d_per = cKDTree(per.atoms.positions, boxsize=box).query(per.atoms.positions, k=2)[0][:, 1].min()
    assert d_per == pytest.approx(atoms.cell[0, 0] / 2, rel=0.011)
