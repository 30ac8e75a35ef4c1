"""When is the incoherent model good enough? The measured answer, as a lookup.

``data/incoherent_validation.json`` holds the table that
``benchmarks/incoherent_vs_multislice.py`` measured (the incoherent model against
frozen-phonon PRISM f=1 = multislice, per case: peak/support contrast of both methods,
heavy-atom peak ratio, position error, NCC, mean ratio; benchmarks/INCOHERENT.md).
``incoherent_error_estimate(kind, thickness)`` returns the errors of the measured case of
that kind nearest above the asked thickness (conservative: a thicker case errs more) and
whether they are within ``TOLERANCE``; outside the measured range it recommends PRISM.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

__all__ = ["TOLERANCE", "KINDS", "validation_table", "case_errors", "incoherent_error_estimate"]

_DATA = Path(__file__).with_name("data") / "incoherent_validation.json"

#: largest accepted errors of the incoherent model against frozen-phonon multislice:
#: relative error of the heavy-atom peak / support contrast, of the heavy-atom peak height
#: and of the image mean, heavy-atom position error [Angstrom], and ``1 - NCC``
TOLERANCE = {"contrast": 0.15, "peak": 0.15, "mean": 0.15, "position": 0.1, "ncc": 0.05}

#: scene kinds measured in the table
KINDS = ("atoms on amorphous film", "particle on amorphous film", "monolayer",
         "crystal on zone axis", "atoms in vacuum")


@lru_cache(maxsize=1)
def validation_table():
    """The measured rows (list of dicts) and their provenance (dict)."""
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    rows = data.pop("rows")
    return rows, data


def case_errors(row):
    """Errors of one measured case: ``{"contrast", "peak", "position", "ncc", "mean"}``.

    ``contrast``: ``|C_inc / C_ref - 1|`` with ``C`` the heavy-atom peak over the support
    mean; ``peak``: ``|mean(peak_inc / peak_ref) - 1|`` over the heavy atoms;
    ``position``: mean heavy-atom peak offset of the incoherent image [Angstrom];
    ``ncc``: ``1 - NCC``; ``mean``: ``|mean_inc / mean_ref - 1|``. ``contrast`` is None
    for atoms in vacuum (no support: the ratio is over probe tails).
    """
    contrast = row["peak_support_inc"] / row["peak_support_ref"]
    return {"contrast": None if row["kind"] == "atoms in vacuum" else abs(contrast - 1),
            "peak": abs(sum(row["heavy_peak_ratio"]) / len(row["heavy_peak_ratio"]) - 1),
            "position": row["pos_err_inc"],
            "ncc": 1 - row["ncc"],
            "mean": abs(row["mean_ratio"] - 1)}


def incoherent_error_estimate(kind, thickness, tolerance=None):
    """Measured error of the incoherent model for a scene, and the method to use.

    Parameters
    ----------
    kind : str
        One of ``KINDS``.
    thickness : float
        Specimen thickness along the beam [Angstrom] (support plus what sits on it).
    tolerance : dict, optional
        Overrides of ``TOLERANCE`` keys.

    Returns
    -------
    dict
        ``method`` ("incoherent" or "prism"), ``within_tolerance`` (bool or None when no
        measured case covers the thickness), ``errors`` (``case_errors`` of the case used,
        or None), ``case`` (its name), ``case_thickness`` [Angstrom], ``tolerance``, ``reason``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    try:
        thickness = float(thickness)
    except (TypeError, ValueError):
        raise ValueError(f"thickness must be a number [Angstrom], got {thickness!r}") from None
    if not (math.isfinite(thickness) and thickness >= 0):
        raise ValueError(f"thickness must be >= 0 Angstrom, got {thickness}")
    tol = dict(TOLERANCE)
    unknown = set(tolerance or {}) - set(TOLERANCE)
    if unknown:
        raise ValueError(f"tolerance keys must be among {sorted(TOLERANCE)}, got {sorted(unknown)}")
    tol.update(tolerance or {})
    rows, _ = validation_table()
    same = sorted((r for r in rows if r["kind"] == kind), key=lambda r: r["specimen_thickness"])
    covering = [r for r in same if r["specimen_thickness"] >= thickness - 1e-9]
    out = {"tolerance": tol, "errors": None, "case": None, "case_thickness": None}
    if not covering:
        thickest = same[-1]["specimen_thickness"] if same else None
        return dict(out, method="prism", within_tolerance=None,
                    reason=f"no measured {kind!r} case as thick as {thickness:g} A "
                           f"(thickest measured: {thickest} A): use PRISM")
    row = covering[0]
    errors = case_errors(row)
    bad = [k for k in tol if errors[k] is not None and errors[k] > tol[k]]
    ok = not bad
    reason = (f"measured case {row['case']!r}: all errors within tolerance" if ok else
              f"measured case {row['case']!r}: " + ", ".join(
                  f"{k} {errors[k]:.3g} > {tol[k]:g}" for k in bad) + ": use PRISM")
    return dict(out, method="incoherent" if ok else "prism", within_tolerance=ok,
                errors=errors, case=row["case"], case_thickness=row["specimen_thickness"],
                reason=reason)
