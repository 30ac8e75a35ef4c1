"""`config check --estimate` against the measured run, for the shipped configs (issue 19).

    nice -n 0 python3 benchmarks/estimate_vs_measured.py --out estimates.json [CONFIG:LIMIT ...]

For each config: ``synthstem config check CONFIG --estimate --limit N --workers W``, then
``synthstem run CONFIG --out TMP --limit N --workers W --no-preview --no-report`` (a fresh
folder), one after the other in this process's environment; the run's wall time, its CPU time
(children's user + system) and the load average before each command are recorded. Run it on
an idle machine: the estimate times items at the load it sees. Results: benchmarks/ESTIMATES.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
#: every shipped config and the items measured of it (--limit): small enough for one idle hour
DEFAULT = ["configs/quickstart.toml:4", "configs/supported-atoms.toml:4", "configs/2d-materials.toml:6",
           "configs/nanoparticles.toml:6", "configs/interfaces.toml:4", "configs/atomagined-general.toml:6",
           "configs/atomagined-retrieval.toml:4", "configs/randomized.toml:4", "configs/randomized-full.toml:4"]
ESTIMATE = re.compile(r"estimated time: (\d+) s \(range (\d+)-(\d+) s\)")


def _cmd(args):
    return [sys.executable, "-m", "synthstem", *args]


def _timed(args):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(_cmd(args), capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src")))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    return {"wall": wall, "cpu": cpu, "load_before": load, "stdout": proc.stdout}


def measure(config, limit, workers):
    est = _timed(["config", "check", config, "--estimate", "--limit", str(limit), "--workers", str(workers)])
    m = ESTIMATE.search(est["stdout"])
    if not m:
        raise SystemExit(f"{config}: no estimate line in: {est['stdout'][-400:]}")
    out = tempfile.mkdtemp(prefix="estimate-run-")
    try:
        run = _timed(["run", config, "--out", os.path.join(out, "d"), "--limit", str(limit),
                      "--workers", str(workers), "--no-preview", "--no-report"])
    finally:
        shutil.rmtree(out, ignore_errors=True)
    mid, low, high = (float(v) for v in m.groups())
    return {"config": config, "limit": limit, "workers": workers, "estimate": mid, "low": low, "high": high,
            "estimate_command_wall": est["wall"], "estimate_load": est["load_before"],
            "timed": [ln.strip() for ln in est["stdout"].splitlines() if ln.strip().startswith("timed ")],
            "run_wall": run["wall"], "run_cpu": run["cpu"], "run_load": run["load_before"],
            "last_line": run["stdout"].strip().splitlines()[-1] if run["stdout"].strip() else "",
            "ratio": run["wall"] / mid if mid else None}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("configs", nargs="*", default=DEFAULT, help="CONFIG:LIMIT (default: every shipped config)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", required=True, help="JSON of the results (rewritten after each config)")
    args = ap.parse_args(argv)
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}",
               "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "rows": []}
    for spec in args.configs:
        config, _, limit = spec.partition(":")
        try:
            row = measure(config, int(limit or 4), args.workers)
        except RuntimeError as err:  # a failing config is a result too: record it, go on
            results["rows"].append({"config": config, "limit": int(limit or 4), "error": str(err)})
            print(f"| {config} | {limit} | failed: {err} |", flush=True)
            with open(args.out, "w") as fh:
                json.dump(results, fh, indent=1)
            continue
        results["rows"].append(row)
        print(f"| {config} | {row['limit']} | {row['estimate']:.0f} ({row['low']:.0f}-{row['high']:.0f}) | "
              f"{row['run_wall']:.1f} | {row['run_cpu']:.1f} | {row['ratio']:.2f} | "
              f"{row['estimate_load']:.1f} / {row['run_load']:.1f} |", flush=True)
        with open(args.out, "w") as fh:
            json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
