"""The same dataset config made by two code versions, interleaved in one run.

    python3 benchmarks/bench_dataset_versions.py --other /work/baseline/tree/src \
        --config benchmarks/general-4items.toml --workers 2 --rounds 2 --out /tmp/dsv

Each round runs ``synthstem run CONFIG --out DIR --workers W --no-progress --no-preview``
once with ``--other``'s code (PYTHONPATH) and once with this tree's ``src``, alternating
which goes first, each in a fresh subprocess and a fresh folder. Reported per run: wall
time, CPU time of the run and its worker processes (``RUSAGE_CHILDREN``), items/h, and
the load average before. This tree's run gets ``--extra KEY=VALUE`` lines appended to the
config's ``[simulation]`` table (e.g. ``preset="fast"`` so that it computes exactly what
v0.1 did). At the end the first round's two datasets are compared with
``benchmarks/compare_datasets.py`` (images and every HDF5 dataset).
"""

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def _config_with(config, extra, out):
    """A copy of ``config`` with ``extra`` lines inserted after its ``[simulation]`` line."""
    text = Path(config).read_text()
    if extra:
        lines = text.splitlines()
        at = lines.index("[simulation]") + 1
        text = "\n".join(lines[:at] + list(extra) + lines[at:]) + "\n"
    out.write_text(text)
    return out


def _run(src, config, out, workers):
    if out.exists():
        shutil.rmtree(out)
    env = dict(os.environ, PYTHONPATH=str(src))
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "synthstem.cli", "run", str(config), "--out",
                           str(out), "--workers", str(workers), "--no-progress", "--no-preview"],
                          env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"{src}: run failed (exit {proc.returncode}): {proc.stderr.strip()[-400:]}")
    items = len(list(out.rglob("*.h5")))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "items": items, "load": load}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--other", required=True, help="src folder of the other version")
    ap.add_argument("--config", required=True)
    ap.add_argument("--extra", nargs="*", default=[],
                    help="lines added to [simulation] for this tree only")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench_dataset_versions"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    cfg_other = _config_with(args.config, [], args.out / "other.toml")
    cfg_this = _config_with(args.config, args.extra, args.out / "this.toml")
    print(f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} CPUs; "
          f"config {args.config} (+ {args.extra} for this tree), --workers {args.workers}")
    print("| round | code | load before | items | wall [s] | CPU [s] | items/h | CPU [s/item] |")
    print("|---|---|---|---|---|---|---|---|")
    rows = {"other": [], "this": []}
    for r in range(args.rounds):
        order = [("other", args.other, cfg_other), ("this", SRC, cfg_this)]
        for name, src, cfg in (order if r % 2 == 0 else order[::-1]):
            res = _run(src, cfg, args.out / f"{name}{r}", args.workers)
            rows[name].append(res)
            print(f"| {r} | {name} | {res['load']:.1f} | {res['items']} | {res['wall']:.1f} | "
                  f"{res['cpu']:.1f} | {3600 * res['items'] / res['wall']:.0f} | "
                  f"{res['cpu'] / max(res['items'], 1):.1f} |", flush=True)
    for key in ("wall", "cpu"):
        a = sorted(x[key] for x in rows["other"])
        b = sorted(x[key] for x in rows["this"])
        print(f"median {key}: other {a[len(a) // 2]:.1f} s, this {b[len(b) // 2]:.1f} s, "
              f"ratio x{a[len(a) // 2] / b[len(b) // 2]:.2f}")
    cmp = subprocess.run([sys.executable, str(HERE / "compare_datasets.py"),
                          str(args.out / "other0"), str(args.out / "this0")],
                         env=dict(os.environ, PYTHONPATH=str(SRC)), capture_output=True, text=True)
    print("compare_datasets.py other0 this0 (exit %d):" % cmp.returncode)
    print("\n".join(cmp.stdout.strip().splitlines()[-12:]))


if __name__ == "__main__":
    main()
