"""Issue 20: old (rint) vs new (peak-map rule) visible-only scores of the column-finder baseline on
the finished items of a dataset; prints counts and a per-condition Markdown table.

    PYTHONPATH=src python3 benchmarks/visible_rule_compare.py DATASET_DIR [CONDITIONS,...]
"""
import sys, time, json
import numpy as np
from synthstem.baselines import predict_columns
from synthstem.evaluate import columns as C
from synthstem.evaluate import score_columns
from synthstem.evaluate.predictions import TruthReader
from synthstem.loaders import open_dataset

root = sys.argv[1]
conds = sys.argv[2].split(",") if len(sys.argv) > 2 else None
t0 = time.perf_counter()
ds = open_dataset(root, target=None, conditions=conds)
pred = predict_columns(ds)
print(f"{len(ds)} images, predictions {time.perf_counter() - t0:.1f} s")
truth = TruthReader(root)
n_old = n_new = n_all = 0
for name in pred:
    t = truth.read(name)
    h, w = t["shape"]
    inside = np.all((t["xy"] >= -0.5) & (t["xy"] < np.array([w, h]) - 0.5), axis=1)
    if t["peak_map"] is None:
        continue
    ij = np.rint(t["xy"][inside]).astype(int)
    n_old += int(t["peak_map"][ij[:, 1], ij[:, 0]].sum())
    n_new += int(C.visible_columns(t["xy"], t["peak_map"])[inside].sum())
    n_all += int(inside.sum())
print(f"visible columns: rint rule {n_old}, peak-map rule {n_new}, of {n_all} in the images")
every = score_columns(pred, root)
new = score_columns(pred, root, visible_only=True)
real = C.visible_columns
C.visible_columns = lambda xy, pm, radius=2.5: pm[np.clip(np.rint(xy[:, 1]).astype(int), 0, pm.shape[0] - 1),
                                                 np.clip(np.rint(xy[:, 0]).astype(int), 0, pm.shape[1] - 1)]
old = score_columns(pred, root, visible_only=True)
C.visible_columns = real
print("| condition | precision | recall | F1 | F1 (resolved columns) | F1 (resolved, old rint rule) | mean error [A] |")
print("|---|---|---|---|---|---|---|")
rows = {**every["by_condition"], "all": every["all"]}
rn = {**new["by_condition"], "all": new["all"]}
ro = {**old["by_condition"], "all": old["all"]}
for c, s in rows.items():
    print(f"| {c} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {rn[c]['f1']:.3f} | "
          f"{ro[c]['f1']:.3f} | {s['mean_error_angstrom']:.3f} |")
