"""Several defects anywhere in the field of view; atomagined's centred defect kept."""

import numpy as np
import pytest

from synthstem.structures.defect_placement import (
    EDGE_MARGIN,
    MIN_SEPARATION,
    add_point_defects,
    boxes_overlap,
)
from synthstem.structures.defects import KINDS, SEARCH_RADIUS, add_point_defect
from synthstem.structures.orient import orient
from synthstem.structures.prototypes import prototype

PIXELS = 200


@pytest.fixture(scope="module")
def cell():
    return orient(prototype("perovskite"), (0, 0, 1), size=40.0, thickness=16.0)


def _box_contains(box, xy):
    x0, y0, w, h = box
    return np.all((xy[:, 0] >= x0) & (xy[:, 0] <= x0 + w) & (xy[:, 1] >= y0) & (xy[:, 1] <= y0 + h))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("level", [1, 2])
def test_several_defects_boxes_sites_and_separation(cell, seed, level):
    n = 4
    new, records = add_point_defects(cell, n, KINDS, level, rng=seed, pixels=PIXELS)
    assert len(records) == n and type(new) is type(cell)
    scale = cell.size / PIXELS
    size = cell.size
    n_removed = sum(len(r.removed) for r in records if r.kind == "vacancy")
    n_added = sum(len(r.added) for r in records if r.kind == "interstitial")
    assert len(new.atoms) == len(cell.atoms) - n_removed + n_added
    for k, r in enumerate(records):
        xy = r.sites[:, :2]
        # every box contains its own sites, in pixel coordinates
        assert _box_contains(r.bbox_px, xy / scale)
        np.testing.assert_allclose(r.center_px, (xy / scale).mean(axis=0))
        # away from the edges; the first site drawn in the middle half of the depth
        assert np.all(xy >= EDGE_MARGIN - 1e-9) and np.all(xy <= size - EDGE_MARGIN + 1e-9)
        z = r.sites[:, 2]
        assert np.any((z >= cell.thickness / 4 - 1e-9) & (z <= 3 * cell.thickness / 4 + 1e-9))
        assert np.all((z > 0) & (z < cell.thickness))
        # indices: removed -> input atoms at the sites; added -> returned atoms with the new element
        if r.kind != "interstitial":
            np.testing.assert_allclose(cell.atoms.positions[r.removed], r.sites)
        if r.kind != "vacancy":
            assert [new.atoms[i].symbol for i in r.added] == r.elements
        if r.kind == "interstitial":
            np.testing.assert_allclose(new.atoms.positions[r.added], r.sites)
        for other in records[k + 1:]:
            d = np.linalg.norm(xy[:, None] - other.sites[None, :, :2], axis=2)
            assert d.min() >= MIN_SEPARATION
            assert not boxes_overlap(r.bbox_px, other.bbox_px)
    # vacancies: nothing left at their sites
    for r in records:
        if r.kind == "vacancy":
            d = np.linalg.norm(new.atoms.positions[:, None] - r.sites[None], axis=2).min(axis=0)
            assert np.all(d > 0.5)
    assert len(cell.atoms) == 2385  # input untouched


def test_sites_spread_over_the_field_of_view(cell):
    centres = np.array([add_point_defects(cell, 1, "vacancy", 1, rng=s, pixels=PIXELS)[1][0].center_px
                        for s in range(16)])
    scale = cell.size / PIXELS
    # not a centre prior: the sites cover most of the allowed square
    assert np.ptp(centres, axis=0).min() * scale > 0.6 * (cell.size - 2 * EDGE_MARGIN)
    assert np.linalg.norm(centres - PIXELS / 2, axis=1).max() * scale > 10.0


def test_interstitials_keep_the_wider_margin(cell):
    for s in range(4):
        _, records = add_point_defects(cell, 2, "interstitial", 1, rng=s, pixels=PIXELS)
        for r in records:
            assert np.all(r.sites[:, :2] >= EDGE_MARGIN) and np.all(r.sites[:, :2] <= cell.size - EDGE_MARGIN)
        d = np.linalg.norm(records[0].sites[:, None, :2] - records[1].sites[None, :, :2], axis=2)
        assert d.min() >= MIN_SEPARATION
    assert SEARCH_RADIUS > 0


def test_zero_defects_and_center_mode_same_as_before(cell):
    new, records = add_point_defects(cell, 0, KINDS, 1, rng=3)
    assert records == [] and new is not cell
    np.testing.assert_array_equal(new.atoms.positions, cell.atoms.positions)
    small = orient(prototype("perovskite"), (0, 0, 1), size=20.0)
    for seed in range(4):
        new, records = add_point_defects(small, 1, KINDS, 2, rng=seed, position="center", pixels=PIXELS)
        rng = np.random.default_rng(seed)
        kind = KINDS[int(rng.integers(len(KINDS)))]
        ref, rec = add_point_defect(small, kind, 2, rng, pixels=PIXELS)
        assert records[0].to_dict() == rec.to_dict()
        np.testing.assert_array_equal(new.atoms.positions, ref.atoms.positions)
        assert new.atoms.get_chemical_symbols() == ref.atoms.get_chemical_symbols()


def test_reproducible_and_errors(cell):
    a = add_point_defects(cell, 3, KINDS, 1, rng=11)
    b = add_point_defects(cell, 3, KINDS, 1, rng=11)
    assert [r.to_dict() for r in a[1]] == [r.to_dict() for r in b[1]]
    np.testing.assert_array_equal(a[0].atoms.positions, b[0].atoms.positions)
    with pytest.raises(ValueError, match="no room"):
        add_point_defects(cell, 40, "vacancy", 1, rng=0)
    with pytest.raises(ValueError, match="n_defects"):
        add_point_defects(cell, -1)
    with pytest.raises(ValueError, match="kinds"):
        add_point_defects(cell, 1, ("hole",))
    with pytest.raises(ValueError, match="position"):
        add_point_defects(cell, 1, position="edge")
    with pytest.raises(ValueError, match="center"):
        add_point_defects(cell, 2, position="center")
    with pytest.raises(ValueError, match="margin"):
        add_point_defects(cell, 1, margin=-1.0)
    with pytest.raises(ValueError, match="margin"):
        add_point_defects(cell, 1, margin=25.0)


def test_periodic_cell_and_amorphous_layer():
    from synthstem.structures.amorphous import add_amorphous_layer
    from synthstem.structures.columns import AMORPHOUS_KEY

    cell = orient(prototype("perovskite"), (0, 0, 1), size=30.0, thickness=12.0, boundary="periodic")
    layered, _ = add_amorphous_layer(cell, "C", 4.0, 2.0, side="exit", rng=2)
    new, records = add_point_defects(layered, 3, ("vacancy", "substitution"), 1, rng=4, pixels=PIXELS)
    flags = layered.atoms.arrays[AMORPHOUS_KEY]
    for r in records:
        assert not np.any(flags[r.removed])  # defects sit in crystal columns, never in the layer
        assert _box_contains(r.bbox_px, r.sites[:, :2] / (layered.size / PIXELS))
    # the layer is untouched: same amorphous atoms before and after
    assert new.atoms.arrays[AMORPHOUS_KEY].sum() == flags.sum()
