"""Run configuration: typed, validated plain data; unknown keys are errors.

First step of a run (config -> plan -> build -> write -> manifest -> exports). A config is
a TOML file (read with :mod:`tomllib`) with the tables documented in ``docs/datasets.md``;
``synthstem config show`` prints every key with its default. Validation errors are
``ValueError`` naming the key path, e.g.
``microscope.energy: Input should be greater than 0 (got -1)``.

The config copies no table: condition names and parameters are checked against
:mod:`synthstem.noise.conditions`, zone axes with :func:`synthstem.structures.names.check_uvw`
(the rule a run applies).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator

from ..noise.conditions import CONDITIONS, REFERENCE_CONDITIONS
from .model import Model
from .physics_sections import MicroscopeSection, SimulationSection
from .scene_section import SCENE_METHODS, SceneSection
from .sections import (AmorphousSection, ConditionTable, DefectsSection, OutputSection,
                       RetrievalSection, RunSection, StructureEntry, user_condition)

#: the smallest config a run accepts (shown when a config has no [[structures]])
MINIMAL_CONFIG = '''[[structures]]
prototype = "perovskite/SrTiO3"
uvw = [[0, 0, 1]]
'''
#: the structure of ``synthstem config show`` without a file
EXAMPLE_STRUCTURE = {"prototype": "perovskite"}


class Config(Model):
    """A whole run configuration (see ``synthstem config show``)."""

    run: RunSection = RunSection()
    microscope: MicroscopeSection = MicroscopeSection()
    simulation: SimulationSection = SimulationSection()
    structures: list[StructureEntry] = Field(
        [], description="[[structures]] entries (required, unless [scene] sets a kind)")
    scene: SceneSection = SceneSection()
    output: OutputSection = OutputSection()
    retrieval: RetrievalSection = RetrievalSection()
    defects: DefectsSection = DefectsSection()
    amorphous: AmorphousSection = AmorphousSection()
    user_conditions: dict[str, ConditionTable] = Field(
        {}, alias="conditions", description="[conditions.NAME] tables: user-defined conditions")
    base_dir: str = Field(".", description="folder that relative CIF paths start from (set by load_config)")

    @model_validator(mode="before")
    @classmethod
    def _scene_method(cls, data):
        # a scene kind's default method (SCENE_METHODS) where [simulation] sets none
        if isinstance(data, dict) and isinstance(data.get("scene"), dict) \
                and data["scene"].get("kind") in SCENE_METHODS:
            sim = data.get("simulation", {})
            if isinstance(sim, dict) and "method" not in sim:
                data = dict(data, simulation=dict(sim, method=SCENE_METHODS[data["scene"]["kind"]]))
        return data

    @model_validator(mode="after")
    def _structures_or_scene(self):
        if self.scene.kind is None:
            if "structures" not in self.model_fields_set:
                raise ValueError("structures: Field required (or a [scene] with a kind)")
            if not self.structures:
                raise ValueError("structures: needs at least one [[structures]] entry")
            return self
        if self.structures:
            raise ValueError("scene: a run makes either [[structures]] or a [scene], not both")
        if self.run.kind != "general":
            raise ValueError("scene: scene runs are general runs (run.kind = 'general')")
        if self.amorphous.thickness != 0:
            raise ValueError("scene: [amorphous] layers do not apply to scenes (the scene builds its support)")
        table = self.condition_table()
        dfct = [c for c in self.conditions("general") if table[c].defect_level]
        if dfct:
            raise ValueError(f"output.conditions: point-defect conditions {dfct} do not apply to scenes; "
                             "list the conditions, e.g. ['raw', 'clean', 'blbk1']")
        return self

    @model_validator(mode="after")
    def _condition_names(self):
        # errors raised here carry their own key path ('conditions.x', 'output.conditions')
        for name, table in self.user_conditions.items():
            if name in REFERENCE_CONDITIONS:
                raise ValueError(f"conditions.{name}: {name!r} is a reference condition; pick another name")
            try:
                user_condition(name, table)
            except ValueError as err:
                raise ValueError(f"conditions.{name}: {err}") from None
        known = [*REFERENCE_CONDITIONS, *self.user_conditions]
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

    def specs(self):
        """{'section.key': spec} of every key drawn per item (synthstem.variation)."""
        return {**self.microscope.specs(), **self.simulation.specs(), **self.defects.specs(),
                **self.amorphous.specs()}

    def export_conditions(self):
        """Dataset names of the exported images ('dfct1' -> 'stem00-dfct1')."""
        table = self.condition_table()
        return [table[c].dataset_name if c in table else c for c in self.output.export_conditions]

    def conditions(self, role="general"):
        """Condition names of an item of ``role`` ('general', 'target', 'choice')."""
        v = {"general": self.output.conditions, "target": self.retrieval.target_conditions,
             "choice": self.retrieval.choice_conditions}[role]
        return list(REFERENCE_CONDITIONS) if v == "all" else list(v)

    def condition_table(self):
        """{name: Condition}: the reference conditions and this config's user conditions."""
        table = {n: CONDITIONS[n] for n in REFERENCE_CONDITIONS}
        table.update({n: user_condition(n, t) for n, t in self.user_conditions.items()})
        return table

    def to_dict(self):
        """JSON/TOML-safe dict of every key (defaults included; user conditions as set)."""
        d = self.model_dump(mode="json", by_alias=True, exclude={"user_conditions"})
        if self.scene.kind is None:  # crystal runs: no [scene] (their manifests stay as they were)
            d.pop("scene")
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
        elif part == "":  # a key named "" (TOML allows it): show it quoted, not as '(top level)'
            out += ("." if out else "") + '""'
        elif str(part).isidentifier() and str(part) not in _TYPE_TAGS:
            out += ("." if out else "") + str(part)
    return out


def format_validation_error(err, source=""):
    lines = []
    seen = set()
    for e in err.errors():
        key = _loc(e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        head = msg.split(": ", 1)[0] if ": " in msg else ""
        if head and head.replace(".", "").replace("_", "").isalnum() and head.islower():
            # model-level errors name their own key path, below the model's own location
            msg = msg.split(": ", 1)[1]
            key = f"{_loc(e['loc'])}.{head}" if e["loc"] else head
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
    if not data:
        raise ValueError(f"config {source}".rstrip() + f" is empty; the minimal config is:\n{MINIMAL_CONFIG}")
    data = dict(data)
    data.setdefault("base_dir", str(base_dir))
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        text = format_validation_error(err, source)
        if "structures" not in data and "scene" not in data:
            text += f"\nevery config needs [[structures]]; the minimal config is:\n{MINIMAL_CONFIG}"
        raise ValueError(text) from None


def load_config(path=None):
    """Read and validate a TOML config; ``None`` gives the defaults (with an example
    structure: ``synthstem config show``).

    Raises ``FileNotFoundError`` or ``ValueError`` (naming the key path).
    """
    if path is None:
        return Config(structures=[StructureEntry(**EXAMPLE_STRUCTURE)])
    if isinstance(path, dict):
        return config_from_dict(path)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"config file not found: {path}")
    if not path.is_file():
        kind = "is a folder" if path.is_dir() else "is not a regular file"
        raise ValueError(f"{path}: {kind}, expected a TOML config file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not a text (UTF-8) file: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not valid TOML: {err}") from None
    if "base_dir" in data:
        raise ValueError(f"{path}: base_dir: unknown key")
    return config_from_dict(data, source=str(path), base_dir=path.resolve().parent)
