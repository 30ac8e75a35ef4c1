"""Load a crystal from a prototype name, a structure file or an ``ase.Atoms``.

``load_structure(source) -> (atoms, source_id, citation)``:

- ``ase.Atoms``: a copy; ``source_id`` from ``atoms.info['source_id']`` or the formula.
- prototype name, optionally with a decoration: ``'perovskite'``, ``'perovskite/BaTiO3'``;
  ``source_id`` is ``'prototype:perovskite/BaTiO3'``.
- a path to anything ``ase.io.read`` accepts (CIF first); ``source_id`` is the path.
  For CIF the citation is assembled from the journal/DOI/database tags when present, and
  displacement parameters (``_atom_site_U_iso_or_equiv``, ``_atom_site_B_iso_or_equiv``,
  ``_atom_site_aniso_U_11..23`` / ``_B_``) become ``atoms.arrays['synthstem_adp']``
  ((n, 3, 3) Cartesian U [Angstrom^2], see ``synthstem.structures.thermal``).
"""

import difflib
import os
from pathlib import Path

import numpy as np
from ase import Atoms

from .prototypes import check_element, prototype, prototypes
from .thermal import ADP_KEY, cif_adps

__all__ = ["load_structure"]

_CITATION_TAGS = (
    ("_publ_author_name", "authors"),
    ("_citation_author_name", "authors"),
    ("_publ_section_title", "title"),
    ("_citation_title", "title"),
    ("_journal_name_full", "journal"),
    ("_citation_journal_full", "journal"),
    ("_citation_journal_abbrev", "journal"),
    ("_journal_volume", "volume"),
    ("_citation_journal_volume", "volume"),
    ("_journal_page_first", "page"),
    ("_citation_page_first", "page"),
    ("_journal_year", "year"),
    ("_citation_year", "year"),
    ("_citation_doi", "doi"),
    ("_journal_paper_doi", "doi"),
    ("_database_code_icsd", "ICSD"),
    ("_cod_database_code", "COD"),
    ("_database_code_amcsd", "AMCSD"),
)


def _first(value):
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) if value else None
    return None if value in (None, "?", ".") else str(value)


def _cif_citation(path):
    """A one-line citation from a CIF's publication tags, or None."""
    from ase.io.cif import parse_cif

    try:
        block = next(iter(parse_cif(str(path))))
    except Exception:  # noqa: BLE001 - citation is best effort
        return None
    found = {}
    for tag, key in _CITATION_TAGS:
        if key in found:
            continue
        value = _first(block.get(tag))
        if value:
            found[key] = " ".join(value.split())
    if not found:
        return None
    parts = []
    for key in ("authors", "title", "journal", "volume", "page", "year"):
        if key in found:
            parts.append(f"({found[key]})" if key == "year" else found[key])
    for key in ("doi", "ICSD", "COD", "AMCSD"):
        if key in found:
            parts.append(f"doi:{found[key]}" if key == "doi" else f"{key} {found[key]}")
    return ", ".join(parts)


def _explain(err, path):
    """A readable cause for an exception raised by ``ase.io.read``."""
    if isinstance(err, KeyError) and err.args and isinstance(err.args[0], str):
        return f"unknown element symbol {err.args[0]!r}"
    if isinstance(err, StopIteration):
        return "no complete structure found (empty or truncated file, or no cell / atom sites)"
    if path.suffix.lower() == ".cif" and isinstance(err, AssertionError):
        return "malformed CIF (not a CIF data block, or broken loop / tag syntax)"
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def _check_atoms(atoms, where):
    if len(atoms) == 0:
        raise ValueError(f"{where}: the structure has no atoms")
    for symbol in set(atoms.get_chemical_symbols()):
        check_element(symbol, f"{where}: element")
    if not np.all(atoms.pbc) or abs(np.linalg.det(atoms.cell.array)) < 1e-6:
        raise ValueError(f"{where}: the structure is not a 3D periodic crystal (cell {atoms.cell.cellpar().round(3).tolist()})")
    return atoms


def load_structure(source):
    """Load a crystal.

    Parameters
    ----------
    source : str, os.PathLike or ase.Atoms
        Prototype name (``'perovskite'`` or ``'perovskite/BaTiO3'``), path to a structure
        file readable by ``ase.io.read`` (CIF, POSCAR, extxyz with a cell, ...) or atoms.

    Returns
    -------
    tuple
        ``(atoms, source_id, citation)``: ``atoms`` a new ``ase.Atoms`` unit cell,
        ``source_id`` a string (prototype id or file path), ``citation`` a string or None.
    """
    if isinstance(source, Atoms):
        atoms = source.copy()
        source_id = str(atoms.info.get("source_id") or atoms.get_chemical_formula())
        return _check_atoms(atoms, "atoms"), source_id, None
    if not isinstance(source, (str, os.PathLike)):
        raise ValueError(f"source must be a prototype name, a file path or ase.Atoms, got {type(source).__name__}")
    text = os.fspath(source)
    name = text.split("/", 1)[0] if isinstance(source, str) else None
    if name is not None and name in prototypes() and not Path(text).exists():
        atoms = prototype(text)
        deco = atoms.info["decoration"]
        return atoms, f"prototype:{atoms.info['prototype']}/{deco}", None
    path = Path(text)
    if not path.exists():
        if isinstance(source, str) and not path.suffix and (
                os.sep not in text or difflib.get_close_matches(name, prototypes(), n=1)):
            prototype(text)  # raises ValueError with close matches ('perovskit/SrTiO3')
        raise FileNotFoundError(f"structure file {text!r} does not exist")
    if path.is_dir():
        raise ValueError(f"structure file {text!r} is a directory")
    if path.stat().st_size == 0:
        raise ValueError(f"cannot read structure file {text!r}: the file is empty")
    from ase.io import read

    try:
        atoms = read(path, index=0)
    except Exception as err:  # noqa: BLE001 - ase raises many types for broken files
        raise ValueError(f"cannot read structure file {text!r}: {_explain(err, path)}") from err
    if not isinstance(atoms, Atoms):
        raise ValueError(f"cannot read structure file {text!r}: no structure found")
    _check_atoms(atoms, f"structure file {text!r}")
    citation = None
    if path.suffix.lower() == ".cif":
        citation = _cif_citation(path)
        try:
            adp = cif_adps(path, atoms)
        except ValueError as err:
            raise ValueError(f"structure file {text!r}: displacement parameters: {err}") from None
        if adp is not None:
            atoms.set_array(ADP_KEY, adp)
    atoms.info["source_id"] = text
    return atoms, text, citation
