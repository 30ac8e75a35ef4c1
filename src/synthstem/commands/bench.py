"""``synthstem bench``: time simulate() on SrTiO3 [001] (a quick version of
benchmarks/bench_simulate.py)."""

import json
import resource
import time

help = "time the HAADF simulation (SrTiO3 [001] cube) for each method"

LATTICE = 3.905  # SrTiO3 [Angstrom]


def srtio3_cube(size=25.0, a=LATTICE):
    """SrTiO3 [001] cut as a ``size`` [Angstrom] cube (atoms in [0, size)^3, periodic cell,
    like an OrientedCell), beam along +z."""
    import numpy as np
    from ase import Atoms

    base = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                             (0.5, 0, 0.5), (0, 0.5, 0.5)],
                 cell=[a, a, a], pbc=True)
    n = int(np.ceil(size / a)) + 1
    big = base.repeat((n, n, n))
    atoms = big[np.all(big.positions < size - 1e-6, axis=1)]
    atoms.set_cell([size, size, size])
    atoms.pbc = True
    return atoms


def parse_methods(text):
    """'multislice,prism4,prism8,incoherent' -> [(method, interpolation), ...]."""
    out = []
    for item in text.split(","):
        item = item.strip().lower()
        if not item:
            continue
        if item.startswith("prism"):
            f = item[5:] or "4"
            if not f.isdigit() or int(f) < 1:
                raise ValueError(f"methods: bad PRISM entry {item!r} (use e.g. prism4)")
            out.append(("prism", int(f)))
        elif item in ("multislice", "incoherent"):
            out.append((item, 1))
        else:
            raise ValueError(f"methods: unknown entry {item!r}")
    if not out:
        raise ValueError("methods: nothing to run")
    return out


def peak_rss_mib():
    """Peak resident set size of this process [MiB] (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def preset_settings(preset):
    """simulate() keywords of a preset: 'fast' (``physics.simulate.FAST``, the v0.1
    settings the earlier timings used) or 'converged' (simulate's defaults)."""
    from synthstem.physics.simulate import FAST

    if preset not in ("fast", "converged"):
        raise ValueError(f"preset must be 'fast' or 'converged', got {preset!r}")
    return dict(FAST) if preset == "fast" else {}


def time_case(atoms, method, interpolation, pixels, workers=None, settings=None, repeat=1):
    """Run simulate ``repeat`` times with extra keywords ``settings`` (e.g.
    ``preset_settings('fast')``); return (best seconds, result of the best run)."""
    from synthstem.physics.simulate import simulate

    best, result = None, None
    for _ in range(repeat):
        t = time.perf_counter()
        r = simulate(atoms, pixels=pixels, method=method, interpolation=interpolation,
                     workers=workers, **(settings or {}))
        dt = time.perf_counter() - t
        if best is None or dt < best:
            best, result = dt, r
    return best, result


def add_arguments(parser):
    parser.add_argument("--size", type=float, default=3 * LATTICE,
                        help="cube edge [Angstrom] (default 3 unit cells, 11.715; the full "
                             "benchmark uses 25)")
    parser.add_argument("--pixels", type=int, default=128, help="image edge (default 128)")
    parser.add_argument("--methods", default="prism8,prism4,incoherent",
                        help="comma list: multislice, prismF (F = interpolation), incoherent")
    parser.add_argument("--workers", type=int, default=None, help="FFT threads")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs")
    parser.add_argument("--preset", choices=["fast", "converged"], default="fast",
                        help="'fast' (default: 2 A slices, infinite projection, detector-rule "
                             "sampling, as the earlier timings) or 'converged' (simulate's "
                             "defaults, 10-23x slower)")
    parser.add_argument("--json", default=None, help="also write the results to this file")


def run(args):
    methods = parse_methods(args.methods)
    if args.size <= 0:
        raise ValueError(f"size must be > 0 Angstrom, got {args.size}")
    atoms = srtio3_cube(args.size)
    settings = preset_settings(args.preset)
    # compile (or load from cache) every kernel on a tiny cell first
    t = time.perf_counter()
    tiny = srtio3_cube(LATTICE)
    for method, f in methods:
        time_case(tiny, method, min(f, 2), 16, args.workers, settings)
    compile_s = time.perf_counter() - t
    print(f"SrTiO3 [001] {args.size:g} A cube, {len(atoms)} atoms, {args.pixels}x{args.pixels}"
          f" px, 200 kV, 20 mrad, 100-150 mrad, preset {args.preset} {settings}")
    print(f"warm-up (numba compile or cache load): {compile_s:.2f} s")
    rows = []
    for method, f in methods:
        seconds, r = time_case(atoms, method, f, args.pixels, args.workers, settings,
                                repeat=args.repeat)
        name = f"prism f={f}" if method == "prism" else method
        parts = ", ".join(f"{k} {v:.2f}" for k, v in r.timings.items() if k != "total")
        print(f"{name:>12}: {seconds:8.2f} s/image  (mean {r.image.mean():.4f}, max "
              f"{r.image.max():.4f}; {parts})")
        rows.append({"method": method, "interpolation": f, "seconds": seconds,
                     "timings": r.timings, "mean": float(r.image.mean()),
                     "max": float(r.image.max())})
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"size": args.size, "pixels": args.pixels, "preset": args.preset,
                   "settings": settings, "compile_s": compile_s,
                       "results": rows, "peak_rss_mib": peak_rss_mib()}, fh, indent=2)
    return 0
