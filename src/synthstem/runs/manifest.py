"""The dataset's records: ``manifest.json``, ``key.csv``, ``retrieval.csv``, ``failures.json``,
and resume (which planned items are already complete).

Fifth step of a run, in the main process only. ``manifest.json`` holds the config, the
version, the run seed and a sha256 per file; it is rewritten atomically, so a killed run
leaves the last saved state and a restarted run of the same config resumes.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

from .._version import __version__
from ..io.files import sha256, write_json, write_text
from ..io.hdf5 import read_item
from ..exports.dataset import EXPORT_FOLDERS  # written by the exports step, recorded under 'exports'
from ..io.keycsv import write_key_csv


def config_record(config):
    """The config as recorded in the manifest (no machine-specific base_dir)."""
    d = config.to_dict()
    d.pop("base_dir", None)
    return d


def item_complete(task):
    """True if the item's HDF5 file and PNGs exist and the HDF5 file reads back."""
    out = Path(task.out)
    if not all((out / rel).is_file() for rel in task.files()):
        return False
    try:
        read_item(out / task.h5)
    except (OSError, ValueError, KeyError):  # truncated or foreign file: make it again
        return False
    return True


def key_row(task, item):
    """The key.csv row of a written item."""
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
            "config": config_record(config),
            "run_seed": config.run.seed,
            "n_items": len(tasks),
            "complete": False,
            "items": {},
        }
        self._last = 0.0

    def record(self, task, files):
        self.data["items"][task.h5] = {
            "name": task.name, "index": task.index, "role": task.role,
            "seed": {"run_seed": self.data["run_seed"], "item_index": task.index},
            "files": dict(sorted(files.items())),
        }

    def save(self, force=False):
        """Write the manifest (at most every 2 s unless ``force``)."""
        now = time.monotonic()
        if force or now - self._last > 2.0:
            self.data["items"] = dict(sorted(self.data["items"].items()))
            write_json(self.path, self.data)
            self._last = now


def previous_manifest(out, config):
    """The manifest of an earlier run in ``out`` (None if there is none).

    Raises ValueError if that run used another config (resuming would mix datasets).
    """
    path = Path(out) / "manifest.json"
    if not path.is_file():
        return None
    try:
        old = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: unreadable manifest ({err}); use a new --out folder") from None
    if old.get("config") != config_record(config):
        raise ValueError(
            f"{out} holds a dataset made with another config; use a new --out folder "
            "(or the same config to resume)")
    return old


def export_files(out):
    """{relative path: sha256} of every file in the export folders."""
    out = Path(out)
    return {str(p.relative_to(out)): sha256(p)
            for folder in EXPORT_FOLDERS if (out / folder).is_dir()
            for p in sorted((out / folder).rglob("*")) if p.is_file() and not p.name.endswith(".tmp")}


def exports_complete(out, previous):
    """True if a previous complete run (same config) recorded exports that are all still
    there with their sha256, and nothing else lies in the export folders."""
    if not previous or not previous.get("complete") or not previous.get("exports"):
        return False
    return export_files(out) == previous["exports"]


def write_retrieval_csv(out, tasks):
    """``retrieval.csv``: target -> twin."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["target", "twin"])
    for t in tasks:
        if t.role == "target" and t.twin:
            w.writerow([t.h5, t.twin])
    write_text(Path(out) / "retrieval.csv", buf.getvalue())


def write_records(out, config, tasks, rows, failures):
    """key.csv, retrieval.csv (retrieval runs), failures.json (only if any failed)."""
    out = Path(out)
    write_key_csv(out / "key.csv", rows)
    if config.run.kind == "retrieval":
        write_retrieval_csv(out, tasks)
    fail_path = out / "failures.json"
    if failures:
        write_json(fail_path, sorted(failures, key=lambda f: f["index"]))
    elif fail_path.exists():
        fail_path.unlink()
