"""Point defects: placement, relaxation, record."""

import json

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from synthstem import add_point_defect
from synthstem.structures.defects import LEVELS, SIGNIFICANT, DefectRecord, relaxation_field
from synthstem.structures.orient import orient
from synthstem.structures.prototypes import prototype

PIXELS = 256


@pytest.fixture(scope="module")
def cell():
    return orient(prototype("perovskite"), (0, 0, 1), size=20.0)


@pytest.fixture(scope="module")
def copper():
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat((6, 6, 6))
    atoms.set_cell(np.eye(3) * 6 * 3.61)
    return atoms


def _far_field_fixed(before, after, sites, radius):
    """Atoms farther than ``radius`` from every site are exactly where they were."""
    d = np.min(np.linalg.norm(before.positions[:, None, :] - sites[None, :, :], axis=2), axis=1)
    far = d > radius
    assert far.sum() > 0.5 * len(before)
    np.testing.assert_array_equal(after.positions[far], before.positions[far])


@pytest.mark.parametrize("level", [1, 2])
def test_vacancy_removes_exactly_the_intended_atoms(cell, level):
    new, rec = add_point_defect(cell, "vacancy", level, rng=5, pixels=PIXELS)
    n_sites = LEVELS[level][0]
    assert type(new) is type(cell)
    assert len(new.atoms) == len(cell.atoms) - n_sites
    assert len(rec.removed) == n_sites and rec.added == []
    # the removed atoms are the recorded sites, and they are gone from the new cell
    np.testing.assert_allclose(cell.atoms.positions[rec.removed], rec.sites)
    dmin = np.min(np.linalg.norm(new.atoms.positions[:, None] - rec.sites[None], axis=2), axis=0)
    assert np.all(dmin > 0.5)
    # everyone else is still there, in order, with its element
    keep = np.setdiff1d(np.arange(len(cell.atoms)), rec.removed)
    assert new.atoms.get_chemical_symbols() == [cell.atoms.get_chemical_symbols()[i] for i in keep]
    # the sites are in one projected column, the one nearest the centre of view
    xy = rec.sites[:, :2]
    assert np.ptp(xy, axis=0).max() < 0.3
    centre = np.array([cell.size / 2, cell.size / 2])
    assert np.linalg.norm(xy[0] - centre) < 2.0
    # the input cell is not modified
    assert len(cell.atoms) == 881


@pytest.mark.parametrize("kind", ["vacancy", "substitution", "interstitial"])
@pytest.mark.parametrize("level", [1, 2])
def test_relaxation_moves_neighbours_boundedly_and_keeps_far_field(cell, kind, level):
    element = "Ba" if kind == "substitution" else None  # Ba (r 2.15) for Sr or Ti/O: strong mismatch
    new, rec = add_point_defect(cell, kind, level, rng=2, element=element, pixels=PIXELS)
    amp = LEVELS[level][1]
    norms = np.linalg.norm(rec.displacements, axis=1)
    assert len(rec.displaced) == len(norms) > 0
    assert norms.max() <= amp + 1e-12
    assert 0.05 <= norms.max() <= 0.3
    assert abs(rec.amplitude) <= amp
    # recorded displacements are what happened to those atoms
    if kind == "vacancy":
        keep = np.setdiff1d(np.arange(len(cell.atoms)), rec.removed)
        before = cell.atoms.positions[keep]
    else:
        before = cell.atoms.positions
    np.testing.assert_allclose(new.atoms.positions[rec.displaced] - before[rec.displaced], rec.displacements, atol=1e-12)
    # far field: nothing beyond 2.5 nearest-neighbour distances (< 8 Angstrom here) moves
    moved = np.zeros(len(before), dtype=bool)
    moved[rec.displaced] = True
    base = Atoms(positions=before)
    after = Atoms(positions=new.atoms.positions[: len(before)])
    _far_field_fixed(base, after, rec.sites, 8.0)
    assert not np.any(moved & (np.min(np.linalg.norm(before[:, None] - rec.sites[None], axis=2), axis=1) > 8.0))


def test_vacancy_pulls_in_interstitial_pushes_out(copper):
    for kind, sign in (("vacancy", -1), ("interstitial", 1)):
        new, rec = add_point_defect(copper, kind, 1, rng=0)
        assert isinstance(new, Atoms)
        s = rec.sites[0]
        before = copper.positions if kind == "interstitial" else np.delete(copper.positions, rec.removed, axis=0)
        r_before = np.linalg.norm(before[rec.displaced] - s, axis=1)
        r_after = np.linalg.norm(new.positions[rec.displaced] - s, axis=1)
        assert np.all(sign * (r_after - r_before) > -1e-12)
        nearest = np.argmin(r_before)
        assert sign * (r_after - r_before)[nearest] == pytest.approx(0.10, abs=0.02)


def test_substitution_changes_only_the_element_at_the_sites(cell):
    new, rec = add_point_defect(cell, "substitution", 2, rng=1, element="Ba")
    sym0, sym1 = cell.atoms.get_chemical_symbols(), new.atoms.get_chemical_symbols()
    changed = [i for i, (a, b) in enumerate(zip(sym0, sym1)) if a != b]
    assert changed == rec.added == rec.removed
    assert all(sym1[i] == "Ba" for i in changed) and len(changed) == 3
    assert rec.host_elements == [sym0[i] for i in rec.removed]
    # random substituent: a real element, different enough in Z
    _, rec2 = add_point_defect(cell, "substitution", 1, rng=4)
    from ase.data import atomic_numbers

    assert abs(atomic_numbers[rec2.elements[0]] - atomic_numbers[rec2.host_elements[0]]) >= 4


def test_interstitial_goes_into_a_void(copper):
    new, rec = add_point_defect(copper, "interstitial", 2, rng=3, element="C")
    assert len(new) == len(copper) + 2
    assert rec.added == [len(copper), len(copper) + 1]
    assert new.get_chemical_symbols()[-2:] == ["C", "C"]
    # fcc octahedral hole: distance a/2 = 1.805 Angstrom to the nearest host atom
    d = np.min(np.linalg.norm(copper.positions[:, None] - rec.sites[None], axis=2), axis=0)
    assert np.all(d > 1.7)
    assert np.linalg.norm(rec.sites[0] - rec.sites[1]) >= 2.0


@pytest.mark.parametrize("kind", ["vacancy", "substitution", "interstitial"])
def test_box_contains_the_projected_defect_and_moved_neighbours(cell, kind):
    new, rec = add_point_defect(cell, kind, 2, rng=8, element="Ba" if kind == "substitution" else None)
    x0, y0, w, h = rec.bbox_px
    px = cell.size / PIXELS
    pts = rec.sites[:, :2] / px
    big = np.linalg.norm(rec.displacements, axis=1) > SIGNIFICANT * abs(rec.amplitude)
    assert big.sum() >= 2
    pts = np.vstack([pts, new.atoms.positions[np.asarray(rec.displaced)[big], :2] / px])
    assert np.all((pts[:, 0] >= x0) & (pts[:, 0] <= x0 + w) & (pts[:, 1] >= y0) & (pts[:, 1] <= y0 + h))
    cx, cy = rec.center_px
    assert x0 <= cx <= x0 + w and y0 <= cy <= y0 + h
    np.testing.assert_allclose(rec.center_px, pts[: len(rec.sites)].mean(axis=0))
    assert x0 >= -0.5 and y0 >= -0.5 and x0 + w <= PIXELS - 0.5 and y0 + h <= PIXELS - 0.5


def test_same_seed_same_result(cell):
    a, ra = add_point_defect(cell, "substitution", 2, rng=13)
    b, rb = add_point_defect(cell, "substitution", 2, rng=np.random.default_rng(13))
    assert ra.to_dict() == rb.to_dict()
    np.testing.assert_array_equal(a.atoms.positions, b.atoms.positions)
    assert a.atoms.get_chemical_symbols() == b.atoms.get_chemical_symbols()
    outs = {json.dumps(add_point_defect(cell, "vacancy", 1, rng=s)[1].to_dict()) for s in range(6)}
    assert len(outs) > 1  # the seed matters (site drawn in the middle half of the column)


def test_record_is_json_safe_and_round_trips(cell):
    _, rec = add_point_defect(cell, "interstitial", 1, rng=0)
    d = json.loads(json.dumps(rec.to_dict()))
    back = DefectRecord.from_dict(dict(d, condition="dfct1"))
    assert back.to_dict() == d
    assert set(d) >= {"kind", "level", "sites", "removed", "added", "displaced", "displacements", "center_px", "bbox_px"}


def test_relaxation_field_is_bounded_and_local():
    rng = np.random.default_rng(0)
    pos = rng.uniform(-10, 10, size=(2000, 3))
    pos = pos[np.linalg.norm(pos, axis=1) > 2.0]
    u = relaxation_field(pos, np.zeros((1, 3)), -0.25, np.array([2.0]), np.ones(len(pos), dtype=bool))
    r = np.linalg.norm(pos, axis=1)
    assert np.linalg.norm(u, axis=1).max() <= 0.25 + 1e-12
    assert np.all(u[r >= 5.0] == 0)
    inward = np.einsum("ij,ij->i", u, pos)
    assert np.all(inward <= 1e-15)


def test_accepts_plain_objects_with_atoms_and_size(copper):
    class Holder:
        def __init__(self, atoms, size):
            self.atoms, self.size = atoms, size

    h = Holder(copper, float(copper.cell[0, 0]))
    new, rec = add_point_defect(h, "vacancy", 1, rng=0)
    assert isinstance(new, Holder) and new is not h
    assert len(new.atoms) == len(copper) - 1 and len(h.atoms) == len(copper)


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(kind="antisite"), "kind"),
        (dict(level=3), "level"),
        (dict(level=True), "level"),
        (dict(element="Xx"), "element"),
        (dict(pixels=0), "pixels"),
        (dict(rng="seed"), "rng"),
    ],
)
def test_bad_arguments_raise(copper, kwargs, word):
    args = dict(kind="vacancy", level=1, rng=0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=word):
        add_point_defect(copper, **args)


def test_bad_cells_raise():
    slanted = bulk("Cu", "fcc", a=3.61)  # primitive, non-orthogonal cell
    with pytest.raises(ValueError, match="orthogonal"):
        add_point_defect(slanted, "vacancy", 1, rng=0)
    with pytest.raises(ValueError, match="OrientedCell"):
        add_point_defect("not a cell", "vacancy", 1, rng=0)
    same = bulk("Cu", "fcc", a=3.61, cubic=True).repeat((5, 5, 5))
    with pytest.raises(ValueError, match="host element"):
        add_point_defect(same, "substitution", 1, rng=0, element="Cu")


def test_level2_sites_share_one_element_in_a_mixed_column():
    cell = orient(prototype("perovskite"), (1, 1, 0), size=20.0)
    for seed in range(4):
        _, rec = add_point_defect(cell, "vacancy", 2, rng=seed)
        assert len(set(rec.host_elements)) == 1
        assert np.ptp(rec.sites[:, :2], axis=0).max() < 0.3
