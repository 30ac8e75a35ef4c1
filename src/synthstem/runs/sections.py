"""The tables of a run configuration (``[run]``, ``[[structures]]``, ``[output]``, ...).

``[microscope]`` and ``[simulation]`` live in :mod:`.physics_sections`.

Plain validated data: pydantic models, strict types, unknown keys are errors. Assembled
into :class:`synthstem.runs.config.Config`.
"""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field, field_validator, model_validator

from ..distributions import Spec, as_spec, support
from ..exports import registry
from ..noise.conditions import condition_from_dict
from ..structures.defect_placement import EDGE_MARGIN, MIN_SEPARATION
from ..structures.names import check_uvw
from .model import DRAWN, Model, checked_spec


# export names and option defaults: synthstem.exports.registry (the one place they live)
_EXP, _AUG, _SPLIT = registry.EXPORT_DEFAULTS, registry.AUGMENT_DEFAULTS, registry.SPLIT_DEFAULTS


class RunSection(Model):
    """``[run]``: what kind of dataset and its seed."""

    name: str = Field("dataset", description="dataset name (recorded in the manifest)")
    kind: Literal["general", "retrieval"] = Field("general", description="'general' or 'retrieval'")
    seed: int = Field(0, ge=0, description="run seed: every item's random stream derives from it")


class StructureEntry(Model):
    """One ``[[structures]]`` entry: a prototype or a CIF, and its viewing directions."""

    prototype: str | None = Field(
        None, description="prototype name ('perovskite', 'perovskite/BaTiO3') or 'all' listed decorations")
    cif: str | None = Field(None, description="CIF path (relative to the config file)")
    elements: Union[str, dict[str, Union[str, list[str]]], None] = Field(
        None, description="decoration name, 'all' listed ones, or role -> element (a list: drawn)")
    random: bool = Field(False, description="draw random decorations (synthstem.structures.prototypes.draw_decoration)")
    draws: int = Field(1, ge=1, le=100000, description="decorations drawn (random or lists in elements)")
    uvw: Union[Literal["all"], list[list[int]]] = Field(
        [[0, 0, 1]], description="zone axes [[u, v, w], ...] or 'all' symmetry-distinct ones")
    max_index: int = Field(1, ge=1, le=4, description="largest |u|, |v|, |w| for uvw = 'all'")
    allow_large_indices: bool = Field(
        False, description="allow zone-axis indices beyond [-2, 2] (up to 9; slow, large cells)")
    id: int | None = Field(None, ge=0, le=999999, description="structure id (default: the CIF's, else numbered from 1)")

    @model_validator(mode="after")
    def _zone_axes(self):
        # the rule of a run (synthstem.structures.orient): structures.names.check_uvw
        if self.uvw == "all":
            if self.max_index > 2 and not self.allow_large_indices:
                raise ValueError(f"uvw: max_index = {self.max_index} needs allow_large_indices = true")
            return self
        if not self.uvw:
            raise ValueError("uvw: needs at least one zone axis")
        for axis in self.uvw:
            try:
                check_uvw(axis, allow_large_indices=self.allow_large_indices)
            except ValueError as err:
                raise ValueError(f"uvw: {err}".replace("pass allow_large_indices=True",
                                                       "set allow_large_indices = true")) from None
            if max(abs(i) for i in axis) > 9:
                raise ValueError(f"uvw: indices must be in [-9, 9] (item names), got {axis}")
        return self

    @model_validator(mode="after")
    def _one_source(self):
        if (self.prototype is None) == (self.cif is None):
            raise ValueError("give exactly one of 'prototype' or 'cif'")
        if self.cif is not None and (self.elements is not None or self.random or self.draws != 1):
            raise ValueError("'elements', 'random' and 'draws' apply to prototypes only")
        if isinstance(self.elements, dict):
            empty = sorted(role for role, v in self.elements.items() if v == [])
            if empty:
                raise ValueError(f"elements: the element list of role(s) {empty} is empty; "
                                 f"give at least one element to draw from")
        drawn = self.random or (isinstance(self.elements, dict)
                                and any(isinstance(v, list) for v in self.elements.values()))
        if self.draws != 1 and not drawn:
            raise ValueError("'draws' > 1 needs random = true or element lists to draw from")
        if self.random and self.elements is not None:
            raise ValueError("give either random = true or 'elements', not both")
        if self.prototype == "all" and (self.elements is not None or self.random):
            raise ValueError("prototype = 'all' takes every listed decoration; drop 'elements'/'random'")
        return self


class AugmentSection(Model):
    """``[output.augment]``: augmented variants of every exported image."""

    variants: int = Field(_AUG["variants"], ge=0, le=1000, description="augmented variants per exported image")
    n_transforms: list[int] = Field(list(_AUG["n_transforms"]), description="[min, max] transforms drawn per variant")
    min_box_size: float = Field(_AUG["min_box_size"], ge=0, description="defect boxes smaller than this after the transform are dropped [px]")
    min_box_visible: float = Field(_AUG["min_box_visible"], ge=0, le=1, description="defect boxes less visible than this fraction are dropped")
    shard_size: int = Field(_AUG["shard_size"], ge=0, description="augmented COCO/CVAT/box files: images per shard (0: one file)")

    @field_validator("n_transforms")
    @classmethod
    def _n_transforms(cls, v):
        if len(v) != 2 or not 1 <= v[0] <= v[1]:
            raise ValueError(f"must be [min, max] with 1 <= min <= max, got {v}")
        return v


class SplitsSection(Model):
    """``[output.splits]``: train/test split and few-shot subsets of the exports."""

    by: Literal[registry.SPLIT_BY] = Field(
        _SPLIT["by"], description="'none' (one split 'all'), 'structure' or 'prototype' (groups kept together)")
    test_fraction: float = Field(_SPLIT["test_fraction"], gt=0, lt=1, description="fraction of groups in the test split")
    few_shot: bool = Field(_SPLIT["few_shot"], description="write few-shot subsets of the training split")
    shots: list[int] = Field(list(_SPLIT["shots"]), description="few-shot sizes (images per class)")
    runs: int = Field(_SPLIT["runs"], ge=1, le=1000, description="few-shot subsets drawn per size")

    @field_validator("shots")
    @classmethod
    def _shots(cls, v):
        if not v or min(v) < 1:
            raise ValueError(f"needs positive sizes, got {v}")
        return v


class PeaksSection(Model):
    """``[output.peaks]``: the peak-map rule (synthstem.labels.peaks)."""

    radius: float = Field(2.5, gt=0, le=20, description="peak to column distance [pixels]")
    contrast: float = Field(0.3, ge=0, lt=1, description="minimum relative contrast")
    window: int = Field(7, ge=3, le=63, description="contrast neighbourhood [pixels], odd")

    @field_validator("window")
    @classmethod
    def _odd(cls, v):
        if v % 2 == 0:
            raise ValueError(f"must be odd, got {v}")
        return v


class OutputSection(Model):
    """``[output]``: which conditions, PNGs and exports."""

    conditions: Union[Literal["all"], list[str]] = Field(
        "all", description="conditions of every item (general datasets); 'all' = the 16")
    png: bool = Field(True, description="write <name>-<condition>.png previews")
    exports: list[Literal[registry.NAMES]] = Field(
        list(_EXP["exports"]), description="post-processing exports (synthstem.exports.registry)")
    export_conditions: list[str] = Field(
        list(_EXP["image_condition"]), description="images exported per item: dataset or condition names ('raw', 'stem00-clean', 'dfct1', ...)")
    min_area: int = Field(_EXP["min_area"], ge=0, description="exports: minimum column instance area [px]")
    radius_angstrom: float = Field(_EXP["radius_angstrom"], gt=0, le=10, description="exports: column disc radius [Angstrom]")
    heatmap_sigma_angstrom: float = Field(_EXP["heatmap_sigma_angstrom"], gt=0, le=10, description="exports: heatmap Gaussian sigma [Angstrom]")
    tiff_dtype: Literal[registry.TIFF_DTYPES] = Field(
        _EXP["tiff_dtype"], description="exports: pixels of the 'tiff' export, 'float32' or 'uint16'")
    augment: AugmentSection = AugmentSection()
    splits: SplitsSection = SplitsSection()
    peaks: PeaksSection = PeaksSection()

    @field_validator("conditions")
    @classmethod
    def _conditions(cls, v):
        return _check_conditions(v)

    @field_validator("export_conditions")
    @classmethod
    def _export_conditions(cls, v):
        if not v:
            raise ValueError("needs at least one image name")
        if len(set(v)) != len(v):
            raise ValueError(f"names repeat: {v}")
        return v


def _check_conditions(v):
    """Repeats only; unknown names are checked by Config (user conditions count)."""
    if v == "all":
        return v
    if len(set(v)) != len(v):
        raise ValueError(f"conditions repeat: {v}")
    return v


class RetrievalSection(Model):
    """``[retrieval]``: targets and their twins among the choices (run.kind = 'retrieval')."""

    scale: float = Field(1.0, gt=0, le=100, description="multiplies targets and choices")
    targets: int = Field(400, ge=1, description="targets at scale 1 (paper: 400)")
    choices: int = Field(2400, ge=1, description="choices at scale 1 (paper: 2400), >= targets")
    target_conditions: Union[Literal["all"], list[str]] = Field("all", description="conditions of targets")
    choice_conditions: Union[Literal["all"], list[str]] = Field(
        ["raw", "clean", "blbk1", "blbk2"], description="conditions of choices")
    shift: bool = Field(True, description="twins get a random sub-cell shift of the field of view")

    @field_validator("target_conditions", "choice_conditions")
    @classmethod
    def _conditions(cls, v):
        return _check_conditions(v)

    @model_validator(mode="after")
    def _sizes(self):
        if self.n_choices < self.n_targets:
            raise ValueError(f"choices ({self.n_choices}) must be >= targets ({self.n_targets})")
        return self

    @property
    def n_targets(self):
        return max(1, round(self.targets * self.scale))

    @property
    def n_choices(self):
        return max(1, round(self.choices * self.scale))


class DefectsSection(Model):
    """``[defects]``: point defects of the dfct / comb conditions (one defect cell per level)."""

    kinds: list[Literal["vacancy", "substitution", "interstitial"]] = Field(
        ["vacancy"], description="defect kinds, one drawn per defect")
    count: Spec = Field(1, description="defects per defect image (0: defect-free)" + DRAWN)
    position: Spec = Field(
        "center", description="'center' (atomagined: one defect at the centre) or 'anywhere'" + DRAWN)
    margin: float = Field(EDGE_MARGIN, ge=0, le=100,
                          description="'anywhere': smallest distance of a site from the edges [Angstrom]")
    min_separation: float = Field(MIN_SEPARATION, ge=0, le=100,
                                  description="smallest lateral distance between defects [Angstrom]")

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, v):
        if not v:
            raise ValueError("needs at least one kind")
        return v

    @field_validator("count", "position")
    @classmethod
    def _drawable(cls, v, info):
        return checked_spec("defects", info.field_name, v)

    @model_validator(mode="after")
    def _center_is_single(self):
        centre = "center" in getattr(as_spec(self.position), "choice", [self.position])
        if centre and support(self.count)[1] > 1:
            raise ValueError("count: position 'center' places one defect; draw count <= 1 "
                             "or use position = 'anywhere'")
        return self

    def specs(self):
        return {"defects.count": self.count, "defects.position": self.position}


class AmorphousSection(Model):
    """``[amorphous]``: amorphous surface layers (synthstem.structures.amorphous)."""

    thickness: Spec = Field(0.0, description="layer thickness [Angstrom] per side (0: none)" + DRAWN)
    composition: Spec = Field("C", description="element or formula ('C', 'SiO2')" + DRAWN)
    density: Spec = Field(2.0, description="mass density [g/cm^3]" + DRAWN)
    side: Spec = Field("entrance", description="'entrance', 'exit' or 'both'" + DRAWN)
    min_distance: Optional[float] = Field(
        None, ge=0, le=5, description="smallest atom distance [Angstrom] (none: from covalent radii)")

    @field_validator("thickness", "composition", "density", "side")
    @classmethod
    def _drawable(cls, v, info):
        return checked_spec("amorphous", info.field_name, v)

    def specs(self):
        return {f"amorphous.{k}": getattr(self, k)
                for k in ("thickness", "composition", "density", "side")}


class ConditionTable(Model):
    """One ``[conditions.NAME]`` table: a user condition (synthstem.noise.conditions).

    Unset keys come from ``base`` (a named condition) or the Condition defaults.
    """

    base: str | None = Field(None, description="named condition whose values are the defaults")
    blur: float | None = None
    counts: Union[float, Literal["inf"], None] = None
    scan: float | None = None
    background: float | None = None
    defect_level: int | None = None
    stem_index: int | None = None
    dose: float | None = None
    drift: float | None = None
    flyback: float | None = None
    flyback_tau: float | None = None
    line_current: float | None = None
    detector_gain: float | None = None
    gain_cv: float | None = None
    dark_noise: float | None = None
    detector_offset: float | None = None
    quantise: bool | None = None
    background_field: float | None = None
    background_scale: float | None = None
    row_gain: float | None = None
    row_offset: float | None = None
    row_exponent: float | None = None
    current_drift: float | None = None
    dose_spread: float | None = None

    def values(self):
        return {k: v for k, v in self.model_dump(mode="json").items() if v is not None}


def user_condition(name, table):
    """The :class:`~synthstem.noise.conditions.Condition` of a ``[conditions.NAME]`` table."""
    values = table.values() if isinstance(table, ConditionTable) else dict(table)
    return condition_from_dict(name, values)
