"""Build one item in memory: a :class:`~synthstem.runs.task.Task` -> an ``Item``.

Third step of a run, and a pure function of the task: structure (bulk -> optional sub-cell
shift -> oriented cube), simulation (frozen phonons from the item's ``STAGE_SIMULATE``
stream), point-defect variants (``STAGE_DEFECT``), noise conditions (each from its own
stream, :func:`synthstem.noise.reference.noise_seed_sequence`) and labels (columns, peak
maps). Nothing is written here.
"""

from __future__ import annotations

import json
import time

import numpy as np

from .._version import __version__
from ..io.hdf5 import DEFECT_COORDS, Item, root_attrs
from ..labels.peaks import peak_map
from ..noise.reference import noise_seed_sequence
from ..physics.accuracy import item_record
from ..physics.optics import Microscope
from ..physics.simulate import simulate
from ..random import (STAGE_AMORPHOUS, STAGE_DEFECT, STAGE_SIMULATE, STAGE_STRUCTURE,
                      item_seed_sequence, seed_int)
from ..structures.columns import merge_columns
from ..structures.amorphous import AMORPHOUS_KEY, add_amorphous_layer
from ..structures.defect_placement import add_point_defects
from ..structures.orient import orient
from ..scenes import build_scene
from .sources import load_atoms


def subcell_shift(atoms, uvw, rng):
    """Translate the bulk crystal by a random sub-cell vector perpendicular to the beam.

    The vector is a uniform random fraction of the unit cell with its component along the
    beam direction ``uvw`` removed (so the thickness does not change); atoms are wrapped
    back into the (periodic) unit cell. Returns (atoms, translation [Angstrom]).
    """
    atoms = atoms.copy()
    cell = np.asarray(atoms.cell)
    t = rng.random(3) @ cell
    beam = np.asarray(uvw, dtype=float) @ cell
    beam /= np.linalg.norm(beam)
    t -= (t @ beam) * beam
    atoms.translate(t)
    atoms.wrap()
    return atoms, t


def simulate_cell(cell, physics, seed):
    """Simulate an oriented cell with a task's ``physics`` parameters and a phonon seed."""
    sim = physics["simulation"]
    # projection, sampling, device, prism_check/strict: set by every planned task (older
    # task dicts: simulate's)
    extra = {k: sim[k] for k in ("projection", "sampling", "device", "prism_check",
                                 "prism_strict", "tolerance") if k in sim}
    # accuracy (older task dicts: none): simulate picks f where 'auto', checks and retries
    accuracy = sim.get("accuracy", "none")
    interpolation = sim["interpolation"]
    return simulate(cell, microscope=Microscope(**physics["microscope"]), pixels=sim["pixels"],
                    method=sim["method"],
                    interpolation=None if interpolation == "auto" else interpolation,
                    accuracy=None if accuracy == "none" else accuracy,
                    slice_thickness=sim["slice_thickness"], phonons=sim["phonons"],
                    phonon_rms=sim["phonon_rms"], seed=seed,
                    focal_points=sim.get("focal_points", 7), **extra)


def settled(physics, params):
    """``physics`` with the method and f an accuracy-checked simulation ended at (its
    ``params['accuracy']``), so that the item's other simulations (defect cells, same size
    and depth) start there; unchanged without an accuracy record."""
    record = params.get("accuracy")
    if not record:
        return physics
    sim = dict(physics["simulation"], method=record["method"])
    if record["method"] == "prism":
        sim["interpolation"] = record["interpolation"]
    return dict(physics, simulation=sim)


def orient_item(atoms, task, meta):
    """The oriented crystal of a task -> (OrientedCell, note). ``boundary = 'auto'``: a
    periodic cell where one exists within the strain tolerance at this size, else the cut
    cube, with orient's reason as the note (recorded in the item)."""
    sim = task.physics["simulation"]
    boundary = sim.get("boundary", "cut")
    kw = dict(size=sim["size"], structure_id=task.structure_id, source=meta["source"],
              allow_large_indices=task.allow_large_indices, thickness=sim.get("thickness"))
    if boundary != "auto":
        return orient(atoms, task.uvw, boundary=boundary, **kw), None
    try:
        return orient(atoms, task.uvw, boundary="periodic", **kw), None
    except ValueError as err:
        return orient(atoms, task.uvw, boundary="cut", **kw), f"auto: cut, {err}"


def add_layers(cell, layer, rng):
    """``cell`` with the amorphous layer(s) of a task (``physics['amorphous']``, thickness
    0: none) -> (cell, record or None)."""
    if not layer or not layer.get("thickness"):
        return cell, None
    return add_amorphous_layer(cell, layer["composition"], layer["thickness"], layer["density"],
                               side=layer["side"], min_distance=layer.get("min_distance"), rng=rng)


def same_layers(dcell, layered, record):
    """The defect cell ``dcell`` under the very layer atoms of ``layered`` (the clean cell
    with its layers, ``record`` from ``add_layers``): the crystal moves by ``z_shift``."""
    if record is None:
        return dcell
    atoms = dcell.atoms.copy()
    atoms.positions[:, 2] += record["z_shift"]
    if AMORPHOUS_KEY not in atoms.arrays:
        atoms.set_array(AMORPHOUS_KEY, np.zeros(len(atoms), dtype=bool))
    atoms += layered.atoms[layered.atoms.arrays[AMORPHOUS_KEY]]
    atoms.set_cell(layered.atoms.cell)
    return layered.copy_with(atoms)


def _defects(cell, task, level, pixels):
    """Defect cell of one level and its records (``physics['defects']``: count, position
    'center' | 'anywhere', margin, min_separation)."""
    d = task.physics.get("defects") or {"count": 1, "position": "center"}
    rng = np.random.default_rng(item_seed_sequence(task.seed, task.index, STAGE_DEFECT, child=level))
    position = "random" if d["position"] == "anywhere" else d["position"]
    extra = {k: d[k] for k in ("margin", "min_separation") if d.get(k) is not None}
    return add_point_defects(cell, int(d["count"]), task.defect_kinds, level, rng, pixels=pixels,
                             position=position, **extra)


def structure_of(task):
    """The specimen of a task -> (crystal, cell, meta, shift, layer record, boundary note,
    scene params or None): a scene (``task.structure = {'scene': kind, 'params': ...}``,
    built from the item's ``STAGE_STRUCTURE`` stream) or an oriented crystal with its
    optional sub-cell shift and amorphous layers."""
    rng = np.random.default_rng(item_seed_sequence(task.seed, task.index, STAGE_STRUCTURE))
    if "scene" in task.structure:
        scene = build_scene(task.structure["scene"], task.structure["params"], rng)
        cell = scene.as_cell(task.structure_id)
        meta = {"prototype": "", "citation": "", "source": cell.source}
        return cell, cell, meta, None, None, None, scene
    atoms, meta = load_atoms(task.structure)
    shift = None
    if task.shift:
        atoms, shift = subcell_shift(atoms, task.uvw, rng)
    crystal, boundary_note = orient_item(atoms, task, meta)
    cell, layer_record = add_layers(crystal, task.physics.get("amorphous"), np.random.default_rng(
        item_seed_sequence(task.seed, task.index, STAGE_AMORPHOUS)))
    return crystal, cell, meta, shift, layer_record, boundary_note, None


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


class _Clock:
    """Seconds spent per stage."""

    def __init__(self):
        self.timings = {"structure": 0.0, "simulate": 0.0, "noise": 0.0, "labels": 0.0}
        self._t0 = time.perf_counter()

    def lap(self, stage):
        now = time.perf_counter()
        self.timings[stage] += now - self._t0
        self._t0 = now


def build_item(task):
    """Build one item in memory.

    Parameters
    ----------
    task : synthstem.runs.task.Task

    Returns
    -------
    item : synthstem.io.hdf5.Item
    timings : dict
        Seconds per stage ('structure', 'simulate', 'noise', 'labels').
    """
    sim = task.physics["simulation"]
    pixels = sim["pixels"]
    clock = _Clock()

    crystal, cell, meta, shift, layer_record, boundary_note, scene = structure_of(task)
    clock.lap("structure")

    sim_seed = seed_int(item_seed_sequence(task.seed, task.index, STAGE_SIMULATE))
    res = simulate_cell(cell, task.physics, sim_seed)
    clock.lap("simulate")

    columns = merge_columns(cell, pixels, markers=None if scene is None else scene.markers)
    peak_maps = {"clean": peak_map(res.image, columns.xy, **task.peaks)}
    clock.lap("labels")

    # defect variants: one defect cell per level, simulated with the same phonon seed
    conds = {n: c for n, c in task.condition_objects().items() if n != "raw"}
    levels = sorted({c.defect_level for c in conds.values() if c.defect_level})
    defect_images, defects, extra_coords, defect_columns = {}, [], {}, {}
    sim_params = {"raw": res.params}  # each simulation's accuracy goes into params['accuracy']
    for level in levels:
        dcrystal, records = _defects(crystal, task, level, pixels)  # defects before layers
        dcell = same_layers(dcrystal, cell, layer_record)
        clock.lap("structure")
        dres = simulate_cell(dcell, settled(task.physics, res.params), sim_seed)
        clock.lap("simulate")
        defect_images[level] = dres.image
        sim_params[f"dfct{level}"] = dres.params
        extra_coords[DEFECT_COORDS[level]] = np.asarray(dres.coords, np.float32)
        defect_columns[level] = merge_columns(dcell, pixels)
        peak_maps[f"dfct{level}"] = peak_map(dres.image, defect_columns[level].xy, **task.peaks)
        for c in conds.values():  # one record per defect and condition that shows it
            if c.defect_level == level:
                defects += [dict(_jsonable(r.to_dict()), condition=c.dataset_name) for r in records]
        clock.lap("labels")

    size = float(cell.size)  # the field of view (a periodic cell's edge may differ from size)
    pixel_size = size / pixels  # [Angstrom]: conditions with a dose need it
    images, noise = {}, {}
    for name, cond in conds.items():
        rng = np.random.default_rng(noise_seed_sequence(task.seed, task.index, name))
        source = defect_images[cond.defect_level] if cond.defect_level else res.image
        img, params = cond.apply(source, rng=rng, pixel_size=pixel_size, return_params=True)
        draws = None if params is None else params.to_dict()
        images[cond.dataset_name] = np.asarray(img, np.float32)
        noise[cond.dataset_name] = {
            "condition": cond.to_dict(), "pixel_size": pixel_size, "draws": draws,
            "source": f"dfct{cond.defect_level}" if cond.defect_level else "raw",
            "moves_image": bool(draws and draws.get("drift") is not None) or cond.flyback > 0,
        }
    clock.lap("noise")

    structure = {
        "spec": task.structure, "structure_id": task.structure_id, "formula": cell.formula,
        "spacegroup": list(cell.spacegroup), "source": str(cell.source),
        "prototype": meta["prototype"], "citation": meta["citation"],
        "subcell_shift": None if shift is None else [float(x) for x in shift],
        "size": size, "thickness": float(crystal.thickness), "boundary": str(crystal.boundary),
        "strain": float(crystal.strain), "boundary_note": boundary_note,
        "amorphous": layer_record,
    }
    if scene is not None:  # every parameter that made the scene (defaults and drawn values)
        structure["scene"] = {"kind": scene.kind, "params": scene.params}
    params = {
        "item": {"index": task.index, "name": task.name, "subset": task.subset, "role": task.role,
                 "twin": task.twin, "conditions": list(task.conditions)},
        "structure": structure,
        "simulation": _jsonable(res.params),
        "accuracy": _jsonable(item_record(sim_params)),
        "settings": task.settings(),
    }
    item = Item(
        name=task.name,
        attrs=root_attrs(size, cell.formula, cell.hkl, task.structure_id, cell.uvw),
        raw=np.asarray(res.image, np.float64),
        images=images,
        peak_maps=peak_maps,
        full_coords=np.asarray(res.coords, np.float32),
        extra_coords=extra_coords,
        columns=columns,
        numbers=np.asarray(cell.atoms.numbers),
        defects=defects,
        params=params,
        noise=noise,
        defect_columns=defect_columns,
        seed={"run_seed": task.seed, "item_index": task.index},
        version=__version__,
    )
    return item, clock.timings
