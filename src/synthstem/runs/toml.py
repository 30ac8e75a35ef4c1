"""TOML text of a run configuration (:mod:`tomllib` only reads): ``synthstem config show``."""

from __future__ import annotations

from pydantic import BaseModel

from .config import Config
from .sections import StructureEntry


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):  # unset optional keys (a distribution's clip, weights) are left out
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}"
                               for k, x in v.items() if x is not None) + "}"
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

    for section in ("run", "microscope", "simulation", "output", "retrieval", "defects", "amorphous"):
        cls = Config.model_fields[section].annotation
        table(section, data[section], cls, f"[{section}]")
    if data.get("scene"):  # builder keywords flat in [scene], as written in a config
        scene = dict(data["scene"])
        params = scene.pop("params")
        table("scene", {**scene, **params}, None, "[scene]")
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
