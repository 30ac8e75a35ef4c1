"""The defect record and cell helpers (synthstem.structures.defect_record), split out of
synthstem.structures.defects, which re-exports DefectRecord."""

import numpy as np
import pytest
from ase import Atoms

from synthstem.structures import defects
from synthstem.structures.defect_record import DefectRecord, check_element, repack_cell, unpack_cell


def test_record_is_re_exported_and_round_trips():
    assert defects.DefectRecord is DefectRecord
    rec = DefectRecord("vacancy", 1, np.zeros((1, 3)), [3], [], [5], np.ones((1, 3)), (1.0, 2.0),
                       [0.0, 1.0, 2.0, 3.0], elements=[""], host_elements=["Cu"], amplitude=-0.1)
    back = DefectRecord.from_dict({**rec.to_dict(), "condition": "dfct1"})
    assert back.to_dict() == rec.to_dict()


def test_cell_helpers():
    atoms = Atoms("Cu2", positions=[[0, 0, 0], [1, 1, 1]], cell=[4.0, 4.0, 6.0])
    got, size, depth = unpack_cell(atoms)
    assert got is atoms and (size, depth) == (4.0, 6.0)
    assert repack_cell(atoms, atoms[:1]) is not atoms and len(repack_cell(atoms, atoms[:1])) == 1
    with pytest.raises(ValueError, match="square laterally"):
        unpack_cell(Atoms("Cu", cell=[4.0, 5.0, 6.0]))
    assert check_element("Fe") == "Fe"
    with pytest.raises(ValueError, match="substituent must be a chemical symbol"):
        check_element("Xx", "substituent")
