"""``simulate(accuracy=...)``: pick the cheapest PRISM setting predicted to pass, check, retry once.

With an accuracy level (``prism_f.LEVELS``: "dataset" = PRISM check error <= 0.1 of the
image contrast, "converged" = <= 0.02) and ``method="prism"``:

1. ``interpolation=None`` ("auto"): f from the measured spread rule (``prism_f.choose``) for
   the cell's lateral extent, thickness and heaviest element and the microscope; an integer
   is used as given.
2. The image is simulated with its PRISM check (``prism_check`` probes, >= 1).
3. If the check error exceeds the level's tolerance, the image is recomputed once at the
   next safer setting (``prism_f.safer``: f halved, then multislice after f = 1, which is
   exact by construction) with the same seed; the failed image is discarded.

``params["accuracy"]`` records the level, tolerance, the rule's prediction, every attempt
(method, f, check error; no timings, so that records reproduce) and the number of retries; a final setting that still
fails warns (``PrismAccuracyWarning``) or, with ``prism_strict``, raises
``PrismAccuracyError``. "multislice" is exact (recorded with error 0, no check); "incoherent"
is an approximation this check does not cover (recorded, not checked).
"""

from __future__ import annotations

import warnings

import numpy as np

from .prism_check import PrismAccuracyError, PrismAccuracyWarning
from .prism_f import LEVELS, check_level, choose, safer


def _record(accuracy, attempts, prediction):
    last = attempts[-1]
    tol = LEVELS[accuracy]["tolerance"]
    passed = last["method"] == "multislice" or (last["error"] is not None and last["error"] <= tol)
    return {"level": accuracy, "tolerance": tol, "predicted": prediction,
            "method": last["method"], "interpolation": last["interpolation"],
            "error": last["error"], "attempts": attempts, "retries": len(attempts) - 1,
            "passed": bool(passed) if last["method"] != "incoherent" else None}


def simulate_to_accuracy(simulate, cell, accuracy, kwargs):
    """Run ``simulate(cell, **kwargs)`` (with ``accuracy=None``) to the level ``accuracy``.

    ``kwargs`` are simulate's own arguments (``interpolation`` None = the rule's f).
    """
    check_level(accuracy)
    tol = LEVELS[accuracy]["tolerance"]
    method, f = kwargs["method"], kwargs["interpolation"]
    strict = kwargs.get("prism_strict", False)
    prediction = None
    if method == "prism":
        if not kwargs.get("prism_check"):
            raise ValueError(f"accuracy={accuracy!r} needs the PRISM check: prism_check >= 1")
        if f is None:
            from .optics import Microscope
            from .potential import cell_extent
            from .simulate import DEFAULT_SAMPLING

            atoms = getattr(cell, "atoms", cell)
            if not (hasattr(atoms, "get_chemical_symbols") and hasattr(atoms, "cell")):
                return simulate(cell, **dict(kwargs, accuracy=None))  # simulate's own error
            lx, ly, lz = cell_extent(atoms)
            scope = kwargs.get("microscope") or Microscope()
            sampling = kwargs.get("sampling")
            sampling = (min(scope.max_sampling(), DEFAULT_SAMPLING) if sampling is None else
                        scope.max_sampling() if sampling == "detector" else float(sampling))
            focal = kwargs.get("focal_points", 7) if scope.focal_spread > 0 else 1
            prediction = choose((lx, ly), lz, int(np.max(atoms.numbers)), scope, accuracy,
                                slice_thickness=float(kwargs["slice_thickness"]),
                                sampling=sampling, focal=focal)
            method, f = prediction["method"], prediction["interpolation"]
    attempts, res, seconds = [], None, 0.0
    for attempt in range(2):
        args = dict(kwargs, method=method, interpolation=f if f is not None else 1,
                    prism_strict=False, accuracy=None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PrismAccuracyWarning)
            res = simulate(cell, **args)
        check = res.params.get("prism_check")
        error = check["error"] if check else (0.0 if method == "multislice" else None)
        if check:
            check["tolerance"] = tol
        attempts.append({"method": method, "interpolation": f if method == "prism" else None,
                         "error": error})  # no timing: records must reproduce bit for bit
        seconds += res.timings["total"]
        if method != "prism" or error <= tol or attempt == 1:
            break
        method, f = safer(method, f)
    record = _record(accuracy, attempts, prediction)
    res.params["accuracy"] = record
    res.timings["accuracy_attempts"] = seconds
    if record["passed"] is False:
        tried = ", ".join("f={}: {:.3g}".format(a["interpolation"], a["error"]) for a in attempts)
        line = (f"accuracy {accuracy!r}: PRISM check error {record['error']:.3g} > tolerance "
                f"{tol:g} after {record['retries']} retry (attempts: {tried}); "
                "docs/physics.md (PRISM accuracy check)")
        if strict:
            raise PrismAccuracyError(line)
        warnings.warn(line, PrismAccuracyWarning, stacklevel=3)
    return res


def image_record(params):
    """One image's accuracy in a few fields, from its ``simulate`` params: ``method``,
    ``interpolation``, ``error`` (PRISM check error or None), ``tolerance``, ``retries``,
    ``passed`` (None: not checked), ``level`` (None: no accuracy asked, check only)."""
    acc = params.get("accuracy")
    if acc:
        return {"level": acc["level"], "method": acc["method"],
                "interpolation": acc["interpolation"], "error": acc["error"],
                "tolerance": acc["tolerance"], "retries": acc["retries"], "passed": acc["passed"]}
    check = params.get("prism_check")
    if check:
        return {"level": None, "method": params.get("method"),
                "interpolation": params.get("interpolation"), "error": check["error"],
                "tolerance": check["tolerance"], "retries": 0,
                "passed": bool(check["error"] <= check["tolerance"])}
    method = params.get("method")
    return {"level": None, "method": method, "interpolation": params.get("interpolation"),
            "error": 0.0 if method == "multislice" else None, "tolerance": None, "retries": 0,
            "passed": True if method == "multislice" else None}


def item_record(images):
    """An item's accuracy from its images' ``{name: simulate params}``: the raw image's
    method and f, the largest check error, the retries summed, passed only if all passed."""
    recs = {name: image_record(p) for name, p in images.items()}
    first = next(iter(recs.values()))
    errors = [r["error"] for r in recs.values() if r["error"] is not None]
    passed = [r["passed"] for r in recs.values() if r["passed"] is not None]
    return {"level": first["level"], "method": first["method"],
            "interpolation": first["interpolation"],
            "error": max(errors) if errors else None, "tolerance": first["tolerance"],
            "retries": sum(r["retries"] for r in recs.values()),
            "passed": all(passed) if passed else None, "images": recs}


def summarize(records):
    """Summary of item records (``item_record``): counts, worst error, settings used."""
    settings = {}
    for r in records:
        key = (f"prism f={r['interpolation']}" if r["method"] == "prism" else str(r["method"]))
        settings[key] = settings.get(key, 0) + 1
    errors = [r["error"] for r in records if r.get("error") is not None]
    levels = sorted({str(r["level"]) for r in records if r.get("level")})
    return {"items": len(records), "levels": levels,
            "checked": sum(r["passed"] is not None for r in records),
            "passed": sum(r["passed"] is True for r in records),
            "flagged": sum(r["passed"] is False for r in records),
            "retried": sum(r["retries"] > 0 for r in records),
            "max_error": max(errors) if errors else None,
            "settings": dict(sorted(settings.items()))}


def summary_line(summary):
    """One line: 'accuracy dataset: 6/6 items within tolerance (max check error 0.04; ...)'."""
    s = summary
    level = "/".join(s["levels"]) or "check only"
    worst = "n/a" if s["max_error"] is None else f"{s['max_error']:.3g}"
    settings = ", ".join(f"{k} x{v}" for k, v in s["settings"].items())
    return (f"accuracy ({level}): {s['passed']}/{s['checked']} checked items within tolerance, "
            f"{s['flagged']} flagged, {s['retried']} retried; max PRISM check error {worst}; "
            f"{settings}")
