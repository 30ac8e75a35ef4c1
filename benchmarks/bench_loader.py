"""Images per second read by ``synthstem.open_dataset``: per-file HDF5 vs the consolidated
store (one chunked HDF5 file), and, for the container alone, the store's image array vs
the same array in zarr (if zarr is installed; it is not a dependency).

    PYTHONPATH=src python3 benchmarks/bench_loader.py DATASET_DIR [--repeat 3]

Random order, one process, files in the page cache (a second pass over the same files);
prints one Markdown table row per case. Results: benchmarks/LOADER.md.
"""

import argparse
import platform
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from synthstem.loaders import open_dataset, write_store


def rate(ds, order, repeat):
    best = 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        for i in order:
            ds[int(i)]
        best = max(best, len(order) / (time.perf_counter() - t0))
    return best


class ArrayReader:
    """``ds[i]`` -> image i of an array-like (h5py dataset or zarr array)."""

    def __init__(self, array):
        self.array = array

    def __getitem__(self, i):
        return np.asarray(self.array[i])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    store = write_store(args.dataset, tmp / "store.h5")
    t_write = time.perf_counter() - t0
    files = open_dataset(args.dataset, target=None)
    n = len(files)
    order = np.random.default_rng(0).permutation(n)
    shape = files[0]["image"].shape
    print(f"{platform.processor() or platform.machine()}, {n} images {shape}, "
          f"store written in {t_write:.1f} s ({store.stat().st_size / 2**20:.1f} MiB)")
    print("| target | per-file HDF5 [img/s] | store [img/s] | ratio |")
    print("|---|---|---|---|")
    for target in (None, "columns", "all"):
        a = rate(open_dataset(args.dataset, target=target), order, args.repeat)
        b = rate(open_dataset(store, target=target), order, args.repeat)
        print(f"| {target} | {a:.0f} | {b:.0f} | x{b / a:.1f} |")
    with h5py.File(store, "r") as f:
        images = f["images"][()]
        h5 = rate(ArrayReader(h5py.File(store, "r")["images"]), order, args.repeat)
    try:
        import zarr
    except ImportError:
        print(f"images array alone: HDF5 store {h5:.0f} img/s (zarr not installed)")
        return
    for codec, name in ((None, "zarr, uncompressed"), ("default", "zarr, default compression")):
        kw = {"compressors": None} if codec is None else {}
        z = zarr.create_array(tmp / f"images-{codec}.zarr", shape=images.shape, dtype=images.dtype,
                              chunks=(1, *shape), **kw)
        z[...] = images
        zr = rate(ArrayReader(zarr.open_array(tmp / f"images-{codec}.zarr", mode="r")), order, args.repeat)
        print(f"images array alone: HDF5 store {h5:.0f} img/s, {name} {zr:.0f} img/s")


if __name__ == "__main__":
    main()
