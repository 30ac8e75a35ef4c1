"""Crystal structure prototypes, stored as data and built with ``ase.spacegroup.crystal``.

The table ``data/prototypes.json`` maps a prototype name to::

    {"description": str, "spacegroup": int, "setting": 1 | 2,
     "sites": [[label, role, wyckoff, [x, y, z]], ...],
     "roles": {role: [candidate elements for random decorations]},
     "default": decoration name,
     "decorations": {name: {"elements": {role: symbol}, "cell": [...],
                            "xyz": {label: [x, y, z]} (optional)}},
     "reference": str (optional)}

``cell`` lists only the free lattice parameters of the crystal family [Angstrom, degrees]:
cubic ``[a]``; tetragonal, trigonal (hexagonal axes) and hexagonal ``[a, c]``;
orthorhombic ``[a, b, c]``; monoclinic (unique axis b) ``[a, b, c, beta]``; triclinic
``[a, b, c, alpha, beta, gamma]``.

A prototype is decorated by a named decoration (``'BaTiO3'``) or by a mapping role ->
element. For a mapping that is not a named decoration the lattice lengths of the default
decoration are scaled by ``sum_s m_s r(new_s) / sum_s m_s r(default_s)`` over the sites
s (multiplicity m_s, ``ase.data.covalent_radii`` r): a crude but monotonic estimate.
"""

import difflib
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from ase.data import atomic_numbers, covalent_radii

__all__ = [
    "prototypes",
    "prototype",
    "prototype_info",
    "decorations",
    "all_decorations",
    "draw_decoration",
    "draw_structure",
    "crystal_system",
    "check_element",
]

_DATA = Path(__file__).with_name("data") / "prototypes.json"
_SYSTEM_PARAMS = {
    "triclinic": ("a", "b", "c", "alpha", "beta", "gamma"),
    "monoclinic": ("a", "b", "c", "beta"),
    "orthorhombic": ("a", "b", "c"),
    "tetragonal": ("a", "c"),
    "trigonal": ("a", "c"),
    "hexagonal": ("a", "c"),
    "cubic": ("a",),
}


def crystal_system(number):
    """Crystal system name of space group ``number`` (1-230)."""
    number = int(number)
    if not 1 <= number <= 230:
        raise ValueError(f"space group number must be in [1, 230], got {number}")
    for last, name in ((2, "triclinic"), (15, "monoclinic"), (74, "orthorhombic"), (142, "tetragonal"),
                       (167, "trigonal"), (194, "hexagonal")):
        if number <= last:
            return name
    return "cubic"


@lru_cache(maxsize=1)
def _table():
    with open(_DATA, encoding="utf-8") as fh:
        return json.load(fh)


def prototypes():
    """Names of all prototypes, in table order (grouped by crystal system)."""
    return list(_table())


def _entry(name):
    if not isinstance(name, str):
        raise ValueError(f"prototype name must be a string, got {type(name).__name__}")
    table = _table()
    if name not in table:
        close = difflib.get_close_matches(name, list(table), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"unknown prototype {name!r}{hint} (synthstem structure list shows all)")
    return table[name]


def prototype_info(name):
    """Table entry of prototype ``name`` plus ``'system'`` (crystal system); a copy."""
    entry = json.loads(json.dumps(_entry(name)))
    entry["system"] = crystal_system(entry["spacegroup"])
    return entry


def decorations(name):
    """Names of the listed decorations of prototype ``name`` (default first)."""
    entry = _entry(name)
    names = list(entry["decorations"])
    names.remove(entry["default"])
    return [entry["default"], *names]


def all_decorations():
    """Every listed ``(prototype, decoration)`` pair, in table order."""
    return [(name, deco) for name in prototypes() for deco in decorations(name)]


def check_element(symbol, what="element"):
    """Return ``symbol`` if it is a chemical element symbol, else raise ValueError."""
    if not isinstance(symbol, str) or symbol not in atomic_numbers or symbol == "X":
        raise ValueError(f"{what} {symbol!r} is not a chemical element symbol")
    return symbol


def _multiplicities(entry):
    return [int("".join(ch for ch in site[2] if ch.isdigit())) for site in entry["sites"]]


def _resolve(name, entry, elements):
    """Return (decoration name, role->element, cell list, xyz overrides)."""
    decos = entry["decorations"]
    default = decos[entry["default"]]
    if elements is None:
        return entry["default"], dict(default["elements"]), list(default["cell"]), dict(default.get("xyz", {}))
    if isinstance(elements, str):
        if elements not in decos:
            close = difflib.get_close_matches(elements, list(decos), n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(f"unknown decoration {elements!r} of prototype {name!r}{hint}; "
                             f"listed: {', '.join(decorations(name))}")
        deco = decos[elements]
        return elements, dict(deco["elements"]), list(deco["cell"]), dict(deco.get("xyz", {}))
    if not isinstance(elements, dict):
        raise ValueError(f"elements must be None, a decoration name or a dict role -> element, got {elements!r}")
    roles = entry["roles"]
    for role, symbol in elements.items():
        if role not in roles:
            raise ValueError(f"prototype {name!r} has no site role {role!r}; roles are {', '.join(roles)}")
        check_element(symbol, f"element for role {role!r}")
    chosen = {**default["elements"], **elements}
    for deco_name, deco in decos.items():
        if deco["elements"] == chosen:
            return deco_name, chosen, list(deco["cell"]), dict(deco.get("xyz", {}))
    mult = _multiplicities(entry)
    old = sum(m * covalent_radii[atomic_numbers[default["elements"][s[1]]]] for m, s in zip(mult, entry["sites"]))
    new = sum(m * covalent_radii[atomic_numbers[chosen[s[1]]]] for m, s in zip(mult, entry["sites"]))
    system = crystal_system(entry["spacegroup"])
    n_len = 1 if system == "cubic" else 2 if len(_SYSTEM_PARAMS[system]) == 2 else 3
    cell = [x * new / old if i < n_len else x for i, x in enumerate(default["cell"])]
    label = "".join(chosen[r] for r in roles)
    return f"custom:{label}", chosen, cell, dict(default.get("xyz", {}))


def _cellpar(system, values):
    p = dict(zip(_SYSTEM_PARAMS[system], values))
    if system == "cubic":
        return [p["a"]] * 3 + [90.0] * 3
    if system == "tetragonal":
        return [p["a"], p["a"], p["c"], 90.0, 90.0, 90.0]
    if system in ("trigonal", "hexagonal"):
        return [p["a"], p["a"], p["c"], 90.0, 90.0, 120.0]
    if system == "orthorhombic":
        return [p["a"], p["b"], p["c"], 90.0, 90.0, 90.0]
    if system == "monoclinic":
        return [p["a"], p["b"], p["c"], 90.0, p["beta"], 90.0]
    return [p["a"], p["b"], p["c"], p["alpha"], p["beta"], p["gamma"]]


def prototype(name, elements=None, **overrides):
    """Build the conventional cell of a prototype.

    Parameters
    ----------
    name : str
        Prototype name (see `prototypes`), or ``'name/decoration'`` such as
        ``'perovskite/BaTiO3'``.
    elements : None, str or dict, optional
        None (default decoration), a decoration name (see `decorations`), or a mapping
        role -> element symbol, e.g. ``{'A': 'Ba', 'B': 'Ti', 'X': 'O'}``; roles not given
        keep the default decoration's element.
    **overrides : float
        Free lattice parameters of the crystal family: ``a``, ``b``, ``c`` [Angstrom],
        ``alpha``, ``beta``, ``gamma`` [degrees] (only those free in the family).

    Returns
    -------
    ase.Atoms
        Conventional cell; ``info`` holds 'prototype', 'decoration', 'spacegroup'.
    """
    from ase.spacegroup import crystal

    if isinstance(name, str) and "/" in name:
        if elements is not None:
            raise ValueError(f"give the decoration either in name {name!r} or as elements, not both")
        name, elements = name.split("/", 1)
    entry = _entry(name)
    system = crystal_system(entry["spacegroup"])
    deco_name, chosen, values, xyz = _resolve(name, entry, elements)
    free = _SYSTEM_PARAMS[system]
    params = dict(zip(free, values))
    for key, value in overrides.items():
        if key not in free:
            raise ValueError(f"lattice parameter {key!r} is not free for {system} prototype {name!r}; "
                             f"free parameters are {', '.join(free)}")
        if not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value) or value <= 0:
            raise ValueError(f"lattice parameter {key} must be a positive number, got {value!r}")
        params[key] = float(value)
    symbols, basis = [], []
    for label, role, _, pos in entry["sites"]:
        symbols.append(chosen[role])
        basis.append(xyz.get(label, pos))
    atoms = crystal(symbols, basis=basis, spacegroup=entry["spacegroup"], setting=entry.get("setting", 1),
                    cellpar=_cellpar(system, [params[k] for k in free]), primitive_cell=False,
                    onduplicates="error")
    atoms.info = {"prototype": name, "decoration": deco_name, "spacegroup": entry["spacegroup"]}
    return atoms


def draw_decoration(name, rng, named_fraction=0.0):
    """Draw a decoration of prototype ``name``.

    Parameters
    ----------
    name : str
        Prototype name.
    rng : numpy.random.Generator or int
        Random stream (see `synthstem.random.as_rng`).
    named_fraction : float
        Probability of drawing a listed decoration instead of a random one.

    Returns
    -------
    dict
        Role -> element (distinct elements for distinct roles), to pass as ``elements``.
    """
    from ..random import as_rng

    rng = as_rng(rng)
    entry = _entry(name)
    if not isinstance(named_fraction, (int, float, np.integer, np.floating)) or not 0 <= named_fraction <= 1:
        raise ValueError(f"named_fraction must be in [0, 1], got {named_fraction!r}")
    if rng.random() < named_fraction:
        names = decorations(name)
        return dict(entry["decorations"][names[rng.integers(len(names))]]["elements"])
    chosen = {}
    for role, candidates in entry["roles"].items():
        free = [c for c in candidates if c not in chosen.values()]
        if not free:
            raise ValueError(f"prototype {name!r}: no distinct candidate element left for role {role!r}")
        chosen[role] = free[rng.integers(len(free))]
    return chosen


def draw_structure(rng, names=None, named_fraction=0.5):
    """Draw a (prototype, decoration) pair: a prototype uniformly, then `draw_decoration`.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        Random stream.
    names : sequence of str, optional
        Prototypes to draw from (default all).
    named_fraction : float
        Probability of a listed decoration rather than a random role decoration.

    Returns
    -------
    tuple
        ``(name, elements)``; build it with ``prototype(name, elements)``.
    """
    from ..random import as_rng

    rng = as_rng(rng)
    names = prototypes() if names is None else list(names)
    if not names:
        raise ValueError("names must list at least one prototype")
    for name in names:
        _entry(name)
    name = names[rng.integers(len(names))]
    return name, draw_decoration(name, rng, named_fraction)
