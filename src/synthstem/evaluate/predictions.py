"""Reading prediction files and the truth of the images they name.

Predictions are JSON objects keyed by image name ``<item>-<dataset>`` (a trailing '.png'
is allowed, as in the box export), e.g. ``{"000001.000001-stem00-clean": [[x, y, "Sr"], ...]}``.
Every malformed entry is a ``ValueError`` naming the file, image and entry.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import h5py

from synthstem.loaders.sources import ITEM_FOLDERS
from synthstem.loaders.truth import read_truth

__all__ = ["load_json", "image_key", "TruthReader"]


def load_json(path, what="PRED"):
    """A JSON object from ``path`` (or the dict itself)."""
    if isinstance(path, dict):
        return path
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what}: no file {path}")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{what} {path}: not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{what} {path}: expected a JSON object keyed by image name, got {type(data).__name__}")
    return data


def image_key(name):
    """'<item>-<dataset>[.png]' -> ('<item>', '<dataset>')."""
    stem = str(name)[:-4] if str(name).endswith(".png") else str(name)
    item, sep, dataset = stem.partition("-")
    if not sep or not item or not dataset:
        raise ValueError(f"image name {name!r} is not '<item>-<dataset>' (e.g. '000001.000001-stem00-clean')")
    return item, dataset


def number(value, where):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


class TruthReader:
    """Truth of images of a dataset folder by name (files opened on demand)."""

    def __init__(self, dataset_dir):
        self.root = Path(dataset_dir)
        if not self.root.is_dir():
            raise FileNotFoundError(f"--truth: dataset folder not found: {self.root}")
        self._files = {p.stem: p for sub in ITEM_FOLDERS for p in (self.root / sub).glob("*.h5")}
        if not self._files:
            raise FileNotFoundError(f"--truth: no item files under {self.root}/{{{','.join(ITEM_FOLDERS)}}}")

    def read(self, name):
        item, dataset = image_key(name)
        path = self._files.get(item)
        if path is None:
            raise ValueError(f"image {name!r}: no item {item!r} in {self.root}")
        with h5py.File(path, "r") as f:
            if dataset not in f["haadf"] or dataset.startswith("peak_map_"):
                raise ValueError(f"image {name!r}: item {item} has no image {dataset!r}")
            return read_truth(f, dataset, image=False)
