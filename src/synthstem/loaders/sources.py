"""Where a loader's images come from: the item files of a dataset folder, or one store.

A source is a picklable list of images; ``source.read(i)`` returns the truth dict of
:func:`synthstem.loaders.truth.read_truth`. HDF5 handles are opened lazily, cached per
process (a forked or spawned DataLoader worker opens its own) and never pickled.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import numpy as np

from .truth import PARTS, condition_suffix, image_names, read_truth

__all__ = ["ITEM_FOLDERS", "find_items", "FileSource", "StoreSource", "STORE_FORMAT"]

#: sub-folders holding item files: general runs, retrieval targets and choices
ITEM_FOLDERS = ("items", "targets", "choices")
STORE_FORMAT = "synthstem-store"


def find_items(dataset_dir, subset=None):
    """Sorted item files of a dataset folder (``items/``, ``targets/``, ``choices/``, or
    only the sub-folder ``subset``)."""
    root = Path(dataset_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"dataset folder not found: {root}")
    if subset is not None and subset not in ITEM_FOLDERS:
        raise ValueError(f"subset must be one of {list(ITEM_FOLDERS)} or None, got {subset!r}")
    folders = ITEM_FOLDERS if subset is None else (subset,)
    files = sorted(p for sub in folders for p in (root / sub).glob("*.h5"))
    if not files:
        raise FileNotFoundError(f"no item files (*.h5) under {root}/{{{','.join(folders)}}}")
    return files


def _select(available, conditions):
    """Dataset names of one item matching ``conditions`` (None: every image but 'raw')."""
    if conditions is None:
        return [d for d in available if d != "raw"]
    return [d for d in available if d in conditions or condition_suffix(d) in conditions]


def _labels_of(f):
    ours = f.get("synthstem")
    if ours is None:
        return {"column"}
    out = set()
    for key in ("columns", "columns_dfct1", "columns_dfct2"):
        if key in ours:
            out.update(s.decode() if isinstance(s, bytes) else str(s) for s in ours[key]["label"][()])
    return out


class _Handles:
    """Per-process cache of open read-only h5py files (dropped when pickled)."""

    def __init__(self):
        self._pid, self._files = None, {}

    def get(self, path):
        if self._pid != os.getpid():  # a new (forked) process: never reuse the parent's handles
            self._pid, self._files = os.getpid(), {}
        f = self._files.get(path)
        if f is None:
            f = self._files[path] = h5py.File(path, "r")
        return f

    def close(self):
        if self._pid == os.getpid():
            for f in self._files.values():
                f.close()
        self._files = {}

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self._pid, self._files = None, {}


class FileSource:
    """The images of the item files of a dataset folder."""

    def __init__(self, dataset_dir, conditions=None, subset=None):
        if conditions is not None:
            conditions = [conditions] if isinstance(conditions, str) else list(conditions)
        self.paths = [str(p) for p in find_items(dataset_dir, subset)]
        self.index, classes, seen = [], set(), set()
        for k, path in enumerate(self.paths):
            with h5py.File(path, "r") as f:
                names = image_names(f)
                chosen = _select(names, conditions)
                self.index.extend((k, d) for d in chosen)
                seen.update(names)
                seen.update(condition_suffix(d) for d in names)
                classes |= _labels_of(f)
        missing = [c for c in conditions or [] if c not in seen]
        if missing:
            raise ValueError(f"conditions: {missing} not in any item of {dataset_dir}")
        if not self.index:
            raise ValueError(f"no image of {dataset_dir} matches conditions={conditions}")
        self.classes = sorted(classes)
        self._handles = _Handles()

    def __len__(self):
        return len(self.index)

    def name(self, i):
        k, dataset = self.index[i]
        return f"{Path(self.paths[k]).stem}-{dataset}"

    def read(self, i, parts=PARTS):
        k, dataset = self.index[i]
        out = read_truth(self._handles.get(self.paths[k]), dataset, parts=parts)
        out.update(item=Path(self.paths[k]).stem, condition=dataset)
        return out

    def close(self):
        self._handles.close()


class StoreSource:
    """The images of a consolidated store written by :func:`synthstem.loaders.write_store`."""

    def __init__(self, path):
        self.path = str(path)
        if not Path(path).is_file():
            raise FileNotFoundError(f"store not found: {path}")
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != STORE_FORMAT:
                raise ValueError(f"{path}: not a synthstem store (format attribute "
                                 f"{f.attrs.get('format')!r}, expected {STORE_FORMAT!r})")
            self.names = [s.decode() for s in f["names"][()]]
            self.items = [s.decode() for s in f["items"][()]]
            self.conditions = [s.decode() for s in f["conditions"][()]]
            self.classes = json.loads(f.attrs["classes"])
            # small per-image tables, kept in memory (and pickled: a few numbers per image)
            self._meta = {k: f[k][()] for k in ("column_offsets", "box_offsets", "has_peak_map",
                                                "pixel_size", "defect_level")}
            self.shape = tuple(f["images"].shape[1:])
        self._handles = _Handles()

    def __len__(self):
        return len(self.names)

    def name(self, i):
        return self.names[i]

    def select(self, conditions):
        """Indices of the stored images matching ``conditions`` (None: all but 'raw')."""
        if conditions is not None:
            conditions = [conditions] if isinstance(conditions, str) else list(conditions)
            known = set(self.conditions) | {condition_suffix(c) for c in self.conditions}
            missing = [c for c in conditions if c not in known]
            if missing:
                raise ValueError(f"conditions: {missing} not in store {self.path}")
        return [i for i, c in enumerate(self.conditions) if _select([c], conditions)]

    def read(self, i, parts=PARTS):
        f, m = self._handles.get(self.path), self._meta
        c0, c1 = m["column_offsets"][i:i + 2]
        b0, b1 = m["box_offsets"][i:i + 2]
        size = float(m["pixel_size"][i])
        columns = "columns" in parts and c1 > c0
        return {"image": f["images"][i] if "image" in parts else None, "shape": self.shape,
                "xy": f["xy"][c0:c1].astype(np.float64) if columns else np.zeros((0, 2)),
                "labels": [s.decode() for s in f["labels"][c0:c1]] if columns else [],
                "peak_map": f["peak_maps"][i] if "peaks" in parts and m["has_peak_map"][i] else None,
                "boxes": f["boxes"][b0:b1].astype(np.float64) if "boxes" in parts and b1 > b0 else np.zeros((0, 4)),
                "pixel_size": size if np.isfinite(size) else None,
                "defect_level": int(m["defect_level"][i]),
                "params": json.loads(f["params"][i]) if "params" in parts else {},
                "item": self.items[i], "condition": self.conditions[i]}

    def close(self):
        self._handles.close()
