"""Cost per item of the default numerics, before (fixed 0.25 A / 0.035 A) and after the
thickness rule (``physics.numerics_rule``), on atomagined-size items.

    nice -n 10 python3 benchmarks/bench_numerics_cost.py --which before|after
        [--json benchmarks/numerics_cost.json] [--items sto001,au001,...]

Items as benchmarks/general-4items.toml draws them: 26 A cut cubes (``orient``, boundary
"cut") of SrTiO3 and Au, 256 px, PRISM f=4, 200 kV, 20 mrad, 100-150 mrad, seed 1, but
one frozen-phonon configuration (the config's 8 cost 8x this: the S-matrix is rebuilt per
configuration) and no PRISM check, one thread. ``--thickness`` times a thinner slab of
the same lateral grid (PRISM's cost is linear in the number of slices). "before" passes the old defaults
explicitly (finite, 0.25 A, sampling 0.035 A); "after" leaves both unset (the rule). CPU
seconds (``time.process_time``) are reported beside wall seconds: on the shared, loaded
2-core machine the wall time mostly measures the load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import synthstem  # noqa: E402
from synthstem.physics.optics import Microscope  # noqa: E402
from synthstem.physics.simulate import simulate  # noqa: E402

ITEMS = {"sto001": ("perovskite/SrTiO3", None, (0, 0, 1)),
         "sto110": ("perovskite/SrTiO3", None, (1, 1, 0)),
         "au001": ("fcc", "Au", (0, 0, 1)),
         "au110": ("fcc", "Au", (1, 1, 0))}


def cell(name, thickness=None):
    proto, element, uvw = ITEMS[name]
    atoms = synthstem.prototype(proto) if element is None else synthstem.prototype(proto, element)
    return synthstem.orient(atoms, uvw, size=26.0, thickness=thickness)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--which", required=True,
                        help="before, after, or an explicit 'slice_thickness:sampling'")
    parser.add_argument("--thickness", type=float, default=None,
                        help="slab thickness [A] (default: the 26 A cube)")
    parser.add_argument("--items", default="sto001,au001")
    parser.add_argument("--json", default="benchmarks/numerics_cost.json")
    args = parser.parse_args(argv)
    path = Path(args.json)
    data = json.loads(path.read_text()) if path.is_file() else {}
    kw = {}
    if args.which == "before":
        kw = {"slice_thickness": 0.25, "sampling": 0.035}
    elif args.which != "after":
        dz, s = args.which.split(":")
        kw = {"slice_thickness": float(dz), "sampling": float(s)}
    for name in args.items.split(","):
        key = f"{name}|{args.which}|{args.thickness or 26.0:g}"
        if key in data:
            continue
        c = cell(name, args.thickness)
        t0, p0 = time.perf_counter(), time.process_time()
        r = simulate(c, Microscope(), pixels=256, method="prism", interpolation=4, phonons=1,
                     seed=1, workers=1, prism_check=0, **kw)
        data[key] = {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - p0,
                     "load": os.getloadavg()[0], "mean": float(r.image.mean()),
                     "slice_thickness_used": r.params["slice_thickness_used"],
                     "n_slices": r.params["n_slices"], "gpts": r.params["gpts"],
                     "extent": r.params["extent"], "numerics": r.params.get("numerics")}
        path.write_text(json.dumps(data, indent=1))
        print(key, json.dumps(data[key]), flush=True)


if __name__ == "__main__":
    main()
