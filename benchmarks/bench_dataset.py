"""Throughput of whole dataset runs: items per hour, per worker, and where the time goes.

    PYTHONPATH=src python3 benchmarks/bench_dataset.py [--config configs/quickstart.toml]
        [--workers 1 2] [--method prism] [--no-exports] [--out /tmp/bench]

For each worker count the config is run from scratch into a fresh folder (exports
included unless --no-exports) and the table reports wall time, items per hour, items per
hour per worker, and the share of the summed per-item worker time spent in structure
building, simulation, labels (peak maps), noise and writing (HDF5 + PNG + checksums);
'other' is the wall time outside the items (process start-up, numba cache loading,
manifest, key.csv, exports) as a share of wall time x workers.
"""

import argparse
import shutil
import time
from pathlib import Path

from synthstem.runs.config import load_config
from synthstem.runs.run import run_dataset

STAGES = ("structure", "simulate", "labels", "noise", "write")


def bench(config, out, workers):
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    report = run_dataset(config, out, workers=workers, progress=False)
    wall = time.perf_counter() - t0
    n = report.done
    busy = sum(report.timings.get(k, 0.0) for k in STAGES)
    row = {"workers": workers, "items": n, "failed": len(report.failed), "wall": wall,
           "items_per_hour": 3600 * n / wall, "per_worker": 3600 * n / wall / workers,
           "per_item_s": report.timings.get("total", 0.0) / max(n, 1)}
    for k in STAGES:
        row[k] = report.timings.get(k, 0.0) / max(busy, 1e-12)
    row["other"] = max(0.0, 1 - busy / (wall * workers))
    return row


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default=str(Path(__file__).resolve().parent.parent / "configs" / "quickstart.toml"))
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--method", default=None, help="override simulation.method")
    p.add_argument("--no-exports", action="store_true")
    p.add_argument("--out", default="/tmp/synthstem-bench")
    args = p.parse_args(argv)
    config = load_config(args.config)
    if args.method:
        config = config.model_copy(update={"simulation": config.simulation.model_copy(update={"method": args.method})})
    if args.no_exports:
        config = config.model_copy(update={"output": config.output.model_copy(
            update={"exports": [], "augment": config.output.augment.model_copy(update={"variants": 0})})})
    print(f"config {args.config}: method {config.simulation.method}, {config.simulation.pixels} px, "
          f"{config.simulation.size} A, exports {config.output.exports or 'off'}")
    print("| workers | items | wall [s] | items/h | items/h/worker | s/item (worker) | structure | simulate | labels | noise | write | other |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for w in args.workers:
        r = bench(config, Path(args.out) / f"w{w}", w)
        print(f"| {w} | {r['items']} | {r['wall']:.1f} | {r['items_per_hour']:.0f} | {r['per_worker']:.0f} | "
              f"{r['per_item_s']:.1f} | " + " | ".join(f"{100 * r[k]:.1f}%" for k in (*STAGES, "other")) + " |",
              flush=True)


if __name__ == "__main__":
    main()
