"""``open_dataset``: a map-style dataset of images and their targets, for any training loop.

It follows PyTorch's map-style protocol (``len(ds)``, ``ds[i]``) without importing torch,
so ``torch.utils.data.DataLoader(ds, batch_size=8, num_workers=2, collate_fn=collate)``
works as is; HDF5 files are opened lazily in each worker process, never pickled.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from .sources import STORE_FORMAT, FileSource, StoreSource
from .targets import elements_of, heatmaps, semantic_mask

__all__ = ["TARGETS", "ImageDataset", "open_dataset", "collate"]

#: what a sample can carry besides the image
TARGETS = ("columns", "peaks", "mask", "heatmaps", "boxes", "params")


def _targets(target):
    if target in (None, "all"):
        return TARGETS if target == "all" else ()
    chosen = (target,) if isinstance(target, str) else tuple(target)
    bad = [t for t in chosen if t not in TARGETS]
    if bad:
        raise ValueError(f"target: unknown {bad}; choose among {list(TARGETS)} or 'all'")
    return chosen


def _is_store(path):
    path = Path(path)
    if not path.is_file():
        return False
    try:
        with h5py.File(path, "r") as f:
            return f.attrs.get("format") == STORE_FORMAT
    except OSError:
        return False


class ImageDataset:
    """Images and targets of a dataset folder or store (see :func:`open_dataset`).

    Attributes
    ----------
    classes : list of str
        Column classes, sorted; class index k has semantic-mask id k + 1.
    elements : list of str
        Heatmap channels, sorted.
    names : list of str
        '<item>-<dataset>' of every sample, in order.
    """

    def __init__(self, source, indices, target, classes, radius_angstrom, heatmap_sigma_angstrom,
                 transform):
        self._source, self._indices = source, list(indices)
        self.target = _targets(target)
        self.classes = sorted(source.classes if classes is None else classes)
        self.elements = sorted({e for c in self.classes for e in elements_of(c)})
        self._class_index = {c: k for k, c in enumerate(self.classes)}
        for value, key in ((radius_angstrom, "radius_angstrom"), (heatmap_sigma_angstrom, "heatmap_sigma_angstrom")):
            if not (isinstance(value, (int, float)) and value > 0):
                raise ValueError(f"{key} must be a positive number [Angstrom], got {value!r}")
        self.radius_angstrom, self.heatmap_sigma_angstrom = float(radius_angstrom), float(heatmap_sigma_angstrom)
        self.transform = transform
        need = {"columns": "columns", "mask": "columns", "heatmaps": "columns", "peaks": "peaks",
                "boxes": "boxes", "params": "params"}
        self._parts = ("image", *sorted({need[t] for t in self.target}))

    @property
    def names(self):
        return [self._source.name(i) for i in self._indices]

    def __len__(self):
        return len(self._indices)

    def __getitem__(self, i):
        if not isinstance(i, (int, np.integer)):
            raise TypeError(f"index must be an integer, got {type(i).__name__}")
        n = len(self._indices)
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for {n} images")
        t = self._source.read(self._indices[int(i)], self._parts)
        sample = {"image": np.asarray(t["image"], dtype=np.float32), "name": f"{t['item']}-{t['condition']}",
                  "item": t["item"], "condition": t["condition"], "pixel_size": t["pixel_size"]}
        unknown = sorted(set(t["labels"]) - set(self._class_index))
        if unknown and any(k in self.target for k in ("columns", "mask")):
            raise ValueError(f"{sample['name']}: column classes {unknown} not in classes={self.classes}")
        px = t["pixel_size"] or 1.0
        if "columns" in self.target:
            sample["xy"] = t["xy"].astype(np.float32)
            sample["labels"] = list(t["labels"])
            sample["classes"] = np.array([self._class_index[c] for c in t["labels"]], dtype=np.int64)
        if "peaks" in self.target:
            pm = t["peak_map"]
            sample["peak_map"] = np.zeros(t["shape"], bool) if pm is None else np.asarray(pm, bool)
        if "mask" in self.target:
            ids = [self._class_index[c] + 1 for c in t["labels"]]
            sample["mask"] = semantic_mask(t["xy"], ids, t["shape"], self.radius_angstrom / px)
        if "heatmaps" in self.target:
            sample["heatmaps"] = heatmaps(t["xy"], t["labels"], t["shape"],
                                          self.heatmap_sigma_angstrom / px, self.elements)
        if "boxes" in self.target:
            sample["boxes"] = t["boxes"].astype(np.float32)
        if "params" in self.target:
            sample["params"] = t["params"]
        return self.transform(sample) if self.transform is not None else sample

    def close(self):
        """Close this process's open files (they reopen on the next read)."""
        self._source.close()


def open_dataset(path, conditions=None, target="all", classes=None, radius_angstrom=0.5,
                 heatmap_sigma_angstrom=0.25, transform=None, subset=None):
    """Open a dataset folder or a store (:func:`write_store`) as a map-style dataset.

    Parameters
    ----------
    path : path
        A dataset folder (item files in ``items/``, ``targets/``, ``choices/``) or a store file.
    conditions : str or sequence of str, optional
        Images to use: dataset names ('stem00-clean', 'raw') or conditions ('clean', 'comb1').
        Default: every image of every item except 'raw'. An unknown name is an error.
    target : 'all', None, str or sequence of str
        Targets per sample among :data:`TARGETS`: 'columns' ('xy' (M, 2) float32 [px],
        'labels', 'classes' (M,) int64 index into ``classes``), 'peaks' ('peak_map' (H, W)
        bool), 'mask' ((H, W) int64, class index + 1, 0 background), 'heatmaps'
        ((len(elements), H, W) float32), 'boxes' ((K, 4) float32 defect boxes [x, y, w, h],
        top-left origin), 'params' (dict). None: the image only.
    classes : sequence of str, optional
        Column classes (default: every class found in the dataset, sorted).
    radius_angstrom, heatmap_sigma_angstrom : float
        Disc radius of the semantic mask and Gaussian sigma of the heatmaps [Angstrom].
    transform : callable, optional
        Applied to each sample dict.
    subset : {'items', 'targets', 'choices'}, optional
        Only the item files of this sub-folder of a dataset folder (retrieval runs have
        'targets' and 'choices'); default all.

    Returns
    -------
    ImageDataset
        ``ds[i]`` is a dict with 'image' ((H, W) float32), 'name', 'item', 'condition',
        'pixel_size' [Angstrom] and the chosen targets.
    """
    if _is_store(path):
        if subset is not None:
            raise ValueError("subset: applies to dataset folders, not stores")
        source = StoreSource(path)
        indices = source.select(conditions)
        if not indices:
            raise ValueError(f"no image of store {path} matches conditions={conditions}")
    elif Path(path).is_file():
        raise ValueError(f"path: {path} is a file but not a synthstem store (write one with write_store)")
    else:
        source = FileSource(path, conditions, subset)
        indices = range(len(source))
    return ImageDataset(source, indices, target, classes, radius_angstrom, heatmap_sigma_angstrom,
                        transform)


def collate(samples):
    """Batch a list of samples: equal-shape arrays stacked, everything else in lists.

    Use as ``DataLoader(..., collate_fn=collate)``: column and box arrays differ in length
    between images, so they stay lists of arrays.
    """
    out = {}
    for key in samples[0]:
        values = [s[key] for s in samples]
        if (isinstance(values[0], np.ndarray) and key not in ("xy", "labels", "classes", "boxes")
                and all(v.shape == values[0].shape for v in values)):
            out[key] = np.stack(values)
        else:
            out[key] = values
    return out
