"""The one shape every scene has: specimen atoms plus the labels the scene owns.

A *scene* is a specimen that is not (only) one bulk crystal cut along a zone axis:
atoms and clusters on a support, nanoparticles, 2D monolayers, interfaces. Each kind is
one small module with one public builder ``build_<kind>(rng=None, **params) -> Scene``
(keyword parameters with documented defaults and units), listed in
:data:`synthstem.scenes.registry.SCENE_KINDS`.

Geometry (the same as :class:`synthstem.structures.orient.OrientedCell`): the beam runs
along +z and enters at z = 0; ``atoms.cell`` is ``diag(size, size, thickness)`` with
``pbc=True``; positions lie in ``[0, size)^2 x [0, thickness)`` [Angstrom].

Labels travel on the atoms, so that any scene yields them in one shape and every export,
loader and evaluation serves every scene without a branch:

- ``atoms.arrays[SITE_KEY]`` (str, per atom): the label class of the atom ('Pt',
  'Mo', 'S', 'W_dopant', 'grain0:Sr', ...); ``""`` marks an unlabelled atom (amorphous
  support, background crystal) that belongs to no labelled column.
- ``atoms.arrays[INSTANCE_KEY]`` (int, per atom): the instance the atom belongs to
  (cluster, particle, grain, layer); ``-1`` for none.
- :attr:`Scene.markers`: labelled sites that hold no atom (vacancies), in the same
  classes-and-instances shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ase import Atoms

from ..structures.columns import INSTANCE_KEY, SITE_KEY  # one source of truth: merge_columns reads them

__all__ = ["SITE_KEY", "INSTANCE_KEY", "Scene", "Markers"]


@dataclass
class Markers:
    """Labelled sites without an atom (e.g. vacancies).

    Attributes
    ----------
    xyz : numpy.ndarray
        (K, 3) float positions [Angstrom] in the scene's frame.
    label : list of str
        (K,) class of each site ('S_vacancy', 'Mo_vacancy', ...).
    instance : numpy.ndarray
        (K,) int instance id, -1 = none.
    """

    xyz: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    label: list = field(default_factory=list)
    instance: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    def __len__(self):
        return len(self.label)


@dataclass
class Scene:
    """A specimen and its labels (see the module docstring for the conventions).

    Attributes
    ----------
    atoms : ase.Atoms
        Cell ``diag(size, size, thickness)``, beam along +z, with the per-atom arrays
        ``SITE_KEY`` and ``INSTANCE_KEY``.
    size : float
        Lateral edge = field of view [Angstrom].
    kind : str
        Scene kind (a key of ``SCENE_KINDS``).
    params : dict
        Every parameter that made the scene, drawn values included (JSON-safe).
    markers : Markers
        Labelled sites without an atom.
    """

    atoms: Atoms
    size: float
    kind: str
    params: dict = field(default_factory=dict)
    markers: Markers = field(default_factory=Markers)

    @property
    def thickness(self):
        """Extent along the beam [Angstrom]."""
        return float(self.atoms.cell[2, 2])

    def as_cell(self, structure_id=0):
        """The scene as an :class:`~synthstem.structures.orient.OrientedCell` (beam along z,
        no crystal frame: uvw (0, 0, 1), P1, boundary 'scene'), so that simulation and
        labels treat it as any oriented cell."""
        from ..structures.orient import OrientedCell, chemical_formula

        return OrientedCell(atoms=self.atoms, size=float(self.size), uvw=(0, 0, 1), hkl=(0.0, 0.0, 1.0),
                            formula=chemical_formula(self.atoms), source=f"scene:{self.kind}",
                            structure_id=int(structure_id), spacegroup=("P1", 1), rotation=np.eye(3),
                            thickness=self.thickness, boundary="scene")

    def check(self):
        """Raise ValueError naming the first broken invariant of the conventions."""
        a = self.atoms
        n = len(a)
        cell = np.asarray(a.cell)
        if not np.allclose(cell, np.diag(np.diag(cell))) or not np.allclose(cell[0, 0], self.size) \
                or not np.allclose(cell[1, 1], self.size) or cell[2, 2] <= 0:
            raise ValueError(f"scene {self.kind!r}: cell must be diag(size, size, thickness), got {np.diag(cell)}")
        for key, kind in ((SITE_KEY, "U"), (INSTANCE_KEY, "i")):
            arr = a.arrays.get(key)
            if arr is None or len(arr) != n or arr.dtype.kind != kind:
                raise ValueError(f"scene {self.kind!r}: per-atom array {key!r} missing or of the wrong type")
        p = a.positions
        if n and (p[:, :2].min() < 0 or p[:, :2].max() >= self.size or p[:, 2].min() < 0
                  or p[:, 2].max() >= self.thickness):
            raise ValueError(f"scene {self.kind!r}: atoms outside [0, size)^2 x [0, thickness)")
        return self
