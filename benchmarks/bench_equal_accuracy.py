"""synthstem vs v0.1 vs abTEM at EQUAL accuracy: static and 8 frozen phonons, PRISM f=4.

    python3 benchmarks/bench_equal_accuracy.py --abtem-python /tmp/abtem_optics/bin/python \
        --v01-src /work/baseline/tree/src [--json out.json] [--confirm-reference]
        [--ladder abtem=0.0125:0.25:finite]
    python3 benchmarks/bench_equal_accuracy.py --projection-study --abtem-python ... \
        [--study-samplings 0.05,0.025,0.0125,0.00625] [--study-dz 0.25]

Results and discussion: benchmarks/EQUAL_ACCURACY.md.

Cell: SrTiO3 [001], 4 x 4 x 4 cubic cells (15.62 x 15.62 A laterally, periodic, so the
PRISM f=4 window is one unit cell), the crystal moved 1 A down along z inside a
cell of 4 a + 2 A (17.62 A): no atom sits within 1 A of the entrance or exit plane,
because abTEM wraps the potential periodically in z while synthstem does not (an atom at
z = -0.05 A lands in abTEM's last slice), and no atom layer sits on a slice plane. 200 kV,
20 mrad, detector 100-150 mrad, Lobato, PRISM f=4, scan on the cell's Nyquist grid (the
same positions for every code), every scan image Fourier-interpolated here (one
function) to 64 x 64 before comparing.

Reference: synthstem's default preset (finite projection, 0.25 A slices, 0.035 A sampling),
static and with the 8 frozen-phonon configurations below. ``--confirm-reference`` also runs
the static cell at 0.125 A slices and 0.024 A sampling.

Codes and ladders (``LADDERS``; each rung ``(sampling, slice thickness, projection)``,
sampling in Angstrom or "detector" = the detector rule ``Microscope.max_sampling()``):
synthstem (this tree's src), v0.1 (``--v01-src``: commit 1b25791, today's main when
issue 13 was filed; infinite projection only) and abTEM (``--abtem-python``; its
infinite and finite projections). For each code the rungs run cheapest first until one
is within ``--tolerance`` (2 %) in mean and has NCC >= ``--min-ncc`` (0.999) against the
reference; that rung is the code's time at equal accuracy. If no rung passes, the closest
is printed and no ratio is claimed for that code.

Frozen phonons: 8 configurations (0.08 A rms per axis, seed ``--seed``) drawn here with
synthstem's ``thermal_displacements`` in the order ``simulate`` draws them. synthstem and
v0.1 run ``simulate(phonons=8, seed=...)`` (the dataset path; each subprocess first checks
that its own code draws exactly these positions); abTEM gets them as an
``AtomsEnsemble`` (its ensemble mean). The ladder is screened with the first
``--screen`` configurations (default 1) against the reference at the same configurations;
the passing rung of each code is then timed with all 8 and checked against the
8-configuration reference, unless that run is projected (screen time x 8) to exceed
``--budget-s``: then only the screen's time is printed and no 8-configuration ratio.

Every run is its own subprocess (peak RSS = its ``ru_maxrss``): a warm-up on the 4 x 4 x 1
cell with the same settings (numba compilation, abTEM's caches), then the timed run with
``time.perf_counter`` (wall) and ``time.process_time`` (CPU of all threads). 2 threads
for every code (``workers=2``; abTEM: dask threaded scheduler with 2 workers).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from ase import Atoms

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from synthstem.physics.optics import Microscope, choose_gpts  # noqa: E402
from synthstem.physics.potential import n_slices_for  # noqa: E402
from synthstem.physics.scan_grid import fourier_interpolate, scan_points  # noqa: E402
from synthstem.random import as_rng  # noqa: E402
from synthstem.structures.thermal import thermal_displacements  # noqa: E402

A = 3.905  # SrTiO3 lattice constant [Angstrom]
F = 4  # PRISM interpolation factor
PIXELS = 64  # common output size of the comparison
RMS = 0.08  # frozen-phonon rms per axis [Angstrom]
REFERENCE = ("ours", 0.035, 0.25, "finite")
CONFIRM = ("ours", 0.024, 0.125, "finite")
#: per code: rungs (sampling, slice thickness, projection), cheapest first (grid points x
#: slices); synthstem's include v0.1's infinite-projection rungs
LADDERS = {
    "ours": [("detector", 2.0, "infinite"), (0.035, 2.0, "infinite"),
             ("detector", 0.5, "infinite"), ("detector", 0.5, "finite"),
             ("detector", 0.25, "finite"), (0.035, 0.5, "infinite"), (0.035, 0.5, "finite"),
             (0.035, 0.25, "finite")],
    "v0.1": [("detector", 2.0, "infinite"), (0.035, 2.0, "infinite"),
             ("detector", 0.5, "infinite"), (0.035, 0.5, "infinite"),
             (0.025, 0.5, "infinite")],
    "abtem": [("detector", 2.0, "infinite"), (0.035, 0.5, "infinite"),
              (0.035, 0.25, "finite"), (0.025, 0.5, "infinite"), (0.025, 0.25, "finite"),
              (0.0125, 0.5, "infinite")],
}

_SYNTHSTEM = r"""
import json, resource, sys, time
import numpy as np
spec = json.loads(sys.argv[1])
sys.path.insert(0, spec["src"])
from ase.io import read
from synthstem.physics.simulate import simulate
atoms, tiny = read(spec["cell"]), read(spec["tiny"])
kw = dict(method="prism", interpolation=spec["f"], workers=2, slice_thickness=spec["dz"],
          sampling=spec["sampling"])
if spec["projection"] is not None:
    kw["projection"] = spec["projection"]
if spec["phonons"]:  # this code's own draw must equal the shared configurations
    from synthstem.random import as_rng
    rng, pos0 = as_rng(spec["seed"]), atoms.positions.copy()
    want = np.load(spec["positions"])[:spec["phonons"]]
    for c in range(spec["phonons"]):
        if spec["v01"]:
            pos = pos0 + rng.normal(size=pos0.shape) * spec["rms"]
        else:
            from synthstem.structures.thermal import thermal_displacements
            pos = pos0 + thermal_displacements(atoms, rng, spec["rms"])
        assert np.array_equal(pos, want[c]), "phonon configurations differ"
n_tiny = spec["scan_tiny"]
if spec["warm"]:
    simulate(tiny, pixels=n_tiny, scan_pixels=n_tiny, **kw)  # warm-up: numba, tables
t, c = time.perf_counter(), time.process_time()
r = simulate(atoms, pixels=spec["scan"], scan_pixels=spec["scan"], phonons=spec["phonons"],
             seed=spec["seed"] if spec["phonons"] else None, phonon_rms=spec["rms"], **kw)
wall, cpu = time.perf_counter() - t, time.process_time() - c
np.save(spec["out"], r.image)
print("RESULT " + json.dumps(dict(wall=wall, cpu=cpu, gpts=r.params["gpts"],
      n_slices=r.params["n_slices"], timings=r.timings,
      peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""

_ABTEM = r"""
import json, resource, sys, time
import numpy as np
spec = json.loads(sys.argv[1])
from ase.io import read
import abtem, dask
dask.config.set(scheduler="threads", num_workers=2)
abtem.config.set({"device": "cpu"})
atoms, tiny = read(spec["cell"]), read(spec["tiny"])
if spec["phonons"]:
    confs = []
    for pos in np.load(spec["positions"])[:spec["phonons"]]:
        a = atoms.copy()
        a.positions = pos
        confs.append(a)  # abTEM wraps x, y (and z) itself; no atom is near a z face
    atoms = abtem.AtomsEnsemble(confs)
def run(atoms, gpts, slices, scan, lx, ly):
    pot = abtem.Potential(atoms, gpts=gpts, slice_thickness=slices, parametrization="lobato",
                          projection=spec["projection"])
    sm = abtem.SMatrix(potential=pot, energy=200e3, semiangle_cutoff=20,
                       interpolation=spec["f"])
    grid = abtem.GridScan(start=(0, 0), end=(lx, ly), gpts=scan, endpoint=False)
    det = abtem.AnnularDetector(inner=100, outer=150)
    return sm.scan(scan=grid, detectors=det).compute(progress_bar=False)
lx, ly, lz = tiny.cell.lengths()
n = spec["n_slices_tiny"]
if spec["warm"]:
    run(tiny, spec["gpts"], [lz / n] * n, spec["scan_tiny"], lx, ly)  # warm-up
lx, ly, lz = read(spec["cell"]).cell.lengths()
n = spec["n_slices"]
t, c = time.perf_counter(), time.process_time()
m = run(atoms, spec["gpts"], [lz / n] * n, spec["scan"], lx, ly)
wall, cpu = time.perf_counter() - t, time.process_time() - c
img = np.asarray(m.array, dtype=np.float64)
assert img.ndim == 2, img.shape
np.save(spec["out"], img.T)  # abTEM (x, y) -> (row = y, column = x)
print("RESULT " + json.dumps(dict(wall=wall, cpu=cpu, version=abtem.__version__,
      gpts=spec["gpts"], n_slices=n,
      peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def srtio3(nz=4, vacuum=2.0, nxy=4):
    """SrTiO3 [001], nxy x nxy x nz cells, moved ``vacuum / 2`` down in a cell ``vacuum`` taller."""
    unit = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                             (0.5, 0, 0.5), (0, 0.5, 0.5)],
                 cell=[A] * 3, pbc=True)
    atoms = unit.repeat((nxy, nxy, nz))
    atoms.set_cell([nxy * A, nxy * A, nz * A + vacuum])
    atoms.positions[:, 2] += vacuum / 2
    return atoms


def phonon_positions(atoms, configs, seed, rms=RMS):
    """The configurations ``simulate(phonons=configs, seed=seed)`` draws, (configs, n, 3)."""
    rng = as_rng(seed)
    pos0 = atoms.positions.copy()
    return np.stack([pos0 + thermal_displacements(atoms, rng, rms) for _ in range(configs)])


def ncc(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def machine():
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "?")
    return {"cpu": model, "cpus": len(os.sched_getaffinity(0)), "load": os.getloadavg()}


class Runner:
    """Runs one (code, setting, configurations) case in a subprocess; caches results."""

    def __init__(self, args, tmp, atoms, tiny, positions, f=F, warm=True):
        self.args, self.tmp, self.f, self.warm = args, tmp, f, warm
        self.scope = Microscope()
        self.cell, self.tiny = str(tmp / "cell.traj"), str(tmp / "tiny.traj")
        atoms.write(self.cell)
        tiny.write(self.tiny)
        self.positions = str(tmp / "positions.npy")
        np.save(self.positions, positions)
        self.lengths, self.tiny_lengths = atoms.cell.lengths(), tiny.cell.lengths()
        self.scan = scan_points(self.lengths[0], self.scope, 10**6)
        self.scan_tiny = scan_points(self.tiny_lengths[0], self.scope, 10**6)
        self.cache = {}

    def run(self, code, sampling, dz, projection, phonons):
        key = (code, sampling, dz, projection, phonons)
        if key in self.cache:
            return self.cache[key]
        s = self.scope.max_sampling() if sampling == "detector" else sampling
        lx, ly, lz = self.lengths
        out = str(self.tmp / f"img{len(self.cache)}.npy")
        spec = {"cell": self.cell, "tiny": self.tiny, "positions": self.positions, "f": self.f,
                "warm": self.warm,
                "dz": dz, "projection": projection, "phonons": phonons, "seed": self.args.seed,
                "rms": RMS, "scan": self.scan, "scan_tiny": self.scan_tiny, "out": out}
        if code == "abtem":
            python = self.args.abtem_python
            spec.update(gpts=[choose_gpts(lx, s, self.f), choose_gpts(ly, s, self.f)],
                        n_slices=n_slices_for(lz, dz),
                        n_slices_tiny=n_slices_for(self.tiny_lengths[2], dz))
            code_text = _ABTEM
        else:
            python, code_text = sys.executable, _SYNTHSTEM
            v01 = code == "v0.1"
            spec.update(src=self.args.v01_src if v01 else str(ROOT / "src"), v01=v01,
                        sampling=(None if v01 else "detector") if sampling == "detector"
                        else sampling, projection=None if v01 else projection)
        load0 = os.getloadavg()[0]
        t = time.perf_counter()
        proc = subprocess.run([python, "-c", code_text, json.dumps(spec)], capture_output=True,
                              text=True)
        lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
        if not lines:
            raise RuntimeError(f"{key} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        r = json.loads(lines[0][7:])
        r.update(code=code, sampling=sampling, sampling_a=s, dz=dz, projection=projection,
                 phonons=phonons, load=[load0, os.getloadavg()[0]],
                 process_s=time.perf_counter() - t)
        img = np.load(out)
        r["image"] = fourier_interpolate(img, (PIXELS, PIXELS), (ly, lx))
        self.cache[key] = r
        return r


def compare(r, ref, tol, min_ncc):
    r["mean"] = float(r["image"].mean())
    r["err"] = r["mean"] / float(ref["image"].mean()) - 1
    r["ncc"] = ncc(r["image"], ref["image"])
    r["ok"] = abs(r["err"]) <= tol and r["ncc"] >= min_ncc
    return r


def row(r, label=""):
    proj = r["projection"] or "infinite"
    return (f"| {label}{r['code']} | {r['sampling_a']:.4f} | {r['dz']:g} ({r['n_slices']}) | "
            f"{proj} | {r['phonons']} | {r['mean']:.6f} | {100 * r['err']:+.2f} % | "
            f"{r['ncc']:.5f} | {'yes' if r['ok'] else 'no'} | {r['wall']:.1f} | {r['cpu']:.1f} | "
            f"{r['peak_rss_mib']:.0f} | {r['load'][0]:.1f}-{r['load'][1]:.1f} |")


HEADER = ("| code | sampling [A] | slices [A] (n) | projection | configs | mean | vs ref | NCC | "
          "ok | wall [s] | CPU [s] | peak RSS [MiB] | load |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def ladder(runner, code, phonons, ref, args):
    """Rungs cheapest first until one passes; returns (passing rung or None, closest)."""
    tried = []
    for sampling, dz, proj in LADDERS[code]:
        if code == "ours" and (sampling, dz, proj) == REFERENCE[1:]:
            r = compare(runner.run(*REFERENCE, phonons), ref, args.tolerance, args.min_ncc)
        else:
            r = compare(runner.run(code, sampling, dz, proj, phonons), ref, args.tolerance,
                        args.min_ncc)
        print(row(r), flush=True)
        tried.append(r)
        if r["ok"]:
            return r, r
    return None, min(tried, key=lambda x: (x["ncc"] < args.min_ncc, abs(x["err"])))


def projection_study(args):
    """Finite vs infinite projection of both codes in sampling, on a 1 x 1 x 4 cell (f=1)."""
    atoms = srtio3(4, nxy=1)
    tmp = Path(tempfile.mkdtemp(prefix="synthstem-projstudy-"))
    runner = Runner(args, tmp, atoms, atoms, np.zeros((1, len(atoms), 3)), f=1, warm=False)
    samplings = [float(x) for x in args.study_samplings.split(",")]
    lx, ly, lz = atoms.cell.lengths()
    print(f"# projection study: SrTiO3 [001] 1 x 1 x 4 cells, {lx:.3f} x {ly:.3f} x {lz:.2f} A "
          f"(crystal 1 A below the entrance), PRISM f=1, {args.study_dz} A slices, scan "
          f"{runner.scan}^2 -> {PIXELS}^2, static; reference: synthstem finite at "
          f"{min(samplings)} A")
    print("# machine:", json.dumps(machine()))
    codes = [c for c in ("ours", "abtem") if c in args.codes.split(",")]
    if not args.abtem_python and "abtem" in codes:
        codes.remove("abtem")
    runs = {(code, proj, s): runner.run(code, s, args.study_dz, proj, 0)
            for proj in ("finite", "infinite") for code in codes for s in samplings}
    ref = runs[("ours", "finite", min(samplings))]
    print("| code | projection | sampling [A] | gpts | mean | vs ref | NCC | wall [s] |")
    print("|---|---|---|---|---|---|---|---|")
    for (code, proj, s), r in runs.items():
        compare(r, ref, args.tolerance, args.min_ncc)
        print(f"| {code} | {proj} | {s} | {r['gpts'][0]} | {r['mean']:.6f} | "
              f"{100 * r['err']:+.2f} % | {r['ncc']:.5f} | {r['wall']:.1f} |", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(
            [{k: v for k, v in r.items() if k != "image"} for r in runs.values()],
            indent=2, default=float))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--abtem-python", default=None, help="Python with abTEM 1.0.x ('' = skip)")
    p.add_argument("--v01-src", default="/work/baseline/tree/src",
                   help="src folder of synthstem v0.1 (commit 1b25791)")
    p.add_argument("--codes", default="ours,v0.1,abtem")
    p.add_argument("--cases", default="static,phonons")
    p.add_argument("--phonons", type=int, default=8)
    p.add_argument("--screen", type=int, default=1,
                   help="configurations used to screen the phonon ladder")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--budget-s", type=float, default=900.0,
                   help="skip a full-configuration run projected (screen wall time x "
                        "configurations / screen) to take longer than this [s]")
    p.add_argument("--tolerance", type=float, default=0.02)
    p.add_argument("--min-ncc", type=float, default=0.999)
    p.add_argument("--cells-z", type=int, default=4, help="unit cells along the beam")
    p.add_argument("--ladder", action="append", default=[], metavar="CODE=S:DZ:PROJ,...",
                   help="replace a code's ladder, e.g. abtem=0.0125:0.25:finite (S: sampling "
                        "[A] or 'detector')")
    p.add_argument("--confirm-reference", action="store_true")
    p.add_argument("--json", default=None)
    p.add_argument("--projection-study", action="store_true",
                   help="only the projection study (1 x 1 x 4 cell, f=1, --study-samplings)")
    p.add_argument("--study-samplings", default="0.05,0.025,0.0125,0.00625")
    p.add_argument("--study-dz", type=float, default=0.25)
    args = p.parse_args(argv)
    if args.projection_study:
        return projection_study(args)
    for item in args.ladder:
        code, _, rungs = item.partition("=")
        if code not in LADDERS or not rungs:
            raise ValueError(f"--ladder must be CODE=S:DZ:PROJ,... with CODE in "
                             f"{sorted(LADDERS)}, got {item!r}")
        LADDERS[code] = [(x if x == "detector" else float(x), float(dz), proj)
                         for x, dz, proj in (r.split(":") for r in rungs.split(","))]
    codes = [c for c in args.codes.split(",") if c]
    unknown = sorted(set(codes) - set(LADDERS))
    if unknown:
        raise ValueError(f"--codes: unknown code(s) {unknown}; known: {sorted(LADDERS)}")
    if "abtem" in codes and not args.abtem_python:
        print("# no --abtem-python: abTEM skipped")
        codes.remove("abtem")
    atoms, tiny = srtio3(args.cells_z), srtio3(1)
    positions = phonon_positions(atoms, args.phonons, args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="synthstem-eqacc-"))
    runner = Runner(args, tmp, atoms, tiny, positions)
    lx, ly, lz = atoms.cell.lengths()
    print(f"# SrTiO3 [001] 4 x 4 x {args.cells_z} cells, {lx:.2f} x {ly:.2f} x {lz:.2f} A "
          f"({len(atoms)} atoms), 200 kV, 20 mrad, 100-150 mrad, Lobato, PRISM f={F}, "
          f"scan {runner.scan}^2 -> {PIXELS}^2; pass: |mean err| <= {100 * args.tolerance:g} % "
          f"and NCC >= {args.min_ncc}")
    print("# machine before:", json.dumps(machine()))
    print("# command:", " ".join([os.path.basename(sys.executable)] + sys.argv))
    summary = {"machine_before": machine(), "cases": {}}
    for case in args.cases.split(","):
        n = args.phonons if case == "phonons" else 0
        screen = min(args.screen, n) if n else 0
        print(f"\n## {case}" + (f" (ladder screened with {screen} of {n} configurations)"
                                if n else ""))
        print(HEADER)
        ref_s = compare(runner.run(*REFERENCE, screen), runner.run(*REFERENCE, screen),
                        args.tolerance, args.min_ncc)
        print(row(ref_s, "reference: "), flush=True)
        if case == "static" and args.confirm_reference:
            print(row(compare(runner.run(*CONFIRM, 0), ref_s, args.tolerance, args.min_ncc),
                      "finer: "), flush=True)
        chosen = {}
        for code in codes:
            chosen[code] = ladder(runner, code, screen, ref_s, args)
        mine = chosen.get("ours", (None, None))[0]
        for code, (ok, _) in chosen.items():
            if n and ok is not None and mine is not None and code != "ours":
                print(f"  screen ({screen} configuration(s)): {code} / ours x"
                      f"{ok['wall'] / mine['wall']:.2f} wall, x{ok['cpu'] / mine['cpu']:.2f} CPU")
        if n and screen < n:
            ref = runner.run(*REFERENCE, n)
            compare(ref, ref, args.tolerance, args.min_ncc)
            print(f"\n{n} configurations, the screened rung of each code:\n{HEADER}")
            print(row(ref, "reference: "), flush=True)
            final = {}
            for code, (ok, closest) in chosen.items():
                r = ok or closest
                key = (r["sampling"], r["dz"], r["projection"])
                projected = r["wall"] * n / screen
                if ok is None or projected > args.budget_s:
                    why = ("failed the screen" if ok is None else
                           f"projected {projected:.0f} s > --budget-s {args.budget_s:g}")
                    print(f"| {code} | {r['sampling_a']:.4f} | {r['dz']:g} | "
                          f"{r['projection'] or 'infinite'} | {n} | not run: {why} "
                          f"| | | | | | | |", flush=True)
                    r["not_run"] = why
                    final[code] = (None, r)
                    continue
                r8 = ref if code == "ours" and key == REFERENCE[1:] else compare(
                    runner.run(code, *key, n), ref, args.tolerance, args.min_ncc)
                if r8 is not ref:
                    print(row(r8), flush=True)
                final[code] = (r8 if r8["ok"] else None, r8)
            chosen = final
        print(f"\n{case}: time at equal accuracy (wall, CPU)")
        ours = chosen.get("ours", (None, None))[0]
        result = {}
        for code, (ok, closest) in chosen.items():
            result[code] = {k: v for k, v in (ok or closest).items() if k != "image"}
            result[code]["reaches_accuracy"] = ok is not None
            if ok is None and closest.get("not_run", "").startswith("projected"):
                print(f"  {code}: passes with {closest['phonons']} configuration(s) at "
                      f"{closest['sampling_a']:.4f} A, {closest['dz']:g} A, "
                      f"{closest['projection']} ({closest['wall']:.1f} s wall, "
                      f"{closest['cpu']:.1f} s CPU), {n} not run ({closest['not_run']}): "
                      f"no measured {n}-configuration ratio")
            elif ok is None:
                print(f"  {code}: no rung within {100 * args.tolerance:g} % / NCC "
                      f"{args.min_ncc}; closest {closest['sampling_a']:.4f} A, "
                      f"{closest['dz']:g} A, {closest['projection']}: "
                      f"{100 * closest['err']:+.2f} %, NCC {closest['ncc']:.5f}, "
                      f"{closest['wall']:.1f} s wall, {closest['cpu']:.1f} s CPU: no ratio")
            elif ours is not None and code != "ours":
                print(f"  {code} / ours: x{ok['wall'] / ours['wall']:.2f} wall, "
                      f"x{ok['cpu'] / ours['cpu']:.2f} CPU ({ok['wall']:.1f} / "
                      f"{ours['wall']:.1f} s, {ok['cpu']:.1f} / {ours['cpu']:.1f} s CPU)")
        summary["cases"][case] = result
    summary["machine_after"] = machine()
    print("\n# machine after:", json.dumps(summary["machine_after"]))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
