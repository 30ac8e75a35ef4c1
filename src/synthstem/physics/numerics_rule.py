"""The default slice thickness and potential sampling: a measured function of the specimen.

Slice and sampling errors of the finite projection change with depth and with the heaviest
atom (benchmarks/THICKNESS.md): the fixed 0.25 A / 0.035 A of the 16 A panel is up to
+3.8 % (Au [001], 102 A), -3.9 % (CeO2 [001], 27 A) and +12.8 % (rutile [110], 26 A) from
a 0.0625 A / 0.0167 A reference in the mean over probe positions on the columns.
``default_numerics`` picks the
cheapest setting of a chain of candidates (each finer than the one before in both slice
thickness and sampling) whose *measured* HAADF-mean error stays within ``tolerance`` for
every panel cell up to the specimen's heaviest element and thickness. The table is
``data/numerics_rule.json``, written by ``benchmarks/thickness_convergence.py --rule``
from its results (one source of truth; do not edit by hand).

Table semantics: ``errors[c][i][j]`` is the largest ``|mean / reference - 1|`` of candidate
``c`` over the panel cells (static and frozen phonons) whose heaviest element has
``Z <= z_classes[i]``, at every measured thickness ``<= thicknesses[j]`` (so the table
never falls when Z or thickness grows); an unmeasured entry (null) counts as failing, and
the choice is the finest over all lighter classes and thinner columns, so the chosen
setting never coarsens when Z or thickness grows.

Outside the measured range the rule extrapolates and says so (``extrapolated``): a
specimen thicker than the last column or heavier than the last row takes the last
column/row and one candidate finer; at energies above the table's, where the Fresnel
phase ``pi lambda dz k^2`` of a detector angle ``theta = lambda k`` is ``pi dz theta^2 /
lambda``, the slice thickness is scaled by ``lambda(E) / lambda(E_table)`` (not measured).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources

from .optics import wavelength

#: HAADF-mean tolerance of the default settings (the promise of README "Accuracy and cost")
DEFAULT_TOLERANCE = 0.02


@lru_cache(maxsize=1)
def table():
    """The measured table (dict, see the module docstring)."""
    text = resources.files("synthstem.physics").joinpath("data/numerics_rule.json").read_text(
        encoding="utf-8")
    return json.loads(text)


def _check(name, value, low=0.0):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(value) and value > low):
        raise ValueError(f"{name} must be > {low:g}, got {value}")
    return value


def default_numerics(thickness, max_z, energy=200e3, tolerance=DEFAULT_TOLERANCE):
    """Slice thickness and potential sampling that keep the HAADF mean within ``tolerance``.

    Parameters
    ----------
    thickness : float
        Specimen thickness along the beam [Angstrom] (> 0).
    max_z : int
        Atomic number of the heaviest element (>= 1).
    energy : float
        Beam energy [eV].
    tolerance : float
        Largest acceptable relative error of the HAADF mean (> 0), e.g. 0.02.

    Returns
    -------
    dict
        ``slice_thickness`` [Angstrom], ``sampling`` [Angstrom] (a cap: ``simulate`` also
        keeps the detector rule), ``predicted_error`` (the measured bound of the table
        cell, a fraction), ``tolerance``, ``candidate`` (index in the chain),
        ``extrapolated`` (list of reasons, empty inside the measured range) and
        ``source`` (the benchmark).
    """
    thickness = _check("thickness", thickness)
    energy = _check("energy", energy)
    tolerance = _check("tolerance", tolerance)
    if isinstance(max_z, bool) or not float(max_z).is_integer() or int(max_z) < 1:
        raise ValueError(f"max_z must be an atomic number >= 1, got {max_z!r}")
    max_z = int(max_z)
    t = table()
    zs, ts, cands = t["z_classes"], t["thicknesses"], t["candidates"]
    extrapolated = []
    i = next((k for k, z in enumerate(zs) if max_z <= z), None)
    if i is None:
        i = len(zs) - 1
        extrapolated.append(f"Z = {max_z} > {zs[-1]} (heaviest measured)")
    j = next((k for k, z in enumerate(ts) if thickness <= z * 1.05), None)
    if j is None:
        j = len(ts) - 1
        extrapolated.append(f"thickness {thickness:.0f} A > {ts[-1]:.0f} A (thickest measured)")
    def first_within(a, b):
        return next((k for k, c in enumerate(cands)
                     if c["errors"][a][b] is not None and c["errors"][a][b] <= tolerance),
                    len(cands) - 1)

    # an unmeasured cell (None) counts as failing; the choice is the finest over every
    # lighter class and thinner column, so that it never coarsens with Z or thickness
    c = max(first_within(a, b) for a in range(i + 1) for b in range(j + 1))
    errors = [cand["errors"][i][j] for cand in cands]
    if extrapolated:  # one step finer outside the measured range
        c = min(c + 1, len(cands) - 1)
    dz, sampling = cands[c]["slice_thickness"], cands[c]["sampling"]
    ratio = wavelength(energy) / wavelength(t["energy"])
    if ratio < 1 - 1e-9:
        dz *= ratio
        extrapolated.append(f"{energy:g} eV > {t['energy']:g} eV: slices scaled by "
                            f"lambda ratio {ratio:.3f}")
    return {"slice_thickness": dz, "sampling": sampling, "predicted_error": errors[c],
            "tolerance": tolerance, "candidate": c, "extrapolated": extrapolated,
            "source": t["source"]}


def predicted_error(slice_thickness, sampling, thickness, max_z, projection="finite"):
    """Measured error bound of an explicit setting, or None where it is not a tabulated
    candidate (within 2 % in slice thickness and sampling, finite projection)."""
    if projection != "finite":
        return None
    t = table()
    i = next((k for k, z in enumerate(t["z_classes"]) if max_z <= z), None)
    j = next((k for k, z in enumerate(t["thicknesses"]) if thickness <= z * 1.05), None)
    if i is None or j is None:
        return None
    for c in t["candidates"]:
        if (abs(c["slice_thickness"] / slice_thickness - 1) < 0.02
                and abs(c["sampling"] / sampling - 1) < 0.02):
            return c["errors"][i][j]
    return None


__all__ = ["DEFAULT_TOLERANCE", "default_numerics", "predicted_error", "table"]
