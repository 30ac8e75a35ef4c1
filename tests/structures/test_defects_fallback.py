"""A level-2 defect where no column holds 3 atoms of one element (thin or high-index
projections): it takes the most the nearest such column holds, instead of failing."""

import numpy as np
import pytest
from ase import Atoms

from synthstem.structures.defects import place_defect


def _cell(depth_atoms):
    """A square lattice of Au columns 3 A apart in a 12 A field; ``depth_atoms`` atoms per column."""
    pos = [(x, y, 2.0 + 3.0 * k) for x in np.arange(1.5, 12, 3.0) for y in np.arange(1.5, 12, 3.0)
           for k in range(depth_atoms)]
    atoms = Atoms(["Au"] * len(pos), positions=pos, cell=[12.0, 12.0, 3.0 * depth_atoms + 2.0], pbc=False)
    return atoms


@pytest.mark.parametrize("per_column, expect", [(1, 1), (2, 2), (5, 3)])
def test_level_two_vacancy_takes_what_the_column_holds(per_column, expect):
    atoms = _cell(per_column)
    new, record = place_defect(atoms, "vacancy", 2, np.random.default_rng(0), pixels=64)
    assert len(record.removed) == len(record.sites) == expect
    assert len(new) == len(atoms) - expect
    # the sites are one column's atoms (same x, y)
    xy = atoms.positions[record.removed, :2]
    assert np.ptp(xy[:, 0]) < 1e-9 and np.ptp(xy[:, 1]) < 1e-9


def test_no_allowed_column_is_one_clear_error():
    with pytest.raises(ValueError, match="no atom column is allowed to hold the defect"):
        place_defect(_cell(3), "vacancy", 1, np.random.default_rng(0), pixels=64,
                     allowed=lambda xy: np.zeros(len(xy), bool))


def test_level_two_vacancy_when_the_element_is_only_near_a_surface():
    """Columns whose middle half holds only another element (rocksalt [2 2 1] in
    atomagined-retrieval): the three same-element atoms near the surface are taken."""
    depth = 24.0
    pos, sym = [], []
    for x in np.arange(1.5, 12, 3.0):
        for y in np.arange(1.5, 12, 3.0):
            pos += [(x, y, 1.0), (x, y, 2.5), (x, y, 4.0), (x, y, 12.0)]
            sym += ["Au", "Au", "Au", "Cu"]
    atoms = Atoms(sym, positions=pos, cell=[12.0, 12.0, depth], pbc=False)
    new, record = place_defect(atoms, "vacancy", 2, np.random.default_rng(1), pixels=64)
    assert len(record.removed) == 3 and {atoms[i].symbol for i in record.removed} == {"Au"}
    assert len(new) == len(atoms) - 3
