"""One 2-D complex64 FFT per engine: scipy.fft (pocketfft, synthstem's default) against
pyFFTW with FFTW_ESTIMATE and FFTW_MEASURE plans, one thread, CPU time per transform.

    python3 benchmarks/bench_fft_engines.py --sizes 480 768 --repeat 3

480 is the FAST preset's grid of a 25 A cell, 768 the converged default's. Results and
the reason pyFFTW stays opt-in: benchmarks/PROFILE.md ("FFT engines").
"""

import argparse
import os
import platform
import time

import numpy as np
import scipy.fft


def main():
    import pyfftw

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[480, 768])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--calls", type=int, default=50)
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"{len(os.sched_getaffinity(0))} CPUs, load {os.getloadavg()[0]:.1f}; "
          f"scipy {scipy.__version__}, pyFFTW {pyfftw.__version__}")
    print("| n | engine | plan [s] | CPU per FFT [ms] (runs) | vs scipy |")
    print("|---|---|---|---|---|")
    for n in args.sizes:
        rng = np.random.default_rng(0)
        data = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))).astype(np.complex64)
        buf = pyfftw.empty_aligned((n, n), dtype="complex64")
        plans = {}
        for flag in ("FFTW_ESTIMATE", "FFTW_MEASURE"):
            t0 = time.perf_counter()
            plans[flag] = pyfftw.FFTW(buf, buf, axes=(0, 1), flags=(flag,), threads=1)
            plans[flag] = (plans[flag], time.perf_counter() - t0)
        times = {name: [] for name in ("scipy", "FFTW_ESTIMATE", "FFTW_MEASURE")}
        for _ in range(args.repeat):  # engines interleaved
            for name in times:
                x = data.copy()
                t0 = time.process_time()
                for _ in range(args.calls):
                    if name == "scipy":
                        scipy.fft.fft2(x, overwrite_x=True, workers=1)
                    else:
                        buf[:] = x
                        plans[name][0]()
                times[name].append((time.process_time() - t0) / args.calls * 1e3)
        ref = float(np.median(times["scipy"]))
        for name, t in times.items():
            plan = "-" if name == "scipy" else f"{plans[name][1]:.2f}"
            runs = ", ".join(f"{v:.2f}" for v in t)
            print(f"| {n} | {name} | {plan} | {np.median(t):.2f} ({runs}) | "
                  f"x{ref / float(np.median(t)):.2f} |")


if __name__ == "__main__":
    main()
