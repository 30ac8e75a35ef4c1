"""Orchestration: a config and a seed in, a complete, reproducible dataset folder out.

Nothing here does physics: a run is planned (structures x zone axes -> one task per
item), each task is built by a top-level function in a worker (structure -> orient ->
simulate -> defects -> noise -> peak maps -> HDF5 + PNG) and the main process keeps
``manifest.json``, ``key.csv`` and ``failures.json``.

Layout of a dataset folder ``DIR``::

    DIR/manifest.json       config, version, seeds, sha256 of every file (atomically rewritten)
    DIR/key.csv             one row per item (synthstem.io.keycsv)
    DIR/failures.json       items that failed, with their cause (only if any failed)
    DIR/retrieval.csv       retrieval runs: target -> twin among the choices
    DIR/<subset>/<name>.h5  one file per item ('items' for general runs,
                            'targets' and 'choices' for retrieval runs)
    DIR/<subset>/<name>-raw.png, <name>-stem00-clean.png, ...

Reproducibility: item ``k``'s random streams are
``synthstem.random.item_seed_sequence(run_seed, k, stage)`` (stages below), so a
dataset does not depend on workers, completion order or scheduler. Resume: the HDF5 file
is written last and atomically, so an item whose file exists and reads back is complete;
a restarted run skips it.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from importlib import import_module
from pathlib import Path

import numpy as np

from ._version import __version__
from .config import ALL_CONDITIONS, Config, load_config
from .io.files import remove_temporaries, sha256, write_json, write_text
from .io.hdf5 import DEFECT_COORDS, Item, read_item, root_attrs, write_item
from .io.keycsv import write_key_csv
from .io.png import item_png_names, write_png
from .random import item_seed_sequence

# random stages of one item (third entry of its SeedSequence)
STAGE_STRUCTURE = 0  # decorations already drawn at plan time; sub-cell shift of twins
STAGE_SIMULATE = 1  # frozen phonons
STAGE_NOISE = 2  # one child per condition, by its position in ALL_CONDITIONS
STAGE_DEFECT = 3  # one child per defect level
STAGE_NOISE_USER = 4  # user conditions: one stream per name (noise_seed_sequence)
PLAN_STREAM = 2**31 - 1
EXPORT_FOLDERS = ("annotations", "augmented")  # written by synthstem.labels.export  # item index slot used for plan-time draws (decorations, retrieval)


# -- tasks ----------------------------------------------------------------------------------
@dataclass
class Task:
    """Everything a worker needs to build one item (picklable, JSON-safe)."""

    index: int
    name: str
    subset: str
    role: str  # 'general', 'target', 'choice'
    structure: dict  # {'prototype': name, 'decorations': {...}} or {'cif': path}
    structure_id: int
    uvw: tuple
    conditions: list
    out: str
    settings: dict  # microscope, simulation, peaks, defects, png, seed
    shift: bool = False
    twin: str = ""
    builder: str = "synthstem.pipeline:build_item"

    def _rel(self, filename):
        return f"{self.subset}/{filename}" if self.subset else filename

    @property
    def h5(self):
        return self._rel(f"{self.name}.h5")

    def png_files(self):
        if not self.settings.get("png", True):
            return []
        keys = [_dataset_name(c, self.settings.get("conditions")) for c in self.conditions]
        return [self._rel(n) for n in item_png_names(self.name, keys).values()]

    def files(self):
        return [self.h5, *self.png_files()]


def _dataset_name(condition, user=None):
    return "raw" if condition == "raw" else condition_table(user)[condition].dataset_name


def condition_table(user=None):
    """{name: Condition}: the reference conditions plus user ones (``{name: table}``,
    as in ``settings['conditions']``: ``Condition.to_dict()`` or a config table)."""
    from .noise.conditions import CONDITIONS, condition_from_dict

    table = {n: CONDITIONS[n] for n in ALL_CONDITIONS}
    for name, d in (user or {}).items():
        table[name] = condition_from_dict(name, {k: v for k, v in d.items() if k != "name"})
    return table


def noise_seed_sequence(run_seed, item_index, condition):
    """The noise stream of one condition of one item.

    Reference conditions: child ``ALL_CONDITIONS.index(condition)`` of
    ``item_seed_sequence(run_seed, item_index, STAGE_NOISE)``; user conditions:
    ``SeedSequence([run_seed, item_index, STAGE_NOISE_USER, *utf8 bytes of the name])``,
    so adding or removing a user condition changes no other condition's images.
    """
    if condition in ALL_CONDITIONS:
        children = item_seed_sequence(run_seed, item_index, STAGE_NOISE).spawn(len(ALL_CONDITIONS))
        return children[ALL_CONDITIONS.index(condition)]
    return np.random.SeedSequence([int(run_seed), int(item_index), STAGE_NOISE_USER,
                                   *str(condition).encode("utf-8")])


# -- structures (the one place that talks to synthstem.structures) ---------------------------
def _cif_database_code(path):
    """The CIF's ICSD / COD database code as a structure id (<= 999999), else None."""
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("_database_code_ICSD", "_database_code_icsd",
                                            "_cod_database_code"):
            code = parts[1].strip("'\"")
            if code.isdigit() and int(code) <= 999999:
                return int(code)
    return None


def load_atoms(spec):
    """Bulk structure of a task's ``structure`` spec -> (ase.Atoms, meta dict).

    ``spec``: ``{'prototype': name, 'elements': None | decoration | {role: element}}`` or
    ``{'cif': path}``. ``meta``: 'structure_id' (or None), 'prototype', 'source', 'citation'.
    """
    if spec.get("cif"):
        from .structures.readers import load_structure

        path = spec["cif"]
        if not Path(path).is_file():
            raise FileNotFoundError(f"CIF file not found: {path}")
        atoms, source_id, citation = load_structure(path)
        return atoms, {"structure_id": _cif_database_code(path), "prototype": "",
                       "source": str(source_id or path), "citation": str(citation or "")}
    from .structures.prototypes import prototype

    atoms = prototype(spec["prototype"], spec.get("elements"))
    info = dict(getattr(atoms, "info", {}) or {})
    name = info.get("prototype", spec["prototype"])
    deco = info.get("decoration")
    return atoms, {"structure_id": None, "prototype": str(name),
                   "source": f"{name}/{deco}" if deco else str(name), "citation": ""}


def zone_axes_of(atoms, max_index):
    from .structures.zone_axes import zone_axes

    return [tuple(int(i) for i in uvw) for uvw in zone_axes(atoms, max_index=max_index)]


def _item_name(structure_id, uvw):
    from .structures.names import item_name

    return item_name(structure_id, uvw)


# -- planning -------------------------------------------------------------------------------
def _plan_rng(seed, *keys):
    return np.random.default_rng(np.random.SeedSequence([int(seed), PLAN_STREAM, *map(int, keys)]))


def _structure_variants(config, s, entry):
    """Structure specs of one [[structures]] entry (decorations expanded or drawn)."""
    if entry.cif is not None:
        return [{"cif": str(config.cif_path(entry))}]
    from .structures import prototypes as protos

    if entry.prototype == "all":
        return [{"prototype": p, "elements": d} for p, d in protos.all_decorations()]
    if entry.elements == "all":
        return [{"prototype": entry.prototype, "elements": d} for d in protos.decorations(entry.prototype)]
    if entry.draws == 1 and not entry.random and not isinstance(entry.elements, dict):
        return [{"prototype": entry.prototype, "elements": entry.elements}]
    out, seen = [], set()
    for d in range(entry.draws):
        rng = _plan_rng(config.run.seed, 0, s, d)
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


def _pairs(config):
    """All (spec, structure_id, uvw, meta) of the config, in config order.

    Structure ids: the entry's ``id`` (+ k for its k-th variant), else the structure's own
    (a CIF's), else numbered 1, 2, ... in config order, skipping ids used elsewhere.
    """
    variants = []
    for s, entry in enumerate(config.structures):
        for k, spec in enumerate(_structure_variants(config, s, entry)):
            try:
                atoms, meta = load_atoms(spec)
                error = None
            except Exception as err:  # a bad CIF must not stop the others: a failed item
                atoms, meta, error = None, {"structure_id": None}, f"{type(err).__name__}: {err}"
            sid = entry.id + k if entry.id is not None else meta["structure_id"]
            variants.append([s, entry, spec, atoms, meta, sid, error])
    used = {v[5] for v in variants if v[5] is not None}
    auto = 1
    for v in variants:
        if v[5] is None:
            while auto in used:
                auto += 1
            v[5] = auto
            used.add(auto)
    pairs, seen = [], {}
    for s, entry, spec, atoms, meta, sid, error in variants:
        if error is not None:
            pairs.append((dict(spec, error=error), sid, (0, 0, 1), dict(meta, entry=s, error=error)))
            continue
        axes = zone_axes_of(atoms, entry.max_index) if entry.uvw == "all" else [tuple(a) for a in entry.uvw]
        for uvw in axes:
            name = _item_name(sid, uvw)
            if name in seen:
                raise ValueError(f"structures[{s}]: item {name} repeats one of structures[{seen[name]}]; "
                                 "give the entries different 'id's")
            seen[name] = s
            pairs.append((spec, int(sid), tuple(int(i) for i in uvw), dict(meta, entry=s)))
    return pairs


def _settings(config):
    return {
        "microscope": config.microscope.model_dump(mode="json"),
        "simulation": config.simulation.model_dump(mode="json"),
        "peaks": config.output.peaks.model_dump(mode="json"),
        "defects": config.defects.model_dump(mode="json"),
        "png": config.output.png,
        "seed": config.run.seed,
        "conditions": {n: config.condition_table()[n].to_dict() for n in config.user_conditions},
    }


def plan(config, out):
    """Tasks of a run, in a fixed order (their position is the item index).

    Structures that cannot be loaded become tasks that fail with the loader's error.
    """
    out = str(Path(out).resolve())  # workers may run elsewhere (Dask): no relative paths
    settings = _settings(config)
    pairs = _pairs(config)
    tasks = []

    def add(pair, subset, role, conditions, shift=False, twin=""):
        spec, sid, uvw, meta = pair
        name = _item_name(sid, uvw)
        task = Task(index=len(tasks), name=name, subset=subset, role=role, structure=dict(spec),
                    structure_id=sid, uvw=uvw, conditions=list(conditions), out=out,
                    settings=settings, shift=shift, twin=twin)
        tasks.append(task)
        return task

    if config.run.kind == "general":
        for pair in pairs:
            add(pair, "items", "general", config.conditions("general"))
        return tasks

    good = [p for p in pairs if "error" not in p[3]]
    for p in pairs:
        if "error" in p[3]:
            add(p, "targets", "target", config.conditions("target"))
    r = config.retrieval
    n_t, n_c = r.n_targets, r.n_choices
    need = n_t + (n_c - n_t)
    if len(good) < need:
        raise ValueError(
            f"retrieval: {n_t} targets and {n_c} choices need {need} distinct structure x zone-axis "
            f"pairs, the structures give {len(good)}; add structures or lower retrieval.scale")
    order = _plan_rng(config.run.seed, 1).permutation(len(good))
    chosen = [good[i] for i in order[:need]]
    targets = [add(p, "targets", "target", config.conditions("target")) for p in chosen[:n_t]]
    for t, p in zip(targets, chosen[:n_t]):
        twin = add(p, "choices", "choice", config.conditions("choice"), shift=r.shift, twin=t.h5)
        t.twin = twin.h5
    for p in chosen[n_t:]:
        add(p, "choices", "choice", config.conditions("choice"))
    return tasks


# -- building one item (worker side) ---------------------------------------------------------
def _seed_int(ss):
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def _subcell_shift(atoms, uvw, rng):
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


def _simulate(cell, settings, seed):
    from .physics.optics import Microscope
    from .physics.simulate import simulate

    sim = settings["simulation"]
    return simulate(cell, microscope=Microscope(**settings["microscope"]), pixels=sim["pixels"],
                    method=sim["method"], interpolation=sim["interpolation"],
                    slice_thickness=sim["slice_thickness"], phonons=sim["phonons"],
                    phonon_rms=sim["phonon_rms"], seed=seed)


def _columns(cell, pixels):
    from .structures.columns import merge_columns

    return merge_columns(cell, pixels)


def _apply_condition(cond, image, rng, pixel_size):
    """-> (image, draws dict or None): the condition applied and its recorded random draws."""
    out, params = cond.apply(image, rng=rng, pixel_size=pixel_size, return_params=True)
    return out, None if params is None else params.to_dict()


def build_item(task):
    """Build one item in memory -> (Item, timings [s])."""
    from .labels.peaks import peak_map
    from .structures.orient import orient

    if "error" in task.structure:
        raise ValueError(task.structure["error"])
    st = task.settings
    sim = st["simulation"]
    pixels = sim["pixels"]
    timings = {"structure": 0.0, "simulate": 0.0, "noise": 0.0, "labels": 0.0}

    t0 = time.perf_counter()
    atoms, meta = load_atoms(task.structure)
    shift = None
    if task.shift:
        rng = np.random.default_rng(item_seed_sequence(st["seed"], task.index, STAGE_STRUCTURE))
        atoms, shift = _subcell_shift(atoms, task.uvw, rng)
    cell = orient(atoms, task.uvw, size=sim["size"], structure_id=task.structure_id, source=meta["source"])
    timings["structure"] += time.perf_counter() - t0

    t0 = time.perf_counter()
    sim_seed = _seed_int(item_seed_sequence(st["seed"], task.index, STAGE_SIMULATE))
    res = _simulate(cell, st, sim_seed)
    timings["simulate"] += time.perf_counter() - t0

    t0 = time.perf_counter()
    peaks = st["peaks"]
    columns = _columns(cell, pixels)
    peak_maps = {"clean": peak_map(res.image, columns.xy, **peaks)}
    timings["labels"] += time.perf_counter() - t0

    # defect variants: one defect cell per level, simulated with the same phonon seed
    table = condition_table(st.get("conditions"))
    conds = {c: table[c] for c in task.conditions if c != "raw"}
    levels = sorted({c.defect_level for c in conds.values() if c.defect_level})
    defect_images, defects, extra_coords, defect_columns = {}, [], {}, {}
    for level in levels:
        t0 = time.perf_counter()
        try:
            from .structures.defects import add_point_defect
        except ImportError as err:
            raise ValueError(f"conditions dfct/comb need synthstem.structures.defects ({err})") from None

        rng = np.random.default_rng(item_seed_sequence(st["seed"], task.index, STAGE_DEFECT).spawn(3)[level])
        kinds = st["defects"]["kinds"]
        kind = kinds[int(rng.integers(len(kinds)))]
        dcell, record = add_point_defect(cell, kind, level, rng, pixels=pixels)
        timings["structure"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        dres = _simulate(dcell, st, sim_seed)
        timings["simulate"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        defect_images[level] = dres.image
        extra_coords[DEFECT_COORDS[level]] = np.asarray(dres.coords, np.float32)
        defect_columns[level] = _columns(dcell, pixels)
        peak_maps[f"dfct{level}"] = peak_map(dres.image, defect_columns[level].xy, **peaks)
        for name, c in conds.items():  # one record per condition that shows this defect
            if c.defect_level == level:
                defects.append(dict(_jsonable(record.to_dict()), condition=c.dataset_name))
        timings["labels"] += time.perf_counter() - t0

    t0 = time.perf_counter()
    pixel_size = float(sim["size"]) / pixels  # [Angstrom]: conditions with a dose need it
    images, noise = {}, {}
    for name, cond in conds.items():
        rng = np.random.default_rng(noise_seed_sequence(st["seed"], task.index, name))
        source = defect_images[cond.defect_level] if cond.defect_level else res.image
        img, draws = _apply_condition(cond, source, rng, pixel_size)
        images[cond.dataset_name] = np.asarray(img, np.float32)
        noise[cond.dataset_name] = {
            "condition": cond.to_dict(), "pixel_size": pixel_size, "draws": draws,
            "source": f"dfct{cond.defect_level}" if cond.defect_level else "raw",
            "moves_image": bool(draws and draws.get("drift") is not None) or cond.flyback > 0,
        }
    timings["noise"] += time.perf_counter() - t0

    structure = {
        "spec": task.structure, "structure_id": task.structure_id, "formula": cell.formula,
        "spacegroup": list(cell.spacegroup), "source": str(cell.source),
        "prototype": meta["prototype"], "citation": meta["citation"],
        "subcell_shift": None if shift is None else [float(x) for x in shift],
    }
    params = {
        "item": {"index": task.index, "name": task.name, "subset": task.subset, "role": task.role,
                 "twin": task.twin, "conditions": task.conditions},
        "structure": structure,
        "simulation": _jsonable(res.params),
        "settings": st,
    }
    item = Item(
        name=task.name,
        attrs=root_attrs(sim["size"], cell.formula, cell.hkl, task.structure_id, cell.uvw),
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
        seed={"run_seed": st["seed"], "item_index": task.index},
        version=__version__,
    )
    return item, timings


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def _builder(path):
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def process_task(task):
    """Worker entry point: build, write PNGs then the HDF5 file; never raises.

    Returns a dict: ``ok``, ``name``, ``files`` {relative path: sha256}, ``timings``,
    or ``error`` and ``traceback``.
    """
    t_start = time.perf_counter()
    if "error" in task.structure:  # the structure could not be loaded at plan time
        return {"ok": False, "name": task.name, "error": task.structure["error"], "traceback": ""}
    try:
        item, timings = _builder(task.builder)(task)
        t0 = time.perf_counter()
        out = Path(task.out)
        files = {}
        if task.settings.get("png", True):
            images = {"raw": item.raw, **item.images}
            for rel in task.png_files():
                key = Path(rel).name[len(task.name) + 1:-len(".png")]
                write_png(out / rel, images[key])
        write_item(out / task.h5, item)  # last: its presence marks the item done
        for rel in task.files():
            files[rel] = sha256(out / rel)
        timings["write"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - t_start
        return {"ok": True, "name": task.name, "files": files, "timings": timings}
    except Exception as err:
        return {"ok": False, "name": task.name, "error": f"{type(err).__name__}: {err}",
                "traceback": traceback.format_exc()}


# -- manifest, key, resume --------------------------------------------------------------------
def item_complete(task):
    """True if the item's HDF5 file and PNGs exist and the HDF5 file reads back."""
    out = Path(task.out)
    if not all((out / rel).is_file() for rel in task.files()):
        return False
    try:
        read_item(out / task.h5)
    except Exception:
        return False
    return True


def _key_row(task, item):
    s = item.params.get("structure", {})
    sg = s.get("spacegroup") or ["", ""]
    return {
        "item": task.name, "subset": task.subset, "structure_id": task.structure_id,
        "prototype": s.get("prototype", ""), "formula": s.get("formula", ""),
        "spacegroup_symbol": sg[0], "spacegroup_number": sg[1],
        "uvw": item.attrs["uvw_direction"], "hkl": item.attrs["hkl_plane"],
        "hdf5": task.h5, "png": task.png_files(), "source": s.get("source", ""),
        "citation": s.get("citation", ""), "role": task.role, "twin": task.twin,
    }


class Manifest:
    """``manifest.json``: config, version, seeds and a sha256 per file; rewritten atomically."""

    def __init__(self, out, config, tasks):
        self.path = Path(out) / "manifest.json"
        self.data = {
            "synthstem_version": __version__,
            "config": config.to_dict(),
            "run_seed": config.run.seed,
            "n_items": len(tasks),
            "complete": False,
            "items": {},
        }
        self.data["config"].pop("base_dir", None)
        self._last = 0.0

    def record(self, task, files):
        self.data["items"][task.h5] = {
            "name": task.name, "index": task.index, "role": task.role,
            "seed": {"run_seed": self.data["run_seed"], "item_index": task.index},
            "files": dict(sorted(files.items())),
        }

    def save(self, force=False):
        now = time.monotonic()
        if force or now - self._last > 2.0:
            self.data["items"] = dict(sorted(self.data["items"].items()))
            write_json(self.path, self.data)
            self._last = now


def _check_existing(out, config):
    path = Path(out) / "manifest.json"
    if not path.is_file():
        return None
    old = json.loads(path.read_text())
    new = config.to_dict()
    new.pop("base_dir", None)
    if old.get("config") != new:
        raise ValueError(
            f"{out} holds a dataset made with another config; use a new --out folder "
            "(or the same config to resume)")
    return old


def _exports_complete(out, previous):
    """True if a previous complete run (same config) recorded exports that are all still
    there with their sha256, and nothing else lies in the export folders."""
    if not previous or not previous.get("complete") or not previous.get("exports"):
        return False
    recorded = previous["exports"]
    present = {str(p.relative_to(out)) for folder in EXPORT_FOLDERS if (Path(out) / folder).is_dir()
               for p in (Path(out) / folder).rglob("*") if p.is_file()}
    if present != set(recorded):
        return False
    return all(sha256(Path(out) / rel) == digest for rel, digest in recorded.items())


@dataclass
class RunReport:
    """What a run did: folder, counts, failures, timings per stage [s]."""

    out: Path
    n_items: int
    done: int = 0
    skipped: int = 0
    failed: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    wall: float = 0.0
    exports: dict | None = None

    @property
    def ok(self):
        return not self.failed


def _write_retrieval_csv(out, tasks):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["target", "twin"])
    for t in tasks:
        if t.role == "target" and t.twin:
            w.writerow([t.h5, t.twin])
    write_text(Path(out) / "retrieval.csv", buf.getvalue())


def run_dataset(config, out, workers=None, scheduler=None, seed=None, progress=True,
                builder=None):
    """Make (or finish) the dataset of ``config`` in folder ``out``.

    Parameters
    ----------
    config : Config, dict or path
    out : path
        Dataset folder; a folder holding an unfinished run of the same config is resumed.
    workers : int or None
        Local worker processes (default: all CPUs).
    scheduler : str or distributed.Client or None
        Dask scheduler address, e.g. 'tcp://127.0.0.1:8786'.
    seed : int or None
        Overrides ``run.seed``.
    progress : bool
        Show a tqdm progress bar on stderr.
    builder : str or None
        'module:function' building one item (tests); default :func:`build_item`.

    Returns
    -------
    RunReport
    """
    from .executor import run_tasks

    if not isinstance(config, Config):
        config = load_config(config)
    if seed is not None:
        config = config.model_copy(update={"run": config.run.model_copy(update={"seed": int(seed)})})
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    previous = _check_existing(out, config)
    remove_temporaries(out)
    t_start = time.perf_counter()
    tasks = plan(config, out)
    if builder is not None:
        for t in tasks:
            t.builder = builder
    manifest = Manifest(out, config, tasks)
    report = RunReport(out=out, n_items=len(tasks))
    rows = {}
    todo = []
    for task in tasks:
        if "error" not in task.structure and item_complete(task):
            item = read_item(out / task.h5)
            manifest.record(task, {rel: sha256(out / rel) for rel in task.files()})
            rows[task.h5] = _key_row(task, item)
            report.skipped += 1
        else:
            todo.append(task)
    manifest.save(force=True)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), initial=report.skipped, unit="item", desc="items",
                   file=sys.stderr, dynamic_ncols=True)
    failures = []
    try:
        for task, result in run_tasks(process_task, todo, workers=workers, scheduler=scheduler):
            if result["ok"]:
                manifest.record(task, result["files"])
                rows[task.h5] = _key_row(task, read_item(out / task.h5))
                for k, v in result["timings"].items():
                    report.timings[k] = report.timings.get(k, 0.0) + v
                report.done += 1
                manifest.save()
            else:
                failures.append({"item": task.name, "subset": task.subset, "index": task.index,
                                 "structure": task.structure, "uvw": list(task.uvw),
                                 "error": result["error"], "traceback": result["traceback"]})
                print(f"synthstem: item {task.h5} failed: {result['error']}", file=sys.stderr)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        manifest.save(force=True)

    failures.sort(key=lambda f: f["index"])
    report.failed = failures
    write_key_csv(out / "key.csv", rows.values())
    if config.run.kind == "retrieval":
        _write_retrieval_csv(out, tasks)
    fail_path = out / "failures.json"
    if failures:
        write_json(fail_path, failures)
    elif fail_path.exists():
        fail_path.unlink()

    if (config.output.exports or config.output.augment.variants) and rows:
        if report.done == 0 and not failures and _exports_complete(out, previous):
            # nothing new since a complete run of the same config: its exports stand
            manifest.data["exports"] = previous["exports"]
            report.exports = {"skipped": "complete and unchanged since the last run, per manifest.json",
                              "n_files": len(previous["exports"])}
        else:
            report.exports = _run_exports(config, out, failures)
            report.failed = failures
            if failures:
                write_json(fail_path, failures)
            manifest.data["exports"] = {
                str(p.relative_to(out)): sha256(p)
                for folder in EXPORT_FOLDERS if (out / folder).is_dir()
                for p in sorted((out / folder).rglob("*")) if p.is_file() and not p.name.endswith(".tmp")}
    manifest.data["complete"] = not failures
    manifest.data["failures"] = len(failures)
    manifest.save(force=True)
    report.wall = time.perf_counter() - t_start
    return report


def export_options(config):
    """Keyword arguments of ``synthstem.labels.export.export_dataset`` from ``[output]``."""
    o = config.output
    a = o.augment
    augment = None
    if a.variants:
        augment = {"variants": a.variants, "n_transforms": tuple(a.n_transforms),
                   "min_box_size": a.min_box_size, "min_box_visible": a.min_box_visible,
                   "shard_size": a.shard_size}
    splits = None
    if o.splits.by != "none":
        splits = {"by": o.splits.by, "test_fraction": o.splits.test_fraction,
                  "few_shot": o.splits.few_shot, "shots": tuple(o.splits.shots), "runs": o.splits.runs}
    return {"exports": tuple(o.exports), "augment": augment, "splits": splits,
            "image_condition": config.export_conditions(), "min_area": o.min_area,
            "radius_angstrom": o.radius_angstrom, "heatmap_sigma_angstrom": o.heatmap_sigma_angstrom}


def _run_exports(config, out, failures):
    try:
        from .labels.export import export_dataset
    except ImportError as err:
        failures.append({"item": "(exports)", "index": -1, "error": f"exports unavailable: {err}"})
        print(f"synthstem: exports skipped: {err}", file=sys.stderr)
        return None
    try:
        return export_dataset(out, seed=config.run.seed, **export_options(config))
    except Exception as err:
        failures.append({"item": "(exports)", "index": -1, "error": f"{type(err).__name__}: {err}",
                         "traceback": traceback.format_exc()})
        print(f"synthstem: exports failed: {type(err).__name__}: {err}", file=sys.stderr)
        return None


def report_dict(report):
    d = asdict(report)
    d["out"] = str(report.out)
    return d
