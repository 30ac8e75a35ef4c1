"""Per-item numerics at plan time: the PRISM setting the accuracy rule predicts, and a cost model.

``planned_numerics`` applies :func:`synthstem.physics.prism_f.choose` to the item's nominal
specimen (``size`` x ``size``, thickness as drawn plus its amorphous layers, heaviest element
of the structure) and drawn microscope; the item's build decides again on the real cell
(``simulate(accuracy=..., interpolation=None)``), which a cut cube can make slightly smaller.
``item_cost`` models an item's simulation work [flop] (``prism_f.model_flops``), used by
``runs/estimate.py`` to pick representative items and to scale their timings to the plan.
"""

from __future__ import annotations

from ..physics.numerics_rule import DEFAULT_TOLERANCE, default_numerics
from ..physics.optics import Microscope
from ..physics.prism_f import choose, model_flops
from ..physics.simulate import DEFAULT_SAMPLING


def item_thickness(physics):
    """Nominal thickness [Angstrom]: the drawn (or cube) depth plus the amorphous layer(s)."""
    sim = physics["simulation"]
    t = sim.get("thickness") or sim["size"]
    layer = physics.get("amorphous") or {}
    if layer.get("thickness"):
        t += layer["thickness"] * (2 if layer.get("side") == "both" else 1)
    return float(t)


def planned_numerics(physics, heaviest_z):
    """The rule's setting for an item (``prism_f.choose``), or None when the item's settings
    are fixed (method not PRISM, an integer interpolation, or accuracy 'none')."""
    sim = physics["simulation"]
    if sim["method"] != "prism" or sim.get("interpolation") != "auto":
        return None
    if sim.get("accuracy", "none") == "none":
        return None
    size = float(sim["size"])
    scope = Microscope(**physics["microscope"])
    sim = _with_rule(sim, item_thickness(physics), heaviest_z, scope)
    planned = choose((size, size), item_thickness(physics), int(heaviest_z), scope, sim["accuracy"],
                  slice_thickness=float(sim["slice_thickness"]), sampling=_sampling(sim, scope),
                  focal=_focal(sim, scope))
    return dict(planned, slice_thickness=float(sim["slice_thickness"]), sampling=_sampling(sim, scope))


def _with_rule(sim, thickness, heaviest_z, scope):
    """``sim`` with an unset slice thickness / sampling filled as ``simulate`` will fill it
    (``numerics_rule.default_numerics`` of the nominal thickness and heaviest element)."""
    if sim.get("slice_thickness") is not None and sim.get("sampling") is not None:
        return sim
    rule = default_numerics(thickness, int(heaviest_z), scope.energy,
                            sim.get("tolerance") or DEFAULT_TOLERANCE)
    filled = dict(sim)
    for key in ("slice_thickness", "sampling"):
        if filled.get(key) is None:
            filled[key] = rule[key]
    return filled


def _sampling(sim, scope):
    s = sim.get("sampling")
    if s == "detector":
        return scope.max_sampling()
    return min(scope.max_sampling(), DEFAULT_SAMPLING) if s is None else min(scope.max_sampling(), float(s))


#: cost model only: the slice thickness [Angstrom] that stands in where the rule decides on
#: the cell (an item without a plan; the rule's coarsest setting)
COST_SLICE_THICKNESS = 0.25


def _slices(sim):
    """Slice thickness of the cost model: the item's (or its plan's), else the stand-in."""
    t = sim.get("slice_thickness")
    return float(COST_SLICE_THICKNESS if t is None else t)


def _focal(sim, scope):
    return int(sim.get("focal_points", 7)) if scope.focal_spread > 0 else 1


def item_cost(task):
    """Modelled simulation work of one item [flop]: ``prism_f.model_flops`` of its planned
    method and f (the configured ones where nothing is planned; "auto" without a plan: 4)
    times its frozen-phonon configurations and simulations (clean + one per defect level of
    its conditions); "incoherent": the scan positions (a small constant per item).
    """
    phys = task.physics
    sim = phys["simulation"]
    scope = Microscope(**phys["microscope"])
    size = float(sim["size"])
    levels = {c.get("defect_level", 0) for c in task.conditions.values()} - {0}
    sims = 1 + len(levels)
    method, f = sim["method"], sim.get("interpolation")
    planned = sim.get("planned")
    if planned:
        method, f = planned["method"], planned["interpolation"]
        sim = dict(sim, **{k: planned[k] for k in ("slice_thickness", "sampling") if k in planned})
    if method == "incoherent":
        return sims * 1e6
    f = 4 if f in (None, "auto") else int(f)
    configs = max(1, int(sim.get("phonons", 0)))
    return sims * configs * model_flops((size, size), item_thickness(phys), scope, method, f,
                                        slice_thickness=_slices(sim),
                                        sampling=_sampling(sim, scope), focal=_focal(sim, scope))
