"""The sim-to-real recipe: calibrate, generate, train, pick the threshold, detect.

    nice -n 10 python3 benchmarks/sim2real.py --real DIR --out pred.json

1. calibrate the instrument model on ../shared/real/acstem-train/images (image statistics;
   the spot width and atom contrast are fitted at the labelled atoms there: the labels'
   only use) or, when that folder is absent, read the shipped result
   benchmarks/sim2real-calibration.json (the same calibration, written by this script);
2. simulate supported-Pt scenes with ``synthstem.simulate(method="incoherent")`` and a probe
   matched to the calibrated spot, half the Pt groups anywhere in a 100-400 A thicker
   support and only the atoms within the depth of field labelled (variant ``deep``), then
   apply the calibrated conditions (benchmarks/sim2real_data.py) for training and
   validation images;
3. train an ensemble of 3 U-Net detectors (synthstem.ml; training seeds differ; input
   normalisation ``local``, 2 crops per image and epoch) on the generated training images;
4. choose the detection threshold of the ensemble (mean heatmap) by box-rule F1 on the
   generated validation images only;
5. detect on every image in DIR (no labels needed) and write ``{stem: [[x, y, "Pt", score]]}``.

Seeded: the same --seed and thread count give the same prediction file. Measured times
and scores: benchmarks/SIM2REAL.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, HERE)

from sim2real_data import MATCH, SPOT_MATCH, VARIANTS, render_all, write_points_folder  # noqa: E402

from synthstem.calibrate import calibrate  # noqa: E402
from synthstem.evaluate.points import score_points  # noqa: E402
from synthstem.io.micrographs import find_images, read_micrograph  # noqa: E402

#: ../shared/real/acstem-train beside the checkout (a worktree one level deeper: ../../shared)
CALIB_CANDIDATES = [os.path.join(HERE, "..", *[".."] * k, "shared", "real", "acstem-train") for k in (1, 2)]
DEFAULT_CALIB = next((c for c in CALIB_CANDIDATES if os.path.isdir(c)), CALIB_CANDIDATES[0])
SHIPPED = os.path.join(HERE, "sim2real-calibration.json")
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.05), 2)


def log(msg, t0=[time.perf_counter()]):
    print(f"[{time.perf_counter() - t0[0]:7.1f} s] {msg}", flush=True)


def get_calibration(calib_dir, work):
    if calib_dir and os.path.isdir(os.path.join(calib_dir, "images")):
        labels = os.path.join(calib_dir, "labels")
        paths = find_images([os.path.join(calib_dir, "images")])
        result = calibrate(paths, labels if os.path.isdir(labels) else None)
        result["source"] = f"{len(paths)} images in {os.path.abspath(calib_dir)}" + (
            "; spot width and contrast at the labelled atoms" if os.path.isdir(labels) else "")
        with open(os.path.join(work, "calibration.json"), "w") as fh:
            json.dump(result, fh, indent=1)
        return result
    with open(SHIPPED) as fh:
        return json.load(fh)


def choose_threshold(model, config, val_dir, pixel):
    from synthstem.ml.detect import detect_image

    names = sorted(os.listdir(os.path.join(val_dir, "images")))
    dets = {}
    for n in names:
        img = np.load(os.path.join(val_dir, "images", n))
        dets[n[:-4]] = detect_image(model, config, img, pixel, threshold=float(THRESHOLDS[0]))
    f1 = {}
    for t in THRESHOLDS:
        pred = {k: np.array([d[:2] for d in v if d[3] > t]).reshape(-1, 2) for k, v in dets.items()}
        f1[float(t)] = score_points(pred, os.path.join(val_dir, "labels"))["box"]["f1"]
    best = max(f1, key=lambda t: (f1[t], -abs(t - 0.5)))
    return best, f1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--real", required=True, help="folder (or files) of micrographs to detect atoms in")
    ap.add_argument("--out", required=True, help="predictions JSON")
    ap.add_argument("--calib", default=DEFAULT_CALIB, help="folder with images/ (and labels/) to calibrate on")
    ap.add_argument("--work", default=os.path.join(HERE, ".sim2real-work"), help="scratch folder")
    ap.add_argument("--variant", default="deep", choices=VARIANTS, help="calibration variant (ablation)")
    ap.add_argument("--scenes", type=int, default=48, help="training scenes")
    ap.add_argument("--draws", type=int, default=4, help="noisy images per training scene")
    ap.add_argument("--val-scenes", type=int, default=10, help="validation scenes (threshold choice)")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--tile", type=int, default=96, help="training crop [model px]")
    ap.add_argument("--width", type=int, default=16, help="U-Net channels of the first level")
    ap.add_argument("--model-pixel", type=float, default=2.0, help="model pixel / real pixel (binning)")
    ap.add_argument("--seed", type=int, default=0, help="noise draws, training and (default) scenes")
    ap.add_argument("--scene-seed", type=int, default=None, help="scenes (default: --seed)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: 2 threads on a loaded machine were 10x slower)")
    ap.add_argument("--pixels", type=int, default=512, help="generated image edge [px]")
    ap.add_argument("--scene-start", type=int, default=0, help="first scene index (with --render-only: fill the cache in parallel)")
    ap.add_argument("--render-only", action="store_true", help="only simulate the scenes into the cache")
    ap.add_argument("--normalisation", default="local", choices=("global", "highpass", "local"),
                    help="detector input normalisation (synthstem.ml.data.normalise)")
    ap.add_argument("--crops", type=int, default=2, help="random training crops per image and epoch")
    ap.add_argument("--ensemble", type=int, default=3, help="models trained (training seeds differ), heatmaps averaged")
    ap.add_argument("--tag", default="", help="extra name for the work files of this variant")
    ap.add_argument("--val-condition", default="all", choices=("all", "faint"),
                    help="validation conditions: every calibration record, or only the faint end "
                         "(records with dose <= the median dose)")
    args = ap.parse_args(argv)

    from synthstem.ml.detect import detect_image, load_ensemble
    from synthstem.ml.data import load_points_dataset
    from synthstem.ml.train import train

    os.makedirs(args.work, exist_ok=True)
    cal = get_calibration(args.calib, args.work)
    pixel = float(cal["pixel_size"] or 0.293)
    sigmas = [v["spot_sigma"] for v in cal["images"].values() if v.get("spot_sigma")]
    cal["spot_sigma_median"] = float(np.median(sigmas))
    log(f"calibration: {cal.get('source', SHIPPED)}; detector offset {cal['detector']['offset']:.4g}, "
        f"gain {cal['detector']['gain']:.4g}; pixel {pixel:.4f} A")
    scene_seed = args.seed if args.scene_seed is None else args.scene_seed
    spot = cal["spot_sigma_median"] * SPOT_MATCH * pixel * (MATCH["spot"] if args.variant == "matched" else 1.0)
    raws = render_all(args.scenes + args.val_scenes, scene_seed, pixel, args.pixels, spot,
                      start=args.scene_start, cache=os.path.join(args.work, "scenes"), deep=args.variant == "deep")
    log(f"simulated {len(raws)} supported-Pt scenes ({args.pixels} px, incoherent, spot {spot:.3f} A)")
    if args.render_only:
        return 0
    tag = f"{args.variant}-s{args.seed}"
    train_dir, val_dir = os.path.join(args.work, f"train-{tag}"), os.path.join(args.work, f"val-{tag}")
    for d in range(args.draws):
        write_points_folder(train_dir, raws[: args.scenes], args.variant, cal, pixel, args.seed,
                            start=d * 100000)
    val_cal = cal
    if args.val_condition == "faint":
        doses = np.median([v["dose"] for v in cal["images"].values()])
        val_cal = dict(cal, images={k: v for k, v in cal["images"].items() if v["dose"] <= doses})
        val_dir += "-faint"
    write_points_folder(val_dir, raws[args.scenes:], args.variant, val_cal, pixel, args.seed + 1)
    log(f"wrote {args.scenes * args.draws} training and {args.val_scenes} validation images ({args.variant})")
    samples = load_points_dataset(train_dir)
    paths, recs = [], []
    for k in range(args.ensemble):
        paths.append(os.path.join(args.work, f"model-{tag}{args.tag}-m{k}.pt"))
        recs.append(train(samples, paths[-1], progress=log, epochs=args.epochs,
                          pixel_size=pixel * args.model_pixel, seed=args.seed + 1000 * k, threads=args.threads,
                          width=args.width, tile=args.tile, normalisation=args.normalisation, crops=args.crops))
    model, config = load_ensemble(paths)
    rec = {"seconds": sum(r["seconds"] for r in recs), "members": recs}
    best, f1 = choose_threshold(model, config, val_dir, pixel)
    log(f"trained {rec['seconds']:.0f} s ({args.ensemble} model(s)); threshold {best} "
        f"(generated validation box F1 {f1[best]:.3f})")
    out = {}
    for p in find_images([args.real]):
        img, ps = read_micrograph(p)
        out[os.path.splitext(os.path.basename(p))[0]] = detect_image(model, config, img, ps or pixel, threshold=best)
    with open(args.out, "w") as fh:
        json.dump(out, fh)
    with open(os.path.join(args.work, f"run-{tag}{args.tag}{'-faint' if args.val_condition == 'faint' else ''}.json"), "w") as fh:
        json.dump({"threshold": best, "val_f1": f1, "training": rec, "args": vars(args)}, fh, indent=1)
    log(f"{sum(map(len, out.values()))} detections in {len(out)} images; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
