"""Per-item draws of the optics and specimen parameters that a run config may vary.

A config key listed in ``LIMITS`` may hold a distribution spec
(``synthstem.distributions``) instead of a value; ``check_specs`` rejects, at load time, a
spec whose draws could leave the key's valid range, and ``draw_item`` draws every key of
one item from its own stream
(``random.named_seed_sequence(run_seed, item_index, STAGE_VARIATION, key)``), so that a value depends only on the run seed, the
item index, the key and its spec: not on the order of the items or of the keys, nor on
which other keys vary. Draws first, then pure functions apply them.
"""

from __future__ import annotations

import math

import numpy as np

from .distributions import as_spec, check_support, draw
from .random import STAGE_VARIATION, named_seed_sequence

INF = math.inf

#: drawable numeric keys -> (lo, hi, lo_open): every draw must lie in [lo, hi] ((lo, hi]
#: when lo_open); units as in the config: [eV], [mrad], [Angstrom], [rad]
LIMITS = {
    "microscope.energy": (0.0, INF, True),
    "microscope.convergence": (0.0, 200.0, True),
    "microscope.defocus": (-INF, INF, False),
    "microscope.Cs": (-INF, INF, False),
    "microscope.C5": (-INF, INF, False),
    "microscope.astigmatism": (-INF, INF, False),
    "microscope.astigmatism_angle": (-INF, INF, False),
    "microscope.coma": (-INF, INF, False),
    "microscope.coma_angle": (-INF, INF, False),
    "microscope.C23": (-INF, INF, False),
    "microscope.C23_angle": (-INF, INF, False),
    "microscope.source_size": (0.0, INF, False),
    "microscope.focal_spread": (0.0, INF, False),
    "microscope.tilt_x": (-50.0, 50.0, False),
    "microscope.tilt_y": (-50.0, 50.0, False),
    "microscope.detector_inner": (0.0, INF, False),
    "microscope.detector_outer": (0.0, INF, True),
    "simulation.thickness": (0.0, 2000.0, True),
    "defects.count": (0.0, 1000.0, False),
    "amorphous.thickness": (0.0, 500.0, False),
    "amorphous.density": (0.0, 25.0, True),
}
#: drawable keys whose draws must be integers (fixed int, randint or a choice of ints)
INTEGERS = ("defects.count",)
#: drawable keys whose values are names
CHOICES = {
    "simulation.boundary": ("cut", "periodic", "auto"),
    "defects.position": ("anywhere", "center"),
    "amorphous.side": ("entrance", "exit", "both"),
}
#: drawable keys whose values are chemical formulas ('C', 'SiO2')
FORMULAS = ("amorphous.composition",)


def check_spec(key, value):
    """Validate the spec of drawable ``key`` (``ValueError`` naming the key); returns it."""
    if key in FORMULAS:
        from .structures.amorphous import parse_composition

        spec = as_spec(value)
        for v in getattr(spec, "choice", [spec]):
            try:
                parse_composition(v)
            except (ValueError, TypeError, KeyError) as err:
                raise ValueError(f"{key}: {v!r} is not a formula ({err})") from None
        return spec
    if key in CHOICES:
        spec = as_spec(value)
        options = getattr(spec, "choice", [spec])
        bad = [v for v in options if v not in CHOICES[key]]
        if bad:
            raise ValueError(f"{key}: must be one of {CHOICES[key]}, got {bad[0]!r}")
        return spec
    if key not in LIMITS:
        raise ValueError(f"{key} cannot be drawn (drawable keys: "
                         f"{sorted(LIMITS) + sorted(CHOICES) + list(FORMULAS)})")
    lo, hi, lo_open = LIMITS[key]
    try:
        spec = as_spec(value)
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None
    if key in INTEGERS:
        options = getattr(spec, "choice", None)
        options = [spec] if options is None and not hasattr(spec, "randint") else options or []
        if any(isinstance(v, bool) or not isinstance(v, int) for v in options):
            raise ValueError(f"{key}: draws must be integers (an int, {{randint = [lo, hi]}} "
                             f"or a list of ints), got {value!r}")
    return check_support(key, spec, lo, hi, lo_open)


def check_specs(specs):
    """Validate ``{key: spec}``; also that every detector inner angle is below every outer
    angle that can be drawn with it."""
    out = {k: check_spec(k, v) for k, v in specs.items()}
    if "microscope.detector_inner" in out and "microscope.detector_outer" in out:
        from .distributions import support

        inner = support(out["microscope.detector_inner"])[1]
        outer = support(out["microscope.detector_outer"])[0]
        if not inner < outer:
            raise ValueError(f"microscope.detector: the largest inner angle ({inner:g} mrad) must "
                             f"be below the smallest outer angle ({outer:g} mrad)")
    return out


def draw_item(specs, run_seed, item_index):
    """``{key: value}`` drawn for item ``item_index`` of run ``run_seed``; a fixed value is
    returned unchanged. ``specs`` as accepted by ``check_specs``."""
    return {key: draw(spec, np.random.default_rng(
        named_seed_sequence(run_seed, item_index, STAGE_VARIATION, key)))
        for key, spec in sorted(specs.items())}


def microscope_kwargs(values):
    """``synthstem.Microscope`` keyword arguments from drawn ``microscope.*`` values."""
    kw = {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("microscope.")}
    inner, outer = kw.pop("detector_inner", None), kw.pop("detector_outer", None)
    if inner is not None or outer is not None:
        kw["detector"] = (inner, outer)
    return kw


__all__ = ["LIMITS", "CHOICES", "FORMULAS", "INTEGERS", "check_spec", "check_specs", "draw_item", "microscope_kwargs"]
