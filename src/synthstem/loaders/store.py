"""A dataset consolidated into one chunked HDF5 file, read by the same loader.

Layout (N images of one shape (H, W), in the order of ``open_dataset(dataset_dir)``)::

    attrs  format='synthstem-store', version=1, classes (JSON list), source (the folder)
    images        float32 (N, H, W), chunks (1, H, W): one chunk per image
    peak_maps     bool    (N, H, W), chunks (1, H, W); has_peak_map bool (N,)
    names, items, conditions   str (N,)   '<item>-<dataset>', '<item>', '<dataset>'
    pixel_size    float64 (N,) [Angstrom] (NaN if unknown); defect_level int (N,)
    params        str (N,)  JSON of the image's 'params' (attrs, item, seed, noise)
    xy (C, 2) float64, labels (C,) str, column_offsets (N + 1,)   columns of image i:
                  rows column_offsets[i]:column_offsets[i + 1]
    boxes (B, 4) float64, box_offsets (N + 1,)                    the same for defect boxes

One chunk per image because a loader reads whole images at random; the measured read
speeds (benchmarks/LOADER.md) chose this over per-file HDF5 and zarr.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from synthstem.io.files import atomic_path

from .sources import STORE_FORMAT, FileSource

__all__ = ["write_store"]

_STR = h5py.string_dtype("utf-8")


def write_store(dataset_dir, path, conditions=None, compression=None, *, source=None):
    """Consolidate the images and truth of a dataset folder into one HDF5 file.

    Parameters
    ----------
    dataset_dir : path
        A dataset folder (``items/``, or ``targets/`` and ``choices/``).
    path : path
        The store to write (replaced atomically: written under a temporary name first).
    conditions : sequence of str, optional
        Images to keep, as for :func:`open_dataset` (default every image but 'raw').
    compression : None or 'gzip' or 'lzf'
        Chunk compression (None: fastest reads, see benchmarks/LOADER.md).
    source : str, optional
        The ``source`` attribute (default: the absolute dataset folder; the 'store' export
        records '..', the folder above ``annotations/``, so that its bytes do not depend on
        where the dataset lies).

    Returns
    -------
    pathlib.Path of the store.
    """
    if compression not in (None, "gzip", "lzf"):
        raise ValueError(f"compression must be None, 'gzip' or 'lzf', got {compression!r}")
    origin = str(Path(dataset_dir).resolve()) if source is None else str(source)
    source = FileSource(dataset_dir, conditions)
    n = len(source)
    first = source.read(0)
    shape = first["shape"]
    path = Path(path)
    xy, labels, boxes, col_off, box_off = [], [], [], [0], [0]
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = STORE_FORMAT
        f.attrs["version"] = 1
        f.attrs["classes"] = json.dumps(source.classes)
        f.attrs["source"] = origin
        images = f.create_dataset("images", (n, *shape), np.float32, chunks=(1, *shape),
                                  compression=compression)
        peaks = f.create_dataset("peak_maps", (n, *shape), bool, chunks=(1, *shape),
                                 compression=compression)
        has_peaks = np.zeros(n, bool)
        size = np.full(n, np.nan)
        level = np.zeros(n, np.int64)
        params = []
        for i in range(n):
            t = first if i == 0 else source.read(i)
            if t["shape"] != shape:
                raise ValueError(f"image {source.name(i)} has shape {t['shape']}, the store's "
                                 f"first image {shape}: a store holds images of one shape")
            images[i] = t["image"]
            if t["peak_map"] is not None:
                peaks[i] = t["peak_map"]
                has_peaks[i] = True
            size[i] = t["pixel_size"] if t["pixel_size"] is not None else np.nan
            level[i] = t["defect_level"]
            params.append(json.dumps(t["params"], sort_keys=True))
            xy.append(t["xy"])
            labels.extend(t["labels"])
            col_off.append(col_off[-1] + len(t["xy"]))
            boxes.append(t["boxes"])
            box_off.append(box_off[-1] + len(t["boxes"]))
        source.close()
        names = [source.name(i) for i in range(n)]
        f.create_dataset("names", data=np.array(names, dtype=object), dtype=_STR)
        stems = [Path(source.paths[k]).stem for k, _ in source.index]
        f.create_dataset("items", data=np.array(stems, dtype=object), dtype=_STR)
        f.create_dataset("conditions", data=np.array([d for _, d in source.index], dtype=object),
                         dtype=_STR)
        f.create_dataset("has_peak_map", data=has_peaks)
        f.create_dataset("pixel_size", data=size)
        f.create_dataset("defect_level", data=level)
        f.create_dataset("params", data=np.array(params, dtype=object), dtype=_STR)
        f.create_dataset("xy", data=np.concatenate(xy).reshape(-1, 2))
        f.create_dataset("labels", data=np.array(labels, dtype=object), dtype=_STR)
        f.create_dataset("column_offsets", data=np.asarray(col_off, np.int64))
        f.create_dataset("boxes", data=np.concatenate(boxes).reshape(-1, 4))
        f.create_dataset("box_offsets", data=np.asarray(box_off, np.int64))
    return path
