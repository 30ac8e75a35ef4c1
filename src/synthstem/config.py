"""Run configuration: typed, validated, unknown keys are errors.

A config is a TOML file (read with :mod:`tomllib`) with the tables documented in
``docs/datasets.md``; ``synthstem config show`` prints every key with its default.
Validation errors are ``ValueError`` naming the key path, e.g.
``microscope.energy: Input should be greater than 0 (got -1)``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal, Union

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser from PyPI
    import tomli as tomllib

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: every distortion condition of atomagined, in its order ('raw' is the noise-free image)
ALL_CONDITIONS = ("raw", "clean", "blur1", "blur2", "cnts1", "cnts2", "scan1", "scan2",
                  "bkgd1", "bkgd2", "blbk1", "blbk2", "dfct1", "dfct2", "comb1", "comb2")
EXPORTS = ("coco", "cvat", "masks", "heatmaps", "boxes")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, validate_default=True)


class RunSection(_Model):
    """``[run]``: what kind of dataset and its seed."""

    name: str = Field("dataset", description="dataset name (recorded in the manifest)")
    kind: Literal["general", "retrieval"] = Field("general", description="'general' or 'retrieval'")
    seed: int = Field(0, ge=0, description="run seed: every item's random stream derives from it")


class MicroscopeSection(_Model):
    """``[microscope]``: probe optics and detector (fields of synthstem.Microscope)."""

    energy: float = Field(200e3, gt=0, description="acceleration voltage [eV]")
    convergence: float = Field(20.0, gt=0, description="probe semi-angle [mrad]")
    defocus: float = Field(0.0, description="defocus [Angstrom], positive = underfocus")
    Cs: float = Field(0.0, description="spherical aberration C30 [Angstrom]")
    C5: float = Field(0.0, description="fifth-order spherical aberration [Angstrom]")
    astigmatism: float = Field(0.0, description="two-fold astigmatism C12 [Angstrom]")
    astigmatism_angle: float = Field(0.0, description="[rad]")
    C23: float = Field(0.0, description="three-fold astigmatism [Angstrom]")
    C23_angle: float = Field(0.0, description="[rad]")
    source_size: float = Field(0.0, ge=0, description="Gaussian source sigma [Angstrom]")
    detector: list[float] = Field([100.0, 150.0], description="annular detector [inner, outer] [mrad]")

    @field_validator("*")
    @classmethod
    def _finite(cls, v):
        values = v if isinstance(v, list) else [v]
        for x in values:
            if isinstance(x, float) and not math.isfinite(x):
                raise ValueError(f"must be finite, got {x}")
        return v

    @field_validator("detector")
    @classmethod
    def _detector(cls, v):
        if len(v) != 2:
            raise ValueError(f"must be [inner, outer] in mrad, got {v}")
        if not 0 <= v[0] < v[1]:
            raise ValueError(f"needs 0 <= inner < outer, got {v}")
        return v


class SimulationSection(_Model):
    """``[simulation]``: field of view, sampling and algorithm."""

    method: Literal["prism", "multislice", "incoherent"] = Field(
        "prism", description="'prism' (default), 'multislice' or 'incoherent' (fast approximation)")
    pixels: int = Field(256, ge=16, le=4096, description="output image edge [pixels]")
    size: float = Field(26.0, gt=0, le=500, description="field of view edge and cube depth [Angstrom]")
    interpolation: int = Field(4, ge=1, le=64, description="PRISM interpolation factor")
    slice_thickness: float = Field(0.25, gt=0, le=50, description="multislice slice thickness [Angstrom] (0.25: converged, docs/physics.md)")
    phonons: int = Field(
        8, ge=0, le=1000,
        description="frozen-phonon configurations (0: static lattice, which overestimates column "
                    "contrast ~3x; 8 keeps the per-pixel scatter near 15 %, docs/physics.md)")
    phonon_rms: Union[float, dict[str, float]] = Field(
        0.08, description="RMS displacement per axis [Angstrom], one value or {element: value}")

    @field_validator("phonon_rms")
    @classmethod
    def _check_phonon_rms(cls, value):
        values = value.values() if isinstance(value, dict) else [value]
        for v in values:
            if not (math.isfinite(v) and 0 <= v <= 1.0):
                raise ValueError(f"RMS displacement must be in [0, 1] Angstrom, got {v}")
        return value


class StructureEntry(_Model):
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
    id: int | None = Field(None, ge=0, le=999999, description="structure id (default: the CIF's, else numbered from 1)")

    @field_validator("uvw")
    @classmethod
    def _uvw(cls, v):
        if v == "all":
            return v
        if not v:
            raise ValueError("needs at least one zone axis")
        for axis in v:
            if len(axis) != 3 or not any(axis) or max(abs(i) for i in axis) > 9:
                raise ValueError(f"zone axis must be three integers in [-9, 9], not all zero, got {axis}")
        return v

    @model_validator(mode="after")
    def _one_source(self):
        if (self.prototype is None) == (self.cif is None):
            raise ValueError("give exactly one of 'prototype' or 'cif'")
        if self.cif is not None and (self.elements is not None or self.random or self.draws != 1):
            raise ValueError("'elements', 'random' and 'draws' apply to prototypes only")
        drawn = self.random or (isinstance(self.elements, dict)
                                and any(isinstance(v, list) for v in self.elements.values()))
        if self.draws != 1 and not drawn:
            raise ValueError("'draws' > 1 needs random = true or element lists to draw from")
        if self.random and self.elements is not None:
            raise ValueError("give either random = true or 'elements', not both")
        if self.prototype == "all" and (self.elements is not None or self.random):
            raise ValueError("prototype = 'all' takes every listed decoration; drop 'elements'/'random'")
        return self


class AugmentSection(_Model):
    """``[output.augment]``: augmented variants of every exported image."""

    variants: int = Field(0, ge=0, le=1000, description="augmented variants per exported image")
    n_transforms: list[int] = Field([2, 4], description="[min, max] transforms drawn per variant")
    min_box_size: float = Field(2.0, ge=0, description="defect boxes smaller than this after the transform are dropped [px]")
    min_box_visible: float = Field(0.5, ge=0, le=1, description="defect boxes less visible than this fraction are dropped")
    shard_size: int = Field(2000, ge=0, description="augmented COCO/CVAT/box files: images per shard (0: one file)")

    @field_validator("n_transforms")
    @classmethod
    def _n_transforms(cls, v):
        if len(v) != 2 or not 1 <= v[0] <= v[1]:
            raise ValueError(f"must be [min, max] with 1 <= min <= max, got {v}")
        return v


class SplitsSection(_Model):
    """``[output.splits]``: train/test split and few-shot subsets of the exports."""

    by: Literal["none", "structure", "prototype"] = Field(
        "none", description="'none' (one split 'all'), 'structure' or 'prototype' (groups kept together)")
    test_fraction: float = Field(0.2, gt=0, lt=1, description="fraction of groups in the test split")
    few_shot: bool = Field(True, description="write few-shot subsets of the training split")
    shots: list[int] = Field([1, 2, 3, 5, 10], description="few-shot sizes (images per class)")
    runs: int = Field(10, ge=1, le=1000, description="few-shot subsets drawn per size")

    @field_validator("shots")
    @classmethod
    def _shots(cls, v):
        if not v or min(v) < 1:
            raise ValueError(f"needs positive sizes, got {v}")
        return v


class PeaksSection(_Model):
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


class OutputSection(_Model):
    """``[output]``: which conditions, PNGs and exports."""

    conditions: Union[Literal["all"], list[str]] = Field(
        "all", description="conditions of every item (general datasets); 'all' = the 16")
    png: bool = Field(True, description="write <name>-<condition>.png previews")
    exports: list[Literal["coco", "cvat", "masks", "heatmaps", "boxes"]] = Field(
        [], description="post-processing exports (synthstem.labels.export)")
    export_conditions: list[str] = Field(
        ["stem00-clean"], description="images exported per item: dataset or condition names ('raw', 'stem00-clean', 'dfct1', ...)")
    min_area: int = Field(0, ge=0, description="exports: minimum column instance area [px]")
    radius_angstrom: float = Field(0.5, gt=0, le=10, description="exports: column disc radius [Angstrom]")
    heatmap_sigma_angstrom: float = Field(0.25, gt=0, le=10, description="exports: heatmap Gaussian sigma [Angstrom]")
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


class RetrievalSection(_Model):
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


class DefectsSection(_Model):
    """``[defects]``: point defects of the dfct / comb conditions."""

    kinds: list[Literal["vacancy", "substitution", "interstitial"]] = Field(
        ["vacancy"], description="defect kinds, one drawn per item and level")

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, v):
        if not v:
            raise ValueError("needs at least one kind")
        return v


class ConditionTable(_Model):
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

    def values(self):
        return {k: v for k, v in self.model_dump(mode="json").items() if v is not None}


def user_condition(name, table):
    """The :class:`~synthstem.noise.conditions.Condition` of a ``[conditions.NAME]`` table."""
    from .noise.conditions import condition_from_dict

    values = table.values() if isinstance(table, ConditionTable) else dict(table)
    return condition_from_dict(name, values)


class Config(_Model):
    """A whole run configuration (see ``synthstem config show``)."""

    run: RunSection = RunSection()
    microscope: MicroscopeSection = MicroscopeSection()
    simulation: SimulationSection = SimulationSection()
    structures: list[StructureEntry] = Field(
        [StructureEntry(prototype="perovskite")], description="[[structures]] entries")
    output: OutputSection = OutputSection()
    retrieval: RetrievalSection = RetrievalSection()
    defects: DefectsSection = DefectsSection()
    user_conditions: dict[str, ConditionTable] = Field(
        {}, alias="conditions", description="[conditions.NAME] tables: user-defined conditions")
    base_dir: str = Field(".", description="folder that relative CIF paths start from (set by load_config)")

    @field_validator("structures")
    @classmethod
    def _nonempty(cls, v):
        if not v:
            raise ValueError("needs at least one [[structures]] entry")
        return v

    @model_validator(mode="after")
    def _condition_names(self):
        # errors raised here carry their own key path ('conditions.x', 'output.conditions')
        for name, table in self.user_conditions.items():
            if name in ALL_CONDITIONS:
                raise ValueError(f"conditions.{name}: {name!r} is a reference condition; pick another name")
            try:
                user_condition(name, table)
            except ValueError as err:
                raise ValueError(f"conditions.{name}: {err}") from None
        known = [*ALL_CONDITIONS, *self.user_conditions]
        for key, v in (("output.conditions", self.output.conditions),
                       ("retrieval.target_conditions", self.retrieval.target_conditions),
                       ("retrieval.choice_conditions", self.retrieval.choice_conditions)):
            bad = [] if v == "all" else [c for c in v if c not in known]
            if bad:
                raise ValueError(f"{key}: unknown conditions {bad}; known: {known}")
        table = self.condition_table()
        roles = ("general",) if self.run.kind == "general" else ("target", "choice")
        made = {table[c].dataset_name for r in roles for c in self.conditions(r)}
        if self.output.exports or self.output.augment.variants:
            missing = [c for c in self.export_conditions() if c not in made]
            if missing:
                raise ValueError(f"output.export_conditions: {missing} are not made by the run's "
                                 f"conditions; made: {sorted(made)}")
        return self

    def export_conditions(self):
        """Dataset names of the exported images ('dfct1' -> 'stem00-dfct1')."""
        table = self.condition_table()
        return [table[c].dataset_name if c in table else c for c in self.output.export_conditions]

    def conditions(self, role="general"):
        """Condition names of an item of ``role`` ('general', 'target', 'choice')."""
        v = {"general": self.output.conditions, "target": self.retrieval.target_conditions,
             "choice": self.retrieval.choice_conditions}[role]
        return list(ALL_CONDITIONS) if v == "all" else list(v)

    def condition_table(self):
        """{name: Condition}: the reference conditions and this config's user conditions."""
        from .noise.conditions import CONDITIONS

        table = {n: CONDITIONS[n] for n in ALL_CONDITIONS}
        table.update({n: user_condition(n, t) for n, t in self.user_conditions.items()})
        return table

    def to_dict(self):
        """JSON/TOML-safe dict of every key (defaults included; user conditions as set)."""
        d = self.model_dump(mode="json", by_alias=True, exclude={"user_conditions"})
        d["conditions"] = {n: t.values() for n, t in self.user_conditions.items()}
        return d

    def cif_path(self, entry):
        p = Path(entry.cif)
        return p if p.is_absolute() else Path(self.base_dir) / p


_TYPE_TAGS = {"str", "int", "float", "bool", "none", "list", "dict"}


def _loc(loc):
    """'structures[0].uvw' from pydantic's loc, dropping union-branch tags like
    "literal['all']" or 'list[list[int]]'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).isidentifier() and str(part) not in _TYPE_TAGS:
            out += ("." if out else "") + str(part)
    return out


def format_validation_error(err, source=""):
    lines = []
    seen = set()
    for e in err.errors():
        key = _loc(e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if not e["loc"] and ": " in msg and msg.split(": ", 1)[0].replace(".", "").replace("_", "").isalnum():
            key, msg = msg.split(": ", 1)  # model-level errors name their own key path
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        inp = e.get("input")
        text = f"{key}: {msg}"
        if e["type"] not in ("extra_forbidden", "missing") and not isinstance(inp, (dict, list)):
            text += f" (got {inp!r})"
        if text not in seen:
            seen.add(text)
            lines.append(text)
    head = f"invalid config {source}".rstrip() + ":\n  "
    return head + "\n  ".join(lines)


def config_from_dict(data, source="", base_dir="."):
    """Validate a plain dict (as parsed from TOML) into a :class:`Config`."""
    if not isinstance(data, dict):
        raise ValueError(f"config must be a table, got {type(data).__name__}")
    data = dict(data)
    data.setdefault("base_dir", str(base_dir))
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ValueError(format_validation_error(err, source)) from None


def load_config(path=None):
    """Read and validate a TOML config; ``None`` gives the defaults.

    Raises ``FileNotFoundError`` or ``ValueError`` (naming the key path).
    """
    if path is None:
        return Config()
    if isinstance(path, dict):
        return config_from_dict(path)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not valid TOML: {err}") from None
    if "base_dir" in data:
        raise ValueError(f"{path}: base_dir: unknown key")
    return config_from_dict(data, source=str(path), base_dir=path.resolve().parent)


# -- TOML output (tomllib only reads) -----------------------------------------------------
def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _toml_key(k):
    return k if k.replace("_", "").replace("-", "").isalnum() else _toml_value(k)


def _describe(model_cls, key):
    f = model_cls.model_fields.get(key)
    return f.description if f is not None and f.description else ""


def to_toml(config, comments=True):
    """The whole config as TOML text, every default written out (None values as comments)."""
    data = config.to_dict()
    data.pop("base_dir", None)
    out = []

    def table(name, values, cls, header):
        if header:
            out.append(header)
        sub = []
        for k, v in values.items():
            field_cls = cls.model_fields[k].annotation if cls is not None else None
            if isinstance(v, dict) and isinstance(field_cls, type) and issubclass(field_cls, BaseModel):
                sub.append((k, v, field_cls))
                continue
            note = f"  # {_describe(cls, k)}" if comments and cls is not None and _describe(cls, k) else ""
            if v is None:
                out.append(f"# {k} = (unset){note}")
            else:
                out.append(f"{_toml_key(k)} = {_toml_value(v)}{note}")
        out.append("")
        for k, v, c in sub:
            table(f"{name}.{k}", v, c, f"[{name}.{k}]")

    for section in ("run", "microscope", "simulation", "output", "retrieval", "defects"):
        cls = Config.model_fields[section].annotation
        table(section, data[section], cls, f"[{section}]")
    for entry in data["structures"]:
        table("structures", entry, StructureEntry, "[[structures]]")
    if data.get("conditions"):
        for name, values in data["conditions"].items():
            table(f"conditions.{name}", values, None, f"[conditions.{_toml_key(name)}]")
    elif comments:
        out.append("# [conditions.NAME]  user-defined conditions, e.g.")
        out.append('# [conditions.lowdose]\n# base = "clean"\n# dose = 2000.0  # [e-/Angstrom^2]\n'
                   "# drift = 1.5  # [px]   (use the name in output.conditions)")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
