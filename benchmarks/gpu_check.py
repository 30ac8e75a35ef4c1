"""GPU check: ``simulate(device="gpu")`` against ``device="cpu"`` on two cases, one short run.

Cases (fast settings: 2 A slices, infinite projection, detector-rule sampling):

- ``standard``: SrTiO3 [001] cut as a 25 A cube (benchmarks/bench_simulate.py's standard
  case), 200 kV, 20 mrad, 100-150 mrad, 256 px, PRISM f=4, static lattice;
- ``phonons8``: the same cell with 8 frozen-phonon configurations (seed 1), PRISM f=4, and
  a 3-point focal spread (40 A), 128 px.

For each: the NCC of the GPU image against the CPU image (must be >= 0.99999: complex64 on
both, only the FFT library and summation order differ), the relative difference of the
means, and images/s on each device (best of ``--repeat`` after one warm-up). Exit status 1
if a case misses the NCC bar. Needs ``synthstem[gpu]`` (CuPy) and a CUDA device.

    python3 benchmarks/gpu_check.py [--repeat 2] [--json gpu_check.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from synthstem.physics.optics import Microscope  # noqa: E402
from synthstem.physics.simulate import FAST, simulate  # noqa: E402
from synthstem.structures.orient import orient  # noqa: E402
from synthstem.structures.prototypes import prototype  # noqa: E402

NCC_BAR = 0.99999


def ncc(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def cases():
    cell = orient(prototype("perovskite", elements="SrTiO3"), (0, 0, 1), size=25.0)
    return {
        "standard": (cell, dict(microscope=Microscope(), pixels=256, interpolation=4, phonons=0)),
        "phonons8": (cell, dict(microscope=Microscope(focal_spread=40.0), pixels=128,
                                interpolation=4, phonons=8, seed=1, focal_points=3)),
    }


def timed(cell, kw, device, repeat):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simulate(cell, device=device, **FAST, **kw)  # warm-up (kernels, FFT plans)
        best, res = np.inf, None
        for _ in range(repeat):
            t0 = time.perf_counter()
            res = simulate(cell, device=device, **FAST, **kw)
            best = min(best, time.perf_counter() - t0)
    return res, best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    from synthstem.physics import backend

    backend.check_device("gpu")  # one clear line if CuPy or a CUDA device is missing
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(0)
    rows, ok = [], True
    for name, (cell, kw) in cases().items():
        cpu, t_cpu = timed(cell, kw, "cpu", args.repeat)
        gpu, t_gpu = timed(cell, kw, "gpu", args.repeat)
        row = {"case": name, "ncc": ncc(gpu.image, cpu.image),
               "mean_rel_diff": float(gpu.image.mean() / cpu.image.mean() - 1),
               "cpu_images_per_s": 1 / t_cpu, "gpu_images_per_s": 1 / t_gpu,
               "speedup": t_cpu / t_gpu}
        ok &= row["ncc"] >= NCC_BAR
        rows.append(row)
        print(json.dumps(row), flush=True)
    info = {"gpu": props["name"].decode() if isinstance(props["name"], bytes) else props["name"],
            "cpu": platform.processor() or platform.machine(), "rows": rows,
            "ncc_bar": NCC_BAR, "passed": bool(ok)}
    print(f"{'PASSED' if ok else 'FAILED'}: NCC >= {NCC_BAR} on every case ({info['gpu']})")
    if args.json:
        Path(args.json).write_text(json.dumps(info, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
