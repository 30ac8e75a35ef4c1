"""Structure sources of a run: a task's ``structure`` spec -> bulk ``ase.Atoms``.

The one place that turns a prototype name (with its decoration) or a CIF path into atoms;
used by the plan (zone axes, structure ids, input checks) and by the build.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..structures.prototypes import prototype
from ..structures.readers import load_structure


def cif_database_code(path):
    """The CIF's ICSD / COD database code as a structure id (<= 999999), else None."""
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("_database_code_ICSD", "_database_code_icsd",
                                            "_cod_database_code"):
            code = parts[1].strip("'\"")
            if code.isdigit() and int(code) <= 999999:
                return int(code)
    return None


def check_readable(path):
    """Raise FileNotFoundError / PermissionError naming ``path`` unless it is a readable file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"CIF file not found: {path}")
    if not os.access(path, os.R_OK):
        raise PermissionError(f"CIF file not readable (permissions): {path}")


def load_atoms(spec):
    """Bulk structure of a task's ``structure`` spec -> (ase.Atoms, meta dict).

    Parameters
    ----------
    spec : dict
        ``{'prototype': name, 'elements': None | decoration | {role: element}}`` or
        ``{'cif': path}``.

    Returns
    -------
    atoms : ase.Atoms
    meta : dict
        'structure_id' (a CIF's database code, or None), 'prototype', 'source', 'citation'.
    """
    if spec.get("cif"):
        path = spec["cif"]
        check_readable(path)
        atoms, source_id, citation = load_structure(path)
        return atoms, {"structure_id": cif_database_code(path), "prototype": "",
                       "source": str(source_id or path), "citation": str(citation or "")}
    atoms = prototype(spec["prototype"], spec.get("elements"))
    info = dict(getattr(atoms, "info", {}) or {})
    name = info.get("prototype", spec["prototype"])
    deco = info.get("decoration")
    return atoms, {"structure_id": None, "prototype": str(name),
                   "source": f"{name}/{deco}" if deco else str(name), "citation": ""}
