"""The classical baselines' scores per noise condition, as Markdown tables.

    PYTHONPATH=src python3 benchmarks/bench_baselines.py --columns GENERAL_DIR --retrieval RETRIEVAL_DIR

Column finder (``synthstem.baselines.find_columns``, default parameters, no tuning on
the data): precision/recall/F1 at 0.5 A against every column in the image and against the
resolved ones (``visible_only``), mean position error of matches. Retrieval descriptor
(``synthstem.baselines.descriptor``): top-1/top-5 of each target image's twin among the
choice items. The same numbers come from ``synthstem eval`` on the written predictions.
"""

import argparse
import json
import time
from pathlib import Path

from synthstem.baselines import predict_columns, predict_retrieval
from synthstem.evaluate import score_columns, score_retrieval
from synthstem.loaders import open_dataset


def columns_table(dataset, out):
    t0 = time.perf_counter()
    ds = open_dataset(dataset, target=None)
    pred = predict_columns(ds)
    elapsed = time.perf_counter() - t0
    path = Path(out) / "columns_pred.json"
    path.write_text(json.dumps(pred))
    every = score_columns(path, dataset)
    vis = score_columns(path, dataset, visible_only=True)
    print(f"columns: {len(ds)} images, {elapsed:.1f} s; predictions {path}\n")
    print("| condition | precision | recall | F1 | F1 (resolved columns) | mean error [A] |")
    print("|---|---|---|---|---|---|")
    rows = {**every["by_condition"], "all": every["all"]}
    rows_vis = {**vis["by_condition"], "all": vis["all"]}
    for cond, s in rows.items():
        print(f"| {cond} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | "
              f"{rows_vis[cond]['f1']:.3f} | {s['mean_error_angstrom']:.3f} |")


def retrieval_table(dataset, out):
    t0 = time.perf_counter()
    targets = open_dataset(dataset, subset="targets", target=None)
    choices = open_dataset(dataset, subset="choices", target=None)
    pred = predict_retrieval(targets, choices)
    elapsed = time.perf_counter() - t0
    path = Path(out) / "retrieval_pred.json"
    path.write_text(json.dumps(pred))
    r = score_retrieval(path, dataset)
    n_choices = len({n.split("-")[0] for n in choices.names})
    print(f"\nretrieval: {len(targets)} target images, {n_choices} choice items "
          f"({len(choices)} images), {elapsed:.1f} s; predictions {path}\n")
    print("| target condition | queries | top-1 | top-5 |")
    print("|---|---|---|---|")
    for cond, s in {**r["by_condition"], "all": r}.items():
        print(f"| {cond} | {s['queries']} | {s['top1']:.3f} | {s['top5']:.3f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--columns", help="general dataset folder")
    ap.add_argument("--retrieval", help="retrieval dataset folder")
    ap.add_argument("--out", default=".", help="folder for the prediction files")
    args = ap.parse_args()
    if args.columns:
        columns_table(args.columns, args.out)
    if args.retrieval:
        retrieval_table(args.retrieval, args.out)


if __name__ == "__main__":
    main()
