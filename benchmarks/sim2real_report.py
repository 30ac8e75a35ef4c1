"""Numbers of benchmarks/SIM2REAL.md: F1 on the 11 labelled real images, the classical
detector tuned on them, and the calibration table (real / generated before / after).

    nice -n 10 python3 benchmarks/sim2real_report.py --real ../shared/real/acstem-train \
        --pred full=pred-full.json --pred before=pred-before.json --work benchmarks/.sim2real-work
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

from synthstem.baselines.spots import smoothed_maxima  # noqa: E402
from synthstem.calibrate import calibrate, summary  # noqa: E402
from synthstem.evaluate.points import score_points  # noqa: E402
from synthstem.io.micrographs import find_images, read_micrograph  # noqa: E402

SIGMAS = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0)
SIZES = (3, 5, 7, 9, 11, 15, 21)
THRESHOLDS = np.arange(1.0, 30.01, 0.5)


def tune_classical(images, labels):
    """Grid search of (sigma, size, threshold) maximising the pooled box F1 on the labels."""
    best = (-1.0, None)
    table = {}
    for sigma, size in itertools.product(SIGMAS, SIZES):
        dets = {k: smoothed_maxima(img, sigma, size, threshold=THRESHOLDS[0]) for k, img in images.items()}
        for t in THRESHOLDS:
            pred = {k: xy[s > t] for k, (xy, s) in dets.items()}
            f1 = score_points(pred, labels)["box"]["f1"]
            table[(sigma, size, float(t))] = f1
            if f1 > best[0]:
                best = (f1, (sigma, size, float(t)))
    return best


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", required=True, help="folder with images/ and labels/")
    ap.add_argument("--pred", action="append", default=[], help="NAME=pred.json (repeatable)")
    ap.add_argument("--gen", action="append", default=[], help="NAME=generated points folder (calibration table)")
    ap.add_argument("--out", default=None, help="JSON of every number")
    ap.add_argument("--classical", default=None, help="SIGMA,SIZE,THRESHOLD: skip the tuning (its result)")
    ap.add_argument("--no-real-calibration", action="store_true", help="skip the real column of the table")
    args = ap.parse_args(argv)
    labels = os.path.join(args.real, "labels")
    paths = find_images([os.path.join(args.real, "images")])
    images = {os.path.splitext(os.path.basename(p))[0]: read_micrograph(p)[0] for p in paths}
    out = {"scores": {}, "calibration": {}}
    for spec in args.pred:
        name, path = spec.split("=", 1)
        s = score_points(path, labels)
        out["scores"][name] = s
        print(f"{name}: box P {s['box']['precision']:.3f} R {s['box']['recall']:.3f} F1 {s['box']['f1']:.3f}; "
              f"distance<=5px F1 {s['distance']['f1']:.3f}", flush=True)
    if args.classical:
        sg, sz, th = (float(v) for v in args.classical.split(","))
        params = (sg, int(sz), th)
    else:
        f1, params = tune_classical(images, labels)
    out["classical"] = {"sigma": params[0], "size": params[1], "threshold": params[2]}
    xy = {k: smoothed_maxima(img, params[0], params[1], params[2])[0] for k, img in images.items()}
    out["scores"]["classical"] = score_points(xy, labels)
    s = out["scores"]["classical"]
    print(f"classical (tuned on these labels) sigma {params[0]} size {params[1]} threshold {params[2]}: "
          f"box P {s['box']['precision']:.3f} R {s['box']['recall']:.3f} F1 {s['box']['f1']:.3f}; "
          f"distance<=5px F1 {s['distance']['f1']:.3f}", flush=True)
    if not args.no_real_calibration:
        real = calibrate(paths, labels)
        out["calibration"]["real"] = {"detector": real["detector"], "summary": summary(real)}
    for spec in args.gen:
        name, folder = spec.split("=", 1)
        gpaths = find_images([os.path.join(folder, "images")])
        g = calibrate(gpaths, os.path.join(folder, "labels"))
        out["calibration"][name] = {"detector": g["detector"], "summary": summary(g)}
    for name, c in out["calibration"].items():
        print(name, json.dumps({"detector": c["detector"], **{k: round(v["median"], 4) for k, v in c["summary"].items()}}))
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(out, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
