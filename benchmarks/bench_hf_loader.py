"""Rows and load time of the 'hf' Parquet export read by Hugging Face ``datasets`` vs
``synthstem.open_dataset`` over the item files and over the store, on the same images.

    PYTHONPATH=src python3 benchmarks/bench_hf_loader.py DATASET_DIR [--repeat 3]

The dataset's items are copied to a temporary folder and exported there ('hf' and 'store')
with every image but 'raw', so the Parquet rows are exactly ``open_dataset``'s samples.
Measured, best of ``--repeat``: opening (``load_dataset("parquet", ...)`` with an empty
cache, which converts the Parquet files to its Arrow cache, then with the cache filled;
``open_dataset``), and reading every sample in random order, image and columns
(``with_format("numpy")`` on image_float32 / points / classes; ``target="columns"``).
Prints Markdown. Results: benchmarks/LOADER.md.
"""

import argparse
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from synthstem.exports import export_dataset
from synthstem.exports.dataset import find_items
from synthstem.io.hdf5 import read_item
from synthstem.loaders import open_dataset


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def read_all(ds, order):
    for i in order:
        ds[int(i)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import datasets

    datasets.disable_progress_bars()
    tmp = Path(tempfile.mkdtemp())
    src = Path(args.dataset)
    shutil.copytree(src / "items", tmp / "items")
    conditions = sorted(read_item(find_items(tmp)[0]).images)
    t0 = time.perf_counter()
    report = export_dataset(tmp, exports=["hf", "store"], image_condition=conditions)
    t_export = time.perf_counter() - t0
    data_dir = tmp / "annotations" / "hf" / "data"
    size = sum(p.stat().st_size for p in data_dir.glob("*.parquet")) / 2**20
    n = report["n_images"]
    order = np.random.default_rng(0).permutation(n)

    counter = iter(range(10**6))

    def hf_cold():
        return datasets.load_dataset("parquet", data_dir=str(data_dir), split="train",
                                     cache_dir=str(tmp / f"cache{next(counter)}"))

    def hf_warm():
        return datasets.load_dataset("parquet", data_dir=str(data_dir), split="train", cache_dir=str(tmp / "cache0"))

    t_cold, t_warm = best(hf_cold, args.repeat), best(hf_warm, args.repeat)
    hf = hf_warm()
    assert hf.num_rows == n
    cols = hf.select_columns(["image_float32", "points_x", "points_y", "points_class_id"]).with_format("numpy")
    files = open_dataset(tmp, conditions=conditions, target="columns")
    store = open_dataset(tmp / "annotations" / "store.h5", conditions=conditions, target="columns")
    assert len(files) == len(store) == n
    t_open_files = best(lambda: open_dataset(tmp, conditions=conditions, target="columns"), args.repeat)
    t_open_store = best(lambda: open_dataset(tmp / "annotations" / "store.h5", conditions=conditions,
                                             target="columns"), args.repeat)
    r_hf = n / best(lambda: read_all(cols, order), args.repeat)
    r_files = n / best(lambda: read_all(files, order), args.repeat)
    r_store = n / best(lambda: read_all(store, order), args.repeat)
    print(f"{platform.machine()}, {report['n_items']} items, {n} rows / images {files[0]['image'].shape}, "
          f"hf export (+ store) written in {t_export:.1f} s, Parquet {size:.1f} MiB, datasets {datasets.__version__}")
    print("| loader | rows | open [s] | read image + columns [img/s] |")
    print("|---|---|---|---|")
    print(f"| `datasets.load_dataset('parquet')`, empty cache | {hf.num_rows} | {t_cold:.3f} | |")
    print(f"| `datasets.load_dataset('parquet')`, cache filled | {hf.num_rows} | {t_warm:.3f} | {r_hf:.0f} |")
    print(f"| `open_dataset(folder)` (item files) | {len(files)} | {t_open_files:.3f} | {r_files:.0f} |")
    print(f"| `open_dataset(store.h5)` | {len(store)} | {t_open_store:.3f} | {r_store:.0f} |")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
