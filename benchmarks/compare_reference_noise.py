"""Compare synthstem's STEM noise model with the atomagined reference files.

For every ``*.h5`` in the reference folder, apply ``add_stem_noise`` with the 'clean' and
'blbk1' parameters to ``haadf/raw`` and compare image statistics with the stored
``haadf/stem00-clean`` and ``haadf/stem00-blbk1`` (synthstem.noise.stats): ours is the
average over ``--draws`` draws, the reference a single draw. Also prints the largest
difference between two single draws of our model (the draw-to-draw spread) and checks
that broken models (no scan jitter, blur 30 % off, counts doubled) fail.

    python3 benchmarks/compare_reference_noise.py [REFERENCE_DIR] [--draws 8] [--pairs 20]
        [--json OUT.json]

REFERENCE_DIR defaults to ../shared/reference/atomagined relative to the repository
root (or ../../shared/... from a git worktree under a sibling folder). Exit status 0
when the model passes every case and every negative control fails the comparison (in at
least one case; the per-case tally is printed), 1 otherwise, 2 when the folder is
missing. ``--make-fixture DIR`` writes the small fixture used by the tests instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from synthstem.noise.conditions import CONDITIONS  # noqa: E402
from synthstem.noise.stats import (  # noqa: E402
    BASIC,
    NEGATIVE_CONTROLS,
    TOLERANCES,
    compare_stats,
    crop_equivalent_input,
    draw_spread,
    model_stats,
    noise_stats,
)

KEYS = list(TOLERANCES)


def _params(name):
    c = CONDITIONS[name]
    return dict(blur=c.blur, counts=c.counts, scan=c.scan, background=c.background)


def _fmt(key, value):
    if key == "band_power":
        return "[" + " ".join(f"{v:.3f}" for v in value) + "]"
    if key == "quantum":
        return f"{value:.6f}"
    return f"{value:.4f}"


def compare_file(path, n_draws, n_pairs):
    out = {}
    with h5py.File(path, "r") as h:
        raw = h["haadf/raw"][()]
        refs = {name: h[f"haadf/stem00-{name}"][()] for name in ("clean", "blbk1")}
    for name, ref_img in refs.items():
        p = _params(name)
        ref = noise_stats(ref_img)
        ours = model_stats(raw, n_draws=n_draws, **p)
        ok, diff, failed = compare_stats(ours, ref, keys=KEYS)
        spread = draw_spread(raw, n_pairs=n_pairs, **p)
        controls = {}
        for cname, change in NEGATIVE_CONTROLS.items():
            bad = model_stats(raw, n_draws=n_draws, seed=7, **change(p))
            _, cdiff, cfailed = compare_stats(bad, ref, keys=KEYS)
            controls[cname] = {"diff": cdiff, "failed": cfailed, "failed_basic": [k for k in cfailed if k in BASIC]}
        out[name] = {"ref": ref, "ours": ours, "diff": diff, "ok": ok, "failed": failed, "spread": spread,
                     "controls": controls}
    return out


FIXTURE_FILE, FIXTURE_ROWS = "020790.000201", (80, 176)


def make_fixture(folder, out_dir):
    """Write the test fixture: rows of one reference raw image (float16) plus the
    statistics of the reference noisy images on the same rows (see
    synthstem.noise.stats.crop_equivalent_input)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    r0, r1 = FIXTURE_ROWS
    with h5py.File(Path(folder) / f"{FIXTURE_FILE}.h5", "r") as h:
        full = h["haadf/raw"][()]
        noisy = {name: h[f"haadf/stem00-{name}"][()] for name in ("clean", "blbk1")}
        attrs = {k: str(v) for k, v in h.attrs.items()}
    crop = full[r0:r1].astype(np.float16)
    meta = {
        "source": f"atomagined {FIXTURE_FILE}.h5 (MIT licence), haadf/raw rows {r0}:{r1}, stored as float16",
        "attrs": attrs,
        "rows": [r0, r1],
        "full_mean": float(full.mean()),
        "conditions": {},
    }
    for name, img in noisy.items():
        _, mu = crop_equivalent_input(crop.astype(np.float64), full.mean(), CONDITIONS[name].background)
        meta["conditions"][name] = {"mu": mu, "stats": noise_stats(img[r0:r1] / mu)}
    stem = f"atomagined_{FIXTURE_FILE.split('.')[0]}_rows{r0}"
    np.savez_compressed(out_dir / f"{stem}.npz", raw=crop)
    (out_dir / f"{stem}.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"wrote {out_dir / stem}.npz and .json")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", nargs="?", default=None)
    parser.add_argument("--draws", type=int, default=8, help="draws of our model averaged per case")
    parser.add_argument("--pairs", type=int, default=20, help="pairs of single draws for the spread")
    parser.add_argument("--json", help="write all numbers to this file")
    parser.add_argument("--make-fixture", metavar="DIR", help="write the test fixture to DIR and exit")
    args = parser.parse_args(argv)

    if args.reference is None:
        # ../shared relative to the repository root; one level further up for a git worktree
        candidates = [ROOT.parent / "shared" / "reference" / "atomagined",
                      ROOT.parent.parent / "shared" / "reference" / "atomagined"]
        folder = next((c for c in candidates if c.is_dir()), candidates[0])
    else:
        folder = Path(args.reference)
    files = sorted(folder.glob("*.h5")) if folder.is_dir() else []
    if not files:
        print(f"no reference files in {folder}: nothing to compare")
        return 2

    if args.make_fixture:
        make_fixture(folder, args.make_fixture)
        return 0
    results = {f.stem: compare_file(f, args.draws, args.pairs) for f in files}
    model_ok = True
    control_fail = {c: [0, 0, 0] for c in NEGATIVE_CONTROLS}  # cases, failed (all), failed (basic)
    print("tolerances:", ", ".join(f"{k} {v}" for k, v in TOLERANCES.items()))
    print("differences: relative for mean/std/roughness/edge_contrast/quantum, absolute otherwise\n")
    for fname, per in results.items():
        for cond, r in per.items():
            model_ok &= r["ok"]
            print(f"## {fname} stem00-{cond}: model {'PASS' if r['ok'] else 'FAIL ' + str(r['failed'])}")
            print(f"| statistic | reference | ours (mean of {args.draws}) | difference | draw-to-draw spread | tolerance |")
            print("|---|---|---|---|---|---|")
            for k in KEYS:
                print(f"| {k} | {_fmt(k, r['ref'][k])} | {_fmt(k, r['ours'][k])} | {r['diff'][k]:.4f} "
                      f"| {r['spread'][k]:.4f} | {TOLERANCES[k]} |")
            for cname, c in r["controls"].items():
                tally = control_fail[cname]
                tally[0] += 1
                tally[1] += bool(c["failed"])
                tally[2] += bool(c["failed_basic"])
                worst = ", ".join(f"{k} {c['diff'][k]:.4f}" for k in c["failed"]) or "none"
                print(f"- control '{cname}': {'FAILS' if c['failed'] else 'passes (!)'} on {worst}")
            print()
    print("## summary")
    print(f"model passes every case: {model_ok}")
    controls_ok = True
    for cname, (n, n_all, n_basic) in control_fail.items():
        controls_ok &= n_all > 0
        print(f"control '{cname}': fails {n_all}/{n} cases on all statistics, {n_basic}/{n} on the basic five")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0 if (model_ok and controls_ok) else 1


if __name__ == "__main__":
    sys.exit(main())
