"""Benchmark of synthstem.simulate on the standard case, optionally against abTEM.

Standard case: SrTiO3 [001] cut as a 25 Angstrom cube (1315 atoms, as an OrientedCell),
200 kV, 20 mrad, HAADF 100-150 mrad, 256 x 256 pixels, 2 Angstrom slices (13 slices).

Every case runs in its own subprocess so that its peak resident memory (ru_maxrss) is its
own. Inside a case: a warm-up on a one-unit-cell crystal with a fresh NUMBA_CACHE_DIR
measures numba compilation (first minus second warm-up), then the standard case is
timed (best of --repeat), with the breakdown from ``SimulationResult.timings``.

abTEM (optional, not a dependency): if ``--abtem-python`` points to a Python with abTEM
installed (default: this interpreter if it imports abtem), the same case runs with
abTEM's PRISM (same potential grid, slice count, scan grid, Lobato, infinite projection,
threaded dask scheduler with 2 workers) and the script prints the time ratio and the
normalised cross-correlation (NCC) of the two images, both Fourier-interpolated to the
same output grid.

Usage::

    python3 benchmarks/bench_simulate.py                      # everything (~15 min, 2 cores)
    python3 benchmarks/bench_simulate.py --methods prism4,prism8 --abtem-python /path/python
    python3 benchmarks/bench_simulate.py --json results.json
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from synthstem.physics.simulate import FAST  # noqa: E402

# the timed case runs simulate(**FAST) (the v0.1 settings: 2 A slices, infinite projection as
# abTEM's default, detector-rule sampling) so that timings compare with abTEM and earlier runs
CASE = dict(size=25.0, pixels=256, energy=200e3, convergence=20.0, detector=(100.0, 150.0),
            slice_thickness=FAST["slice_thickness"])

_SYNTHSTEM_CASE = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, {src!r})
t0 = time.perf_counter()
from synthstem.commands.bench import srtio3_cube, LATTICE
from synthstem.physics.simulate import FAST, simulate
tiny = srtio3_cube(LATTICE)
def warm():
    t = time.perf_counter()
    simulate(tiny, pixels=16, method={method!r}, interpolation=min({f}, 2), workers={workers},
             **FAST)
    return time.perf_counter() - t
w1 = warm(); w2 = warm()
atoms = srtio3_cube({size})
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
best = None
for _ in range({repeat}):
    t = time.perf_counter()
    c = time.process_time()
    r = simulate(atoms, pixels={pixels}, method={method!r}, interpolation={f},
                 workers={workers}, phonons={phonons}, seed=1, **FAST)
    dt = time.perf_counter() - t
    if best is None or dt < best[0]:
        best = (dt, r, time.process_time() - c)
dt, r, cpu = best
np.save({out!r}, r.image)
print("RESULT " + json.dumps(dict(
    seconds=dt, cpu_seconds=cpu, compile_s=max(w1 - w2, 0.0), timings=r.timings,
    peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    rss_before_mib=rss0, mean=float(r.image.mean()), max=float(r.image.max()),
    gpts=r.params["gpts"], scan_gpts=r.params["scan_gpts"],
    n_beams=r.params.get("n_beams"), smatrix_mib=(r.params.get("smatrix_bytes") or 0) / 2**20)))
"""

_ABTEM_CASE = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, {src!r})
from synthstem.commands.bench import srtio3_cube
import abtem, dask
dask.config.set(scheduler="threads", num_workers={workers})
abtem.config.set({{"device": "cpu"}})
atoms = srtio3_cube({size})
if {phonons}:
    atoms = abtem.FrozenPhonons(atoms, num_configs={phonons}, sigmas=0.08, seed=1)
def run():
    pot = abtem.Potential(atoms, gpts={gpts}, slice_thickness={dz}, parametrization="lobato",
                          projection="infinite")
    sm = abtem.SMatrix(potential=pot, energy={energy}, semiangle_cutoff={convergence},
                       interpolation={f})
    scan = abtem.GridScan(start=(0, 0), end=({size}, {size}), gpts={scan}, endpoint=False)
    det = abtem.AnnularDetector(inner={inner}, outer={outer})
    return sm.scan(scan=scan, detectors=det).compute(progress_bar=False)
t = time.perf_counter(); run(); first = time.perf_counter() - t
best = None
for _ in range({repeat}):
    t = time.perf_counter()
    c = time.process_time()
    m = run()
    dt = time.perf_counter() - t
    if best is None or dt < best[0]:
        best = (dt, time.process_time() - c)
best, cpu = best
np.save({out!r}, np.asarray(m.array, dtype=np.float64))
print("RESULT " + json.dumps(dict(seconds=best, cpu_seconds=cpu, first_s=first,
    version=abtem.__version__,
    peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def machine():
    """CPUs of this process, CPU model, load average, versions."""
    import platform

    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "") if Path("/proc/cpuinfo").exists() else ""
    return {"cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(), "cpu": model, "load_average": list(os.getloadavg()),
            "python": platform.python_version(), "numpy": np.__version__}


def _run(python, code, env=None):
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"case failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def ncc(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def _has_abtem(python):
    return subprocess.run([python, "-c", "import abtem"], capture_output=True).returncode == 0


def phonon_study(configs=(0, 1, 2, 4, 8, 16), reference=32, interpolation=4, pixels=64,
                 workers=2, rms=None):
    """Accuracy and cost of frozen phonons vs a ``reference``-configuration average.

    SrTiO3 [001], 3 x 3 x 6 unit cells (11.7 x 11.7 x 23.4 Angstrom, commensurate),
    PRISM. Prints NCC, relative RMS difference and mean ratio of each N against the
    reference (drawn with an independent seed), and the seconds per image.
    """
    from synthstem.commands.bench import LATTICE, srtio3_cube
    from synthstem.physics.simulate import DEFAULT_PHONON_RMS, simulate

    rms = DEFAULT_PHONON_RMS if rms is None else rms
    base = srtio3_cube(LATTICE)
    atoms = base.repeat((3, 3, 6))
    kw = dict(pixels=pixels, method="prism", interpolation=interpolation, workers=workers,
              phonon_rms=rms)
    simulate(base, pixels=16, method="prism", interpolation=2)  # warm-up
    t = time.perf_counter()
    ref = simulate(atoms, phonons=reference, seed=10_000, **kw).image
    t_ref = time.perf_counter() - t
    print(f"# frozen phonons, SrTiO3 3x3x6 cells, rms {rms} A, PRISM f={interpolation}, "
          f"{pixels} px; reference = {reference} configurations ({t_ref:.1f} s)")
    rows = []
    for n in configs:
        t = time.perf_counter()
        img = simulate(atoms, phonons=n, seed=n + 1, **kw).image
        dt = time.perf_counter() - t
        row = {"phonons": n, "seconds": dt, "ncc": ncc(img, ref),
               "rel_rms": float(np.sqrt(np.mean((img - ref) ** 2)) / ref.mean()),
               "mean_ratio": float(img.mean() / ref.mean()),
               "max_ratio": float(img.max() / ref.max())}
        rows.append(row)
        print(f"phonons={n:>3}: {dt:6.2f} s/image | NCC {row['ncc']:.5f} | rel. RMS diff "
              f"{row['rel_rms']:.4f} | mean ratio {row['mean_ratio']:.4f} | max ratio "
              f"{row['max_ratio']:.4f}", flush=True)
    return rows


def main(argv=None):
    from synthstem.commands.bench import parse_methods
    from synthstem.physics.scan_grid import fourier_interpolate

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default="prism8,prism4,prism2,prism1,multislice")
    parser.add_argument("--abtem", default="prism8,prism4",
                        help="abTEM PRISM factors to compare, e.g. 'prism4' ('' = none)")
    parser.add_argument("--abtem-python", default=None,
                        help="Python interpreter with abTEM (default: this one, if it has it)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--size", type=float, default=CASE["size"])
    parser.add_argument("--pixels", type=int, default=CASE["pixels"])
    parser.add_argument("--phonons", type=int, default=0,
                        help="frozen-phonon configurations (0.08 A rms), both codes")
    parser.add_argument("--json", default=None)
    parser.add_argument("--phonon-study", action="store_true",
                        help="only run the frozen-phonon accuracy/cost study")
    parser.add_argument("--reference", type=int, default=64,
                        help="configurations of the phonon study's reference average")
    args = parser.parse_args(argv)
    if args.phonon_study:
        rows = phonon_study(configs=(1, 2, 4, 8, 16), reference=args.reference,
                            workers=args.workers)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump({"phonon_study": rows}, fh, indent=2)
        return 0

    methods = parse_methods(args.methods)
    tmp = Path(tempfile.mkdtemp(prefix="synthstem-bench-"))
    print(f"# SrTiO3 [001] {args.size:g} A cube, {args.pixels}x{args.pixels} px, 200 kV, "
          f"20 mrad, 100-150 mrad, FAST settings {FAST}; "
          f"{args.phonons} frozen phonons; workers={args.workers}")
    print("# machine:", json.dumps(machine()))
    results = []
    for method, f in methods:
        name = f"prism f={f}" if method == "prism" else method
        out = str(tmp / f"synthstem_{method}{f}.npy")
        code = _SYNTHSTEM_CASE.format(src=str(ROOT / "src"), method=method, f=f,
                                      workers=args.workers, size=args.size,
                                      pixels=args.pixels, repeat=args.repeat,
                                      out=out,
                                      phonons=args.phonons)
        # a fresh numba cache per case: its first warm-up compiles every kernel it uses
        env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / f"numba-cache-{method}{f}"))
        t = time.perf_counter()
        r = _run(sys.executable, code, env)
        r.update(name=name, method=method, interpolation=f, image=out,
                 wall_s=time.perf_counter() - t)
        results.append(r)
        parts = ", ".join(f"{k} {v:.2f}" for k, v in r["timings"].items() if k != "total")
        print(f"{name:>12}: {r['seconds']:8.2f} s/image | compile {r['compile_s']:.1f} s | "
              f"peak RSS {r['peak_rss_mib']:.0f} MiB | mean {r['mean']:.5f} max {r['max']:.4f}"
              f" | {parts}", flush=True)

    ab_python = args.abtem_python or sys.executable
    comparisons = []
    if args.abtem and _has_abtem(ab_python):
        ref = {(r["method"], r["interpolation"]): r for r in results}
        for _, f in parse_methods(args.abtem):
            mine = ref.get(("prism", f))
            if mine is None:
                continue
            out = str(tmp / f"abtem_prism{f}.npy")
            n_slices = int(np.ceil(args.size / CASE["slice_thickness"] - 1e-9))
            code = _ABTEM_CASE.format(src=str(ROOT / "src"), workers=args.workers,
                                      size=args.size, gpts=mine["gpts"][0],
                                      dz=args.size / n_slices, energy=CASE["energy"],
                                      convergence=CASE["convergence"], f=f,
                                      scan=mine["scan_gpts"][0], inner=CASE["detector"][0],
                                      outer=CASE["detector"][1], repeat=args.repeat, out=out,
                                      phonons=args.phonons)
            a = _run(ab_python, code)
            ab_img = np.load(out)
            ab_img = fourier_interpolate(ab_img, (args.pixels, args.pixels))
            my_img = np.load(mine["image"])
            c = {"interpolation": f, "abtem_s": a["seconds"], "abtem_first_s": a["first_s"],
                 "abtem_version": a["version"], "abtem_peak_rss_mib": a["peak_rss_mib"],
                 "synthstem_s": mine["seconds"], "speedup": a["seconds"] / mine["seconds"],
                 "abtem_cpu_s": a["cpu_seconds"], "synthstem_cpu_s": mine["cpu_seconds"],
                 "cpu_speedup": a["cpu_seconds"] / mine["cpu_seconds"],
                 "ncc": ncc(my_img, ab_img), "abtem_mean": float(ab_img.mean()),
                 "synthstem_mean": float(my_img.mean()), "abtem_max": float(ab_img.max()),
                 "synthstem_max": float(my_img.max())}
            comparisons.append(c)
            print(f"abTEM {a['version']} PRISM f={f}: {a['seconds']:.2f} s/image (first call "
                  f"{a['first_s']:.2f} s, peak RSS {a['peak_rss_mib']:.0f} MiB) | synthstem "
                  f"{mine['seconds']:.2f} s | speed-up x{c['speedup']:.2f} (CPU time "
                  f"{c['abtem_cpu_s']:.1f} s vs {c['synthstem_cpu_s']:.1f} s: "
                  f"x{c['cpu_speedup']:.2f}) | NCC {c['ncc']:.5f}"
                  f" | mean {c['synthstem_mean']:.5f} vs {c['abtem_mean']:.5f}, max "
                  f"{c['synthstem_max']:.4f} vs {c['abtem_max']:.4f}", flush=True)
    elif args.abtem:
        print(f"# abTEM not importable by {ab_python}: comparison skipped")

    images = {r["name"]: np.load(r["image"]) for r in results}
    if "multislice" in images:
        for name, img in images.items():
            if name != "multislice":
                print(f"NCC({name}, multislice) = {ncc(img, images['multislice']):.5f}, "
                      f"mean ratio {img.mean() / images['multislice'].mean():.4f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"case": CASE | {"size": args.size, "pixels": args.pixels},
                       "machine": machine(), "workers": args.workers,
                       "phonons": args.phonons,
                       "results": results, "abtem": comparisons}, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
