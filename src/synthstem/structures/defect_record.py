"""What a point defect changed (:class:`DefectRecord`), and the cells defects work on.

Record
------
:class:`DefectRecord`: ``removed`` are indices into the input atoms, ``added`` and
``displaced`` into the returned atoms (vacancies delete atoms, interstitials are
appended at the end, substitutions keep the index: ``removed == added``). ``bbox_px`` is
``[x0, y0, w, h]`` in pixel coordinates (pixel-centre convention, x = column), the box
of the projected defect sites and of the atoms displaced by more than 60 % of ``|A|``
(the first coordination shell, within about 1.3 ``r_nn``; ``A`` and ``r_nn`` as in
:mod:`synthstem.structures.defects`), padded by 0.5 Angstrom and
clipped to the image ``[-0.5, pixels - 0.5]``.

``unpack_cell`` / ``repack_cell`` take an ``OrientedCell``-like object or a square
``ase.Atoms`` apart and back; ``check_element`` validates a chemical symbol. Used by
:mod:`synthstem.structures.defects` and :mod:`synthstem.structures.defect_placement`.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers

__all__ = ["DefectRecord", "unpack_cell", "repack_cell", "check_element"]


@dataclass
class DefectRecord:
    """Where a point defect is and what it changed.

    Attributes
    ----------
    kind : str
        'vacancy', 'substitution' or 'interstitial'.
    level : int
        1 or 2 (see the module docstring).
    sites : np.ndarray
        (n, 3) defect positions [Angstrom] (removed, substituted or added atoms).
    removed : list[int]
        Indices into the input atoms of removed (or substituted) atoms.
    added : list[int]
        Indices into the returned atoms of added (or substituted) atoms.
    displaced : list[int]
        Indices into the returned atoms of atoms moved by the relaxation.
    displacements : np.ndarray
        (len(displaced), 3) relaxation displacements [Angstrom].
    center_px : tuple[float, float]
        Projected mean defect position (x, y) [px].
    bbox_px : list[float]
        ``[x0, y0, w, h]`` [px], pixel-centre convention.
    elements : list[str]
        Element of each site after the defect ('' for vacancies).
    host_elements : list[str]
        Element of each site before the defect ('' for interstitials).
    amplitude : float
        Signed relaxation amplitude [Angstrom] (negative: toward the defect).
    column_px : tuple[float, float]
        Projected position of the host column the defect was placed in [px].
    """

    kind: str
    level: int
    sites: np.ndarray
    removed: list
    added: list
    displaced: list
    displacements: np.ndarray
    center_px: tuple
    bbox_px: list
    elements: list = field(default_factory=list)
    host_elements: list = field(default_factory=list)
    amplitude: float = 0.0
    column_px: tuple = (0.0, 0.0)

    def to_dict(self):
        """JSON-safe dictionary (lists of plain floats and ints)."""
        return {
            "kind": self.kind,
            "level": int(self.level),
            "sites": np.asarray(self.sites, dtype=float).reshape(-1, 3).tolist(),
            "removed": [int(i) for i in self.removed],
            "added": [int(i) for i in self.added],
            "displaced": [int(i) for i in self.displaced],
            "displacements": np.asarray(self.displacements, dtype=float).reshape(-1, 3).tolist(),
            "center_px": [float(v) for v in self.center_px],
            "bbox_px": [float(v) for v in self.bbox_px],
            "elements": list(self.elements),
            "host_elements": list(self.host_elements),
            "amplitude": float(self.amplitude),
            "column_px": [float(v) for v in self.column_px],
        }

    @classmethod
    def from_dict(cls, d):
        """Inverse of :meth:`to_dict` (ignores keys it does not know, e.g. 'condition')."""
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        kw["sites"] = np.asarray(kw["sites"], dtype=float).reshape(-1, 3)
        kw["displacements"] = np.asarray(kw["displacements"], dtype=float).reshape(-1, 3)
        kw["center_px"] = tuple(kw["center_px"])
        if "column_px" in kw:
            kw["column_px"] = tuple(kw["column_px"])
        return cls(**kw)


def unpack_cell(cell):
    """(atoms, size, thickness) from an OrientedCell-like object or an ase.Atoms with a square cell."""
    if isinstance(cell, Atoms):
        atoms = cell
        c = np.asarray(atoms.cell.array, dtype=float)
        if abs(np.linalg.det(c)) < 1e-9 or not np.allclose(c, np.diag(np.diag(c)), atol=1e-9):
            raise ValueError(f"cell must have an orthogonal unit cell, got {c.tolist()}")
        if not np.isclose(c[0, 0], c[1, 1]):
            raise ValueError(f"cell must be square laterally (cell[0,0] == cell[1,1]), got {np.diag(c).tolist()}")
        return atoms, float(c[0, 0]), float(c[2, 2])
    atoms = getattr(cell, "atoms", None)
    size = getattr(cell, "size", None)
    if not isinstance(atoms, Atoms) or size is None:
        raise ValueError(
            f"cell must be an OrientedCell (with .atoms and .size) or an ase.Atoms, got {type(cell).__name__}"
        )
    size = float(size)
    if not np.isfinite(size) or size <= 0:
        raise ValueError(f"cell.size must be positive [Angstrom], got {size!r}")
    depth = getattr(cell, "thickness", None)
    depth = size if depth is None else float(depth)
    if not np.isfinite(depth) or depth <= 0:
        raise ValueError(f"cell.thickness must be positive [Angstrom], got {depth!r}")
    return atoms, size, depth


def repack_cell(cell, atoms):
    """Return an object of the input's type holding ``atoms``."""
    if isinstance(cell, Atoms):
        return atoms
    if hasattr(cell, "copy_with"):
        return cell.copy_with(atoms)
    if dataclasses.is_dataclass(cell):
        return dataclasses.replace(cell, atoms=atoms)
    out = copy.copy(cell)
    out.atoms = atoms
    return out


def check_element(element, what="element"):
    if not isinstance(element, str) or element not in atomic_numbers or element == "X":
        raise ValueError(f"{what} must be a chemical symbol such as 'Fe', got {element!r}")
    return element
