"""F1 against the detection threshold, for a trained sim-to-real model (a diagnostic).

    python3 benchmarks/sim2real_curve.py --model W/model-full-s0.pt --set gen=W/val-full-s0 \
        --set real=../shared/real/acstem-train --out curve.json

Each ``--set NAME=DIR`` is a folder with images/ and labels/ (generated .npy or real
micrographs). The recipe (benchmarks/sim2real.py) chooses its threshold on the generated
validation set only; the real curve is reported to measure the domain shift of that choice,
never to choose (benchmarks/SIM2REAL.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

from synthstem.evaluate.points import score_points  # noqa: E402
from synthstem.io.micrographs import find_images, read_micrograph  # noqa: E402
from synthstem.ml.detect import detect_image, load_ensemble  # noqa: E402

THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.05), 2)


def curve(model, config, folder, pixel):
    """``{threshold: (precision, recall, f1)}`` by the box rule on ``folder``."""
    dets = {}
    for p in find_images([os.path.join(folder, "images")]):
        if p.endswith(".npy"):
            img, ps = np.load(p), None
        else:
            img, ps = read_micrograph(p)
        dets[os.path.splitext(os.path.basename(p))[0]] = detect_image(
            model, config, img, ps or pixel, threshold=float(THRESHOLDS[0]))
    out = {}
    for t in THRESHOLDS:
        pred = {k: np.array([d[:2] for d in v if d[3] > t]).reshape(-1, 2) for k, v in dets.items()}
        box = score_points(pred, os.path.join(folder, "labels"))["box"]
        out[float(t)] = [box["precision"], box["recall"], box["f1"]]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", action="append", required=True, help="model file (several: an ensemble)")
    ap.add_argument("--set", action="append", required=True, help="NAME=DIR with images/ and labels/")
    ap.add_argument("--pixel", type=float, default=0.293, help="pixel size of .npy images [Angstrom]")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    model, config = load_ensemble(args.model)
    res = {}
    for item in args.set:
        name, folder = item.split("=", 1)
        res[name] = curve(model, config, folder, args.pixel)
        best = max(res[name], key=lambda t: res[name][t][2])
        print(f"{name}: best box F1 {res[name][best][2]:.3f} at {best}; "
              + " ".join(f"{t:.2f}:{v[2]:.3f}" for t, v in res[name].items()), flush=True)
    with open(args.out, "w") as fh:
        json.dump(res, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
