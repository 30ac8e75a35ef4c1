"""Dataset-default item, this tree against another (today's main), interleaved in one run.

Item: SrTiO3 [001] as a 26 Angstrom cube (``synthstem.commands.bench.srtio3_cube``),
256 x 256 pixels, PRISM f = 4, 8 frozen-phonon configurations (seed 1), 200 kV, 20 mrad,
100-150 mrad, with ``--preset fast`` (default: ``FAST``, infinite projection, 2 Angstrom
slices, detector-rule sampling: the settings of ``configs/atomagined-general.toml``) or
``--preset default`` (``simulate``'s converged defaults: finite projection, 0.25 Angstrom
slices, sampling <= 0.035 Angstrom; use ``--phonons 1`` or 2, it costs ~15x more).

Each run is its own subprocess (own peak RSS), after a warm-up on a one-unit-cell crystal
(numba caches loaded, not timed). Runs of the variants are interleaved (A B C A B C ...)
so that the load of a shared machine hits them alike; the table gives the median and
the spread of the wall time and the median process CPU time (all threads; on a loaded
machine the wall time mostly measures the scheduler, the CPU time the work). The images
of every variant are compared with the first one's.

Usage::

    python3 benchmarks/bench_phonons.py --other /work/baseline/tree/src --repeat 2
    python3 benchmarks/bench_phonons.py --other /path/src --preset default --phonons 2 \
        --variants main:default,new:default
    python3 benchmarks/bench_phonons.py --other /path/src --variants main:default,new:2 \
        --json out.json

A variant is ``tree:threads[:fft]`` with tree ``main`` (``--other``) or ``new`` (this
tree), threads ``default`` (what a dataset run passes: nothing) or a number, fft
``scipy`` (default) or ``fftw`` (this tree only).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CASE = r"""
import json, resource, sys, time
import numpy as np
from synthstem.commands.bench import srtio3_cube
from synthstem.physics.simulate import FAST, simulate
threads = {threads!r}
kw = {{}} if threads == "default" else {{"workers": int(threads)}}
if {preset!r} == "fast":
    kw.update(FAST)
simulate(srtio3_cube(3.905), pixels=16, method="prism", interpolation=2, phonons=1, seed=0, **kw)
atoms = srtio3_cube({size})
t = time.perf_counter()
c = time.process_time()
r = simulate(atoms, pixels={pixels}, method="prism", interpolation=4, phonons={phonons},
             seed=1, **kw)
dt = time.perf_counter() - t
cpu = time.process_time() - c
np.save({out!r}, r.image)
print("RESULT " + json.dumps(dict(seconds=dt, cpu_seconds=cpu, timings=r.timings,
      peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
      mean=float(r.image.mean()), backend=r.params.get("backend"))))
"""


def machine():
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpus": cpus, "cpu": model, "python": platform.python_version(),
            "numpy": np.__version__, "load_average": load}


def run_case(src, threads, fft, args, out):
    env = dict(os.environ, PYTHONPATH=str(src), SYNTHSTEM_FFT=fft)
    code = CASE.format(threads=threads, size=args.size, pixels=args.pixels,
                       phonons=args.phonons, preset=args.preset, out=str(out))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"case failed ({src}, {threads}):\n{proc.stderr[-2000:]}")


def ncc(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--other", required=True, help="src folder of the tree to compare with")
    p.add_argument("--this", default=str(ROOT / "src"), help="src folder of 'new'")
    p.add_argument("--variants", default="main:default,new:default,main:2,new:2")
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--size", type=float, default=26.0)
    p.add_argument("--pixels", type=int, default=256)
    p.add_argument("--phonons", type=int, default=8)
    p.add_argument("--preset", choices=("fast", "default"), default="fast",
                   help="fast: FAST (the atomagined config's); default: converged defaults")
    p.add_argument("--json")
    args = p.parse_args(argv)
    variants = []
    for v in args.variants.split(","):
        tree, threads, *fft = v.split(":")
        if tree not in ("main", "new"):
            raise SystemExit(f"--variants: tree must be main or new, got {tree!r}")
        variants.append((v, Path(args.this) if tree == "new" else Path(args.other), threads,
                         fft[0] if fft else "scipy"))
    print("machine:", json.dumps(machine()))
    results = {v[0]: [] for v in variants}
    with tempfile.TemporaryDirectory() as tmp:
        images = {}
        for rep in range(args.repeat):
            for name, src, threads, fft in variants:
                out = Path(tmp) / f"{name.replace(':', '_')}.npy"
                r = run_case(src, threads, fft, args, out)
                images[name] = np.load(out)
                results[name].append(r)
                print(f"  run {rep + 1} {name:>16}: {r['seconds']:7.1f} s wall, "
                      f"{r['cpu_seconds']:6.1f} s CPU "
                      f"(peak RSS {r['peak_rss_mib']:.0f} MiB, load {os.getloadavg()[0]:.1f})",
                      flush=True)
        ref = variants[0][0]
        print(f"\n| variant | median wall [s] | runs [s] | wall speed-up | median CPU [s] | "
              f"CPU speed-up | peak RSS [MiB] | NCC vs {ref} | max rel diff |")
        print("|---|---|---|---|---|---|---|---|---|")
        t_ref = np.median([r["seconds"] for r in results[ref]])
        c_ref = np.median([r["cpu_seconds"] for r in results[ref]])
        summary = {}
        for name, *_ in variants:
            ts = [r["seconds"] for r in results[name]]
            a, b = images[name], images[ref]
            rel = float(np.abs(a - b).max() / np.abs(b).max())
            med = float(np.median(ts))
            cpu = float(np.median([r["cpu_seconds"] for r in results[name]]))
            summary[name] = {"median_s": med, "runs_s": ts, "speedup": float(t_ref / med),
                             "median_cpu_s": cpu, "cpu_speedup": float(c_ref / cpu),
                             "peak_rss_mib": max(r["peak_rss_mib"] for r in results[name]),
                             "ncc": ncc(a, b), "max_rel_diff": rel,
                             "timings": results[name][-1]["timings"]}
            print(f"| {name} | {med:.1f} | {', '.join(f'{t:.1f}' for t in ts)} | "
                  f"{t_ref / med:.2f} | {cpu:.1f} | {c_ref / cpu:.2f} | "
                  f"{summary[name]['peak_rss_mib']:.0f} | "
                  f"{ncc(a, b):.7f} | {rel:.1e} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "args": vars(args),
                                               "results": summary}, indent=1))


if __name__ == "__main__":
    main()
