"""One planned item: a fully resolved, serialisable :class:`Task`.

A task holds everything needed to build one item without the config: the structure
source, the zone axis, every physics and noise parameter and the seeds. Tasks are plain
data (JSON-safe via :meth:`Task.to_dict`), so a plan can be printed, stored or sent to
any worker.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..io.png import item_png_names
from ..noise.conditions import REFERENCE_CONDITIONS, condition_from_dict


@dataclass
class Task:
    """Everything a worker needs to build one item.

    Attributes
    ----------
    index : int
        Item index in the plan (its random streams derive from ``(seed, index)``).
    name, subset, role : str
        Item name (``CCCCCC.SuSvSw``), folder in the dataset ('items', 'targets',
        'choices'), role ('general', 'target', 'choice').
    structure : dict
        ``{'prototype': name, 'elements': ...}`` or ``{'cif': absolute path}``.
    structure_id : int
    uvw : tuple of int
        Zone axis.
    conditions : dict
        ``{name: Condition.to_dict()}``, in image order (resolved: user conditions too).
    physics : dict
        ``{'microscope': {...}, 'simulation': {...}, 'defects': {...}, 'amorphous': {...},
        'drawn': {...}}``: keyword values of ``synthstem.physics.optics.Microscope``,
        ``synthstem.physics.simulate`` and ``orient`` (thickness, boundary), the defects
        (count, position, margin) and amorphous layers of the item, each resolved from the
        config's distributions at plan time (``synthstem.runs.plan.item_physics``);
        ``drawn`` lists the values that were drawn.
    peaks : dict
        Peak-map rule (synthstem.labels.peaks).
    defect_kinds : list of str
    seed : int
        Run seed.
    out : str
        Absolute dataset folder.
    png : bool
    shift : bool
        Random sub-cell shift of the structure (retrieval twins).
    twin : str
        Retrieval: the twin's HDF5 path.
    allow_large_indices : bool
        Zone-axis rule of synthstem.structures.names.check_uvw.
    """

    index: int
    name: str
    subset: str
    role: str
    structure: dict
    structure_id: int
    uvw: tuple
    conditions: dict
    physics: dict
    peaks: dict
    defect_kinds: list
    seed: int
    out: str
    png: bool = True
    shift: bool = False
    twin: str = ""
    allow_large_indices: bool = False

    def _rel(self, filename):
        return f"{self.subset}/{filename}" if self.subset else filename

    @property
    def h5(self):
        """HDF5 path relative to the dataset folder."""
        return self._rel(f"{self.name}.h5")

    def condition_objects(self):
        """{name: synthstem.noise.conditions.Condition} of the item's conditions."""
        return {name: condition_from_dict(name, {k: v for k, v in d.items() if k != "name"})
                for name, d in self.conditions.items()}

    def dataset_names(self):
        """{condition: image name in the item} ('raw', 'stem00-clean', ...)."""
        return {name: c.dataset_name for name, c in self.condition_objects().items()}

    def png_files(self):
        """PNG paths relative to the dataset folder (none if ``png`` is off)."""
        if not self.png:
            return []
        keys = list(self.dataset_names().values())
        return [self._rel(n) for n in item_png_names(self.name, keys).values()]

    def files(self):
        """Every file of the item, the HDF5 file first."""
        return [self.h5, *self.png_files()]

    def settings(self):
        """The run settings recorded in the item (``params['settings']``)."""
        return {
            "microscope": self.physics["microscope"],
            "simulation": self.physics["simulation"],
            "peaks": self.peaks,
            "defects": {"kinds": list(self.defect_kinds), **self.physics.get("defects", {})},
            "amorphous": self.physics.get("amorphous"),
            "drawn": self.physics.get("drawn", {}),
            "png": self.png,
            "seed": self.seed,
            "conditions": {n: c for n, c in self.conditions.items() if n not in REFERENCE_CONDITIONS},
        }

    def to_dict(self):
        """JSON-safe dict (:meth:`from_dict` rebuilds the task)."""
        d = asdict(self)
        d["uvw"] = list(self.uvw)
        return d

    @classmethod
    def from_dict(cls, d):
        """The task of a :meth:`to_dict` dict."""
        return cls(**dict(d, uvw=tuple(int(i) for i in d["uvw"])))
