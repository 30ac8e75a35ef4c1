"""CPU-time profile of one dataset item (cProfile with ``time.process_time``).

Item: SrTiO3 [001] as a ``--size`` Angstrom cube (``synthstem.commands.bench.srtio3_cube``),
PRISM f = 4, ``--pixels`` px, ``--phonons`` configurations (seed 1), preset ``default``
(finite projection, 0.25 A slices, sampling <= 0.035 A) or ``fast`` (``FAST``: infinite
projection, 2 A slices, detector-rule sampling). Run with ``--workers 1`` (the default
here): cProfile sees only the calling thread, so with more threads the pool's work would
be invisible. Prints the total CPU time, ``SimulationResult.timings`` and the functions
with the largest own CPU time.

Usage::

    python3 benchmarks/profile_item.py --preset default --phonons 2
    python3 benchmarks/profile_item.py --preset fast --phonons 8 --top 25
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import time


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", choices=("default", "fast"), default="default")
    p.add_argument("--size", type=float, default=26.0)
    p.add_argument("--pixels", type=int, default=256)
    p.add_argument("--phonons", type=int, default=1)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--no-profile", action="store_true", help="time only (no cProfile)")
    args = p.parse_args(argv)

    from synthstem.commands.bench import srtio3_cube
    from synthstem.physics.simulate import FAST, simulate

    kw = dict(FAST) if args.preset == "fast" else {}
    # warm-up: numba caches loaded, not timed (the potential tables are made in the item)
    simulate(srtio3_cube(3.905), pixels=16, method="prism", interpolation=2, phonons=1,
             seed=0, workers=args.workers, **kw)
    atoms = srtio3_cube(args.size)

    def item():
        return simulate(atoms, pixels=args.pixels, method="prism", interpolation=4,
                        phonons=args.phonons, seed=1, workers=args.workers, **kw)

    print("load average:", os.getloadavg())
    c0, t0 = time.process_time(), time.perf_counter()
    if args.no_profile:
        r = item()
        prof = None
    else:
        prof = cProfile.Profile(time.process_time)
        r = prof.runcall(item)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    print(f"CPU {cpu:.2f} s, wall {wall:.2f} s, peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, "
          f"load {os.getloadavg()[0]:.1f}")
    print("timings:", json.dumps({k: round(v, 2) for k, v in r.timings.items()}))
    print("gpts", r.params["gpts"], "n_slices", r.params["n_slices"], "n_beams",
          r.params.get("n_beams"), "mean", float(r.image.mean()))
    if prof is not None:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(args.top)
        print(s.getvalue())


if __name__ == "__main__":
    main()
