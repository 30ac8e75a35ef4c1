"""Make (or finish) a dataset: config -> plan -> build + write (executor) -> manifest -> exports.

Layout of a dataset folder ``DIR``::

    DIR/manifest.json       config, version, seeds, sha256 of every file (atomically rewritten)
    DIR/key.csv             one row per item (synthstem.io.keycsv)
    DIR/failures.json       items that failed, with their cause (only if any failed)
    DIR/retrieval.csv       retrieval runs: target -> twin among the choices
    DIR/.synthstem.lock     PID of the run writing DIR (synthstem.runs.lock; empty after)
    DIR/<subset>/<name>.h5  one file per item ('items' for general runs,
                            'targets' and 'choices' for retrieval runs)
    DIR/<subset>/<name>-raw.png, <name>-stem00-clean.png, ...

Everything is validated before the first file is written: the config, the worker count,
every item's inputs (the plan), the output path and the lock.
"""

from __future__ import annotations

import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from ..io.files import remove_temporaries, sha256
from ..io.hdf5 import read_item
from .config import Config, load_config
from .execute import Interrupt, check_workers, run_tasks
from .lock import LOCK_NAME, FolderLock
from .manifest import (Manifest, export_files, exports_complete, item_complete, key_row,
                       previous_manifest, write_records)
from .plan import plan
from ..physics.accuracy import item_record, summarize
from .write import process_task


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
    interrupted: bool = False
    #: items whose PRISM accuracy check exceeded its tolerance: {'item', 'error'}
    prism_flagged: list = field(default_factory=list)
    #: per item: its accuracy record (physics.accuracy.item_record) and 'item'
    accuracy: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.failed and not self.interrupted


def report_dict(report):
    d = asdict(report)
    d["out"] = str(report.out)
    return d


def prepare_output(out):
    """Check that ``out`` can be a dataset folder and create it (ValueError naming it)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _with_seed(config, seed):
    if seed is None:
        return config
    return config.model_copy(update={"run": config.run.model_copy(update={"seed": int(seed)})})


def check_limit(limit):
    """``limit`` (first items of the plan) as a positive int or None; ValueError otherwise."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"--limit must be an integer >= 1, got {limit!r}")
    return limit


def run_dataset(config, out, workers=None, scheduler=None, seed=None, progress=True,
                builder=None, limit=None):
    """Make (or finish) the dataset of ``config`` in folder ``out``.

    Parameters
    ----------
    config : Config, dict or path
    out : path
        Dataset folder; a folder holding an unfinished run of the same config is resumed.
    workers : int or None
        Local worker processes (default: the CPUs of this process; 1 = this process).
    scheduler : str or distributed.Client or None
        Dask scheduler address, e.g. 'tcp://127.0.0.1:8786'.
    seed : int or None
        Overrides ``run.seed``.
    progress : bool
        Show a tqdm progress bar on stderr.
    builder : str or None
        'module:function' building one item (tests); default
        :func:`synthstem.runs.build.build_item`.
    limit : int or None
        Make only the first ``limit`` items of the plan (the same files as a full run's
        first items: an item depends on the run seed and its index only); recorded in the
        manifest as ``limit``. A later run without it completes the dataset.

    Returns
    -------
    RunReport
    """
    if not isinstance(config, Config):
        config = load_config(config)
    config = _with_seed(config, seed)
    if scheduler is None:
        workers = check_workers(workers)
    limit = check_limit(limit)
    tasks = plan(config, out)  # raises before anything is written
    n_planned = len(tasks)
    if limit is not None:
        tasks = tasks[:limit]
    created = _first_missing(out)
    out = prepare_output(out)
    try:
        with FolderLock(out):
            return _run_locked(config, out, tasks, workers, scheduler, progress, builder,
                               None if limit is None else {"items": len(tasks), "planned": n_planned})
    except BaseException:
        if created is not None:
            _remove_if_unused(out, created)
        raise


def _first_missing(out):
    """The outermost folder of ``out``'s path that does not exist yet (None if ``out`` exists)."""
    out = Path(out).absolute()
    if out.exists():
        return None
    while not out.parent.exists():
        out = out.parent
    return out


def _remove_if_unused(out, top):
    """Remove the folders a failed run created (``out`` up to ``top``) if it wrote nothing in
    them but its (empty) lock file."""
    lock = out / LOCK_NAME
    rest = [p for p in out.iterdir() if p != lock]
    if rest or (lock.exists() and lock.stat().st_size):
        return
    folder = out.absolute()
    try:
        lock.unlink(missing_ok=True)
        while True:
            folder.rmdir()  # fails (and stops) if anything else appeared meanwhile
            if folder == top:
                return
            folder = folder.parent
    except OSError:
        return


def _row(task, item, report):
    """The key.csv row of a written item; notes a failed PRISM check in ``report``."""
    record = item.params.get("accuracy") or item_record({"raw": item.params.get("simulation", {})})
    report.accuracy.append(dict(record, item=task.h5))
    if record["passed"] is False:
        report.prism_flagged.append({"item": task.h5, "error": record["error"]})
    return key_row(task, item)


def _run_locked(config, out, tasks, workers, scheduler, progress, builder, limit=None):
    previous = previous_manifest(out, config)
    remove_temporaries(out)
    t_start = time.perf_counter()
    manifest = Manifest(out, config, tasks)
    if limit is not None:
        manifest.data["limit"] = limit  # {'items': made, 'planned': the whole plan}
    report = RunReport(out=out, n_items=len(tasks))
    rows, todo, failures = {}, [], []
    for task in tasks:
        if item_complete(task):
            manifest.record(task, {rel: sha256(out / rel) for rel in task.files()})
            rows[task.h5] = _row(task, read_item(out / task.h5), report)
            report.skipped += 1
        else:
            todo.append(task)
    manifest.save(force=True)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), initial=report.skipped, unit="item", desc="items",
                   file=sys.stderr, dynamic_ncols=True)
    fn = process_task if builder is None else partial(process_task, builder=builder)
    try:
        with Interrupt() as interrupt:
            for task, result in run_tasks(fn, todo, workers=workers, scheduler=scheduler,
                                          interrupt=interrupt):
                if result["ok"]:
                    manifest.record(task, result["files"])
                    rows[task.h5] = _row(task, read_item(out / task.h5), report)
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
            report.interrupted = interrupt.stop
    finally:
        if bar is not None:
            bar.close()
        manifest.save(force=True)

    report.failed = failures
    write_records(out, config, tasks, rows.values(), failures)
    if report.interrupted:
        manifest.save(force=True)
        report.wall = time.perf_counter() - t_start
        return report
    if (config.output.exports or config.output.augment.variants) and rows:
        if report.done == 0 and not failures and exports_complete(out, previous):
            # nothing new since a complete run of the same config: its exports stand
            manifest.data["exports"] = previous["exports"]
            report.exports = {"skipped": "complete and unchanged since the last run, per manifest.json",
                              "n_files": len(previous["exports"])}
        else:
            report.exports = run_exports(config, out, failures)
            write_records(out, config, tasks, rows.values(), failures)
            manifest.data["exports"] = export_files(out)
    manifest.data["complete"] = not failures
    manifest.data["failures"] = len(failures)
    manifest.data["accuracy"] = summarize(report.accuracy)
    manifest.save(force=True)
    report.wall = time.perf_counter() - t_start
    return report


def export_options(config):
    """Keyword arguments of :func:`synthstem.exports.export_dataset` from ``[output]``."""
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
            "radius_angstrom": o.radius_angstrom, "heatmap_sigma_angstrom": o.heatmap_sigma_angstrom,
            "tiff_dtype": o.tiff_dtype}


def run_exports(config, out, failures):
    """The exports step; a failure is recorded in ``failures`` (index -1), not raised."""
    from ..exports import export_dataset

    try:
        return export_dataset(out, seed=config.run.seed, **export_options(config))
    except Exception as err:
        failures.append({"item": "(exports)", "index": -1, "error": f"{type(err).__name__}: {err}",
                         "traceback": traceback.format_exc()})
        print(f"synthstem: exports failed: {type(err).__name__}: {err}", file=sys.stderr)
        return None
