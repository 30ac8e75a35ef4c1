"""Plan a run: a validated config -> the list of fully resolved :class:`Task` s.

Second step of a run. Every structure source is loaded here once (so a missing or broken
CIF, an unknown element or an out-of-range zone axis is reported before anything is
written, by ``synthstem config check`` and ``synthstem run`` alike), decorations are drawn
from the plan stream (:func:`synthstem.random.plan_rng`) and every item gets its
structure, zone axis, conditions, physics parameters and seed. The plan's order is the
item index, which keys every random stream of the item.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..distributions import is_fixed
from ..physics.optics import Microscope
from ..random import plan_rng
from ..structures import prototypes as protos
from ..structures.names import check_uvw, item_name
from ..structures.zone_axes import zone_axes
from ..variation import draw_item, microscope_kwargs
from .scene_section import draw_scene
from .numerics import planned_numerics
from .sources import load_atoms
from .task import Task


def _structure_variants(config, s, entry):
    """Structure specs of one [[structures]] entry (decorations expanded or drawn)."""
    if entry.cif is not None:
        return [{"cif": str(Path(config.cif_path(entry)).resolve())}]
    if entry.prototype == "all":
        return [{"prototype": p, "elements": d} for p, d in protos.all_decorations()]
    if entry.elements == "all":
        return [{"prototype": entry.prototype, "elements": d} for d in protos.decorations(entry.prototype)]
    if entry.draws == 1 and not entry.random and not isinstance(entry.elements, dict):
        return [{"prototype": entry.prototype, "elements": entry.elements}]
    out, seen = [], set()
    for d in range(entry.draws):
        rng = plan_rng(config.run.seed, 0, s, d)
        for _ in range(50):  # distinct decorations: redraw duplicates (a few tries)
            if entry.random:
                elements = protos.draw_decoration(entry.prototype, rng)
            else:
                elements = {role: v if isinstance(v, str) else str(rng.choice(v))
                            for role, v in entry.elements.items()}
            key = tuple(sorted(elements.items()))
            if key not in seen:
                break
        if key in seen:
            continue  # the entry has fewer distinct decorations than draws
        seen.add(key)
        out.append({"prototype": entry.prototype, "elements": elements})
    if len(out) < entry.draws:
        print(f"synthstem: structures[{s}]: only {len(out)} distinct decorations of "
              f"{entry.prototype!r} for draws = {entry.draws}", file=sys.stderr)
    return out


def _describe(spec):
    if spec.get("scene"):
        return f"scene {spec['scene']}"
    if spec.get("cif"):
        return spec["cif"]
    elements = spec.get("elements")
    return spec["prototype"] + (f" {elements}" if elements else "")


def _pairs(config):
    """All (spec, structure_id, uvw, meta, allow_large) of the config, in config order.

    Structure ids: the entry's ``id`` (+ k for its k-th variant), else the structure's own
    (a CIF's), else numbered 1, 2, ... in config order, skipping ids used elsewhere.
    Raises ValueError listing every structure that cannot be loaded and every bad axis.
    """
    variants, problems = [], []
    for s, entry in enumerate(config.structures):
        try:
            specs = _structure_variants(config, s, entry)
        except (ValueError, KeyError) as err:
            problems.append(f"structures[{s}]: {err}")
            continue
        for k, spec in enumerate(specs):
            try:
                atoms, meta = load_atoms(spec)
            except OSError as err:
                problems.append(f"structures[{s}] ({_describe(spec)}): {err}")
                continue
            except ValueError as err:
                problems.append(f"structures[{s}] ({_describe(spec)}): {err}")
                continue
            except Exception as err:  # any parser error of a user file: reported, never raised raw
                problems.append(f"structures[{s}] ({_describe(spec)}): cannot be read: "
                                f"{type(err).__name__}: {err}")
                continue
            sid = entry.id + k if entry.id is not None else meta["structure_id"]
            meta = dict(meta, heaviest_z=int(max(atoms.numbers)))  # the PRISM f rule's input
            variants.append([s, entry, spec, atoms, meta, sid])
    used = {v[5] for v in variants if v[5] is not None}
    auto = 1
    for v in variants:
        if v[5] is None:
            while auto in used:
                auto += 1
            v[5] = auto
            used.add(auto)
    pairs, seen = [], {}
    for s, entry, spec, atoms, meta, sid in variants:
        if entry.uvw == "all":
            axes = [tuple(int(i) for i in a) for a in zone_axes(atoms, max_index=entry.max_index)]
        else:
            axes = [tuple(a) for a in entry.uvw]
        for uvw in axes:
            try:
                uvw = check_uvw(uvw, allow_large_indices=entry.allow_large_indices)
                name = item_name(sid, uvw)
            except ValueError as err:
                problems.append(f"structures[{s}] ({_describe(spec)}): {err}")
                continue
            if name in seen:
                problems.append(f"structures[{s}]: item {name} repeats one of structures[{seen[name]}]; "
                                "give the entries different 'id's")
                continue
            seen[name] = s
            pairs.append((spec, int(sid), uvw, meta, entry.allow_large_indices))
    if problems:
        if len(problems) == 1:
            raise ValueError(problems[0])
        raise ValueError(f"{len(problems)} structures cannot be made: " + "; ".join(problems))
    return pairs


def item_physics(config, specs, index):
    """The physics of item ``index``: every drawable key (``config.specs()``) drawn from the
    item's own stream (:func:`synthstem.variation.draw_item`), the other keys as set.

    Returns ``{'microscope': Microscope kwargs, 'simulation': simulate and orient values
    (``thickness`` None = the cube of edge ``size``), 'defects', 'amorphous',
    'drawn': {key: value} of the keys given as distributions}``.
    """
    values = draw_item(specs, config.run.seed, index)
    microscope = microscope_kwargs(values)
    microscope["detector"] = list(microscope["detector"])
    simulation = config.simulation.model_dump(mode="json")
    simulation["thickness"] = values.get("simulation.thickness")
    simulation["boundary"] = values["simulation.boundary"]
    if isinstance(simulation["sampling"], float):  # simulate's rule, checked at plan time
        limit = Microscope(**microscope).max_sampling()
        if simulation["sampling"] > limit * (1 + 1e-9):
            raise ValueError(
                f"simulation.sampling = {simulation['sampling']} Angstrom is too coarse for item "
                f"{index}: its detector (outer {microscope['detector'][1]:.4g} mrad) needs <= "
                f"{limit:.4g} Angstrom; use a smaller value or 'detector'")
    defects = {"count": values["defects.count"], "position": values["defects.position"],
               "margin": config.defects.margin, "min_separation": config.defects.min_separation}
    amorphous = {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("amorphous.")}
    amorphous["min_distance"] = config.amorphous.min_distance
    drawn = {k: v for k, v in values.items() if not is_fixed(specs[k])}
    return {"microscope": microscope, "simulation": simulation, "defects": defects,
            "amorphous": amorphous, "drawn": drawn}


def plan(config, out):
    """Tasks of a run, in a fixed order (their position is the item index).

    Parameters
    ----------
    config : synthstem.runs.config.Config
    out : path
        Dataset folder (stored absolute in the tasks: workers may run elsewhere).

    Returns
    -------
    list of Task

    Raises
    ------
    ValueError
        Listing every structure that cannot be loaded, every bad zone axis, a retrieval
        run with too few structures.
    """
    out = str(Path(out).resolve())
    table = config.condition_table()
    specs = config.specs()
    common = dict(peaks=config.output.peaks.model_dump(mode="json"),
                  defect_kinds=list(config.defects.kinds), seed=config.run.seed, out=out,
                  png=config.output.png)
    tasks = []
    if config.scene.kind is not None:  # one item per scene, its builder keywords drawn per item
        for k in range(config.scene.items):
            sid, uvw = config.scene.id + k, (0, 0, 1)
            conditions = {c: table[c].to_dict() for c in config.conditions("general")}
            params = draw_scene(config.scene, config.simulation.size, config.run.seed, k)
            physics = item_physics(config, specs, k)
            physics["drawn"].update({f"scene.{key}": params[key] for key in config.scene.drawn_keys()})
            tasks.append(Task(index=k, name=item_name(sid, uvw), subset="items", role="general",
                              structure={"scene": config.scene.kind, "params": params}, structure_id=sid,
                              uvw=uvw, conditions=conditions, physics=physics, **common))
        return tasks
    pairs = _pairs(config)

    def add(pair, subset, role, shift=False, twin=""):
        spec, sid, uvw, meta, allow = pair
        conditions = {c: table[c].to_dict() for c in config.conditions(role)}
        index = len(tasks)
        physics = item_physics(config, specs, index)
        planned = planned_numerics(physics, meta["heaviest_z"])
        if planned is not None:  # the accuracy rule's setting (the build decides on the cell)
            physics["simulation"]["planned"] = planned
        task = Task(index=index, name=item_name(sid, uvw), subset=subset, role=role,
                    structure=dict(spec), structure_id=sid, uvw=uvw, conditions=conditions,
                    shift=shift, twin=twin, allow_large_indices=allow,
                    physics=physics, **common)
        tasks.append(task)
        return task

    if config.run.kind == "general":
        for pair in pairs:
            add(pair, "items", "general")
        return tasks

    r = config.retrieval
    n_t, n_c = r.n_targets, r.n_choices
    if len(pairs) < n_c:
        raise ValueError(
            f"retrieval: {n_t} targets and {n_c} choices need {n_c} distinct structure x zone-axis "
            f"pairs, the structures give {len(pairs)}; add structures or lower retrieval.scale")
    order = plan_rng(config.run.seed, 1).permutation(len(pairs))
    chosen = [pairs[i] for i in order[:n_c]]
    targets = [add(p, "targets", "target") for p in chosen[:n_t]]
    for t, p in zip(targets, chosen[:n_t]):
        twin = add(p, "choices", "choice", shift=r.shift, twin=t.h5)
        t.twin = twin.h5
    for p in chosen[n_t:]:
        add(p, "choices", "choice")
    return tasks


def plan_summary(tasks):
    """Lines describing a plan: items, images, structures with their zone axes, conditions."""
    if not tasks:
        return ["0 items"]
    structures = {}
    for t in tasks:
        key = (t.structure_id, _describe(t.structure))
        structures.setdefault(key, [])
        axis = "[" + " ".join(str(i) for i in t.uvw) + "]"
        if axis not in structures[key]:
            structures[key].append(axis)
    conditions = {}
    for t in tasks:
        conditions.setdefault(t.role, list(t.conditions))
    sim = tasks[0].physics["simulation"]
    lines = [f"{len(tasks)} items, {sum(len(t.conditions) for t in tasks)} images "
             f"({sim['method']}, {sim['pixels']} px, {sim['size']} A, {sim['phonons']} phonons"
             + ("" if sim["method"] == "incoherent" else
                f", preset {sim.get('preset', 'converged')}: "
                + ("slices and sampling per item from the thickness rule, "
                   if sim['slice_thickness'] is None else f"{sim['slice_thickness']} A slices, ")
                + f"{sim.get('projection')} projection") + ")",
             f"structures ({len(structures)}):"]
    drawn = sorted(tasks[0].physics.get("drawn", {}))
    if drawn:
        lines.insert(1, f"drawn per item: {', '.join(drawn)}")
    planned = [t.physics["simulation"].get("planned") for t in tasks]
    if any(planned):
        counts = {}
        for p in planned:
            key = "fixed" if p is None else (f"f={p['interpolation']}" if p["method"] == "prism"
                                             else p["method"])
            counts[key] = counts.get(key, 0) + 1
        lines.insert(1, f"accuracy {sim.get('accuracy')}: planned PRISM settings "
                        f"{', '.join(f'{k} x{v}' for k, v in sorted(counts.items()))} (per item: "
                        "--plan; each item's check confirms, a failing one is retried once)")
    lines += [f"  {sid:06d} {desc}: {', '.join(axes)}" for (sid, desc), axes in structures.items()]
    lines += [f"conditions ({role}): {', '.join(names)}" for role, names in conditions.items()]
    return lines
