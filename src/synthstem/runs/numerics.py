"""Per-item numerics at plan time: the PRISM setting the accuracy rule predicts, and a cost model.

``planned_numerics`` applies :func:`synthstem.physics.prism_f.choose` to the item's nominal
specimen (``size`` x ``size``, thickness as drawn plus its amorphous layers, heaviest element
of the structure) and drawn microscope; the item's build decides again on the real cell
(``simulate(accuracy=..., interpolation=None)``), which a cut cube can make slightly smaller.
``item_cost`` models an item's simulation work [flop] (``prism_f.model_flops``), used by
``runs/estimate.py`` to pick representative items and to scale their timings to the plan.
"""

from __future__ import annotations

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
    return choose((size, size), item_thickness(physics), int(heaviest_z), scope, sim["accuracy"],
                  slice_thickness=float(sim["slice_thickness"]), sampling=_sampling(sim, scope),
                  focal=_focal(sim, scope))


def _sampling(sim, scope):
    s = sim.get("sampling")
    if s == "detector":
        return scope.max_sampling()
    return min(scope.max_sampling(), DEFAULT_SAMPLING) if s is None else float(s)


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
    if method == "incoherent":
        return sims * 1e6
    f = 4 if f in (None, "auto") else int(f)
    configs = max(1, int(sim.get("phonons", 0)))
    return sims * configs * model_flops((size, size), item_thickness(phys), scope, method, f,
                                        slice_thickness=float(sim["slice_thickness"]),
                                        sampling=_sampling(sim, scope), focal=_focal(sim, scope))
