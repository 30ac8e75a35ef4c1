"""Top-k accuracy of atomagined-style retrieval: find each target's twin among the choices.

Truth: ``DIR/retrieval.csv`` (columns ``target``, ``twin``: ``targets/<item>.h5`` ->
``choices/<item>.h5``). Predictions: ``{query: [choice, ...]}``, best first, where a query
is a target image ``<item>-<dataset>`` (or a target item name) and a choice is a choice
item name (an image name ``<item>-<dataset>`` counts as its item; repeats of an item keep
its first rank). A query is a top-k hit when its twin is among the first k distinct items.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from .predictions import load_json

__all__ = ["read_twins", "score_retrieval"]


def read_twins(dataset_dir):
    """{target item: twin choice item} from ``retrieval.csv``."""
    path = Path(dataset_dir) / "retrieval.csv"
    if not path.is_file():
        raise FileNotFoundError(f"--truth: no retrieval.csv in {dataset_dir} (not a retrieval run?)")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"target", "twin"} <= set(rows[0]):
        raise ValueError(f"{path}: expected columns 'target' and 'twin'")
    return {Path(r["target"]).stem: Path(r["twin"]).stem for r in rows}


def _ranked_items(entries, where):
    if not isinstance(entries, list) or not all(isinstance(e, str) and e for e in entries):
        raise ValueError(f"{where}: expected a list of choice names (strings), best first, got {entries!r:.80}")
    seen, out = set(), []
    for e in entries:
        item = (e[:-4] if e.endswith(".png") else e).partition("-")[0]
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def score_retrieval(pred, truth_dir, ks=(1, 5)):
    """Top-k accuracies (overall and per target condition).

    Returns
    -------
    dict: 'queries', 'top<k>' for each k, 'by_condition' {dataset: {'queries', 'top<k>'}}.
    """
    ks = tuple(int(k) for k in ks)
    if not ks or min(ks) < 1:
        raise ValueError(f"ks must be positive integers, got {ks}")
    data = load_json(pred)
    if not data:
        raise ValueError("PRED: no queries")
    twins = read_twins(truth_dir)
    hits, per_cond = defaultdict(int), defaultdict(lambda: defaultdict(int))
    for query, entries in sorted(data.items()):
        stem = query[:-4] if query.endswith(".png") else query
        item, _, dataset = stem.partition("-")
        if item not in twins:
            raise ValueError(f"PRED[{query!r}]: {item!r} is not a target of {truth_dir}/retrieval.csv")
        ranked = _ranked_items(entries, f"PRED[{query!r}]")
        cond = per_cond[dataset or "item"]
        cond["queries"] += 1
        for k in ks:
            hit = twins[item] in ranked[:k]
            hits[k] += hit
            cond[f"top{k}"] += hit
    n = len(data)
    out = {"queries": n, **{f"top{k}": hits[k] / n for k in ks}}
    out["by_condition"] = {c: {"queries": v["queries"], **{f"top{k}": v[f"top{k}"] / v["queries"] for k in ks}}
                           for c, v in sorted(per_cond.items())}
    return out
