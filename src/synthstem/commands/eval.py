"""``synthstem eval {columns,defects,retrieval} PRED --truth DIR``: score predictions."""

help = "score predictions against a dataset: column positions, defect boxes, retrieval"


def add_arguments(parser):
    sub = parser.add_subparsers(dest="task", metavar="TASK", required=True)
    p = sub.add_parser("columns", help="precision/recall/F1 per class of column positions")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="matching distance [Angstrom] (default 0.5)")
    p.add_argument("--visible-only", action="store_true",
                   help="ignore true columns without a peak-map pixel")
    sub.add_parser("defects", help="COCO box AP (pycocotools COCOeval) of defect boxes")
    p = sub.add_parser("retrieval", help="top-k accuracy of finding each target's twin")
    p.add_argument("--top", type=int, nargs="+", default=[1, 5], help="k values (default 1 5)")
    for p in sub.choices.values():
        p.add_argument("pred", help="predictions JSON keyed by image name (docs/ml.md)")
        p.add_argument("--truth", required=True, help="dataset folder")
        p.add_argument("--json", action="store_true", help="print the scores as one JSON object")


def _fmt(v):
    return "-" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v))


def _table(rows, keys):
    lines = ["\t".join(["", *keys])]
    lines += ["\t".join([name, *(_fmt(r.get(k)) for k in keys)]) for name, r in rows.items()]
    return "\n".join(lines)


def run(args):
    import json

    from .. import evaluate

    if args.task == "columns":
        scores = evaluate.score_columns(args.pred, args.truth, args.threshold, args.visible_only)
    elif args.task == "defects":
        scores = evaluate.score_defects(args.pred, args.truth)
    else:
        scores = evaluate.score_retrieval(args.pred, args.truth, ks=args.top)
    if args.json:
        print(json.dumps(scores, sort_keys=True))
        return 0
    if args.task == "columns":
        keys = ["tp", "fp", "fn", "precision", "recall", "f1", "mean_error_angstrom"]
        rows = {"all": scores["all"], **scores.get("classes", {}),
                **{f"[{c}]": s for c, s in scores["by_condition"].items()}}
        print(f"{scores['images']} images, threshold {scores['threshold_angstrom']} A"
              + (f", macro F1 {scores['macro_f1']:.4f}" if "macro_f1" in scores else ""))
        print(_table(rows, keys))
    elif args.task == "defects":
        print(f"{scores['images']} images, {scores['truth_boxes']} true boxes, "
              f"{scores['predictions']} predicted")
        print("\n".join(f"{k}\t{_fmt(v)}" for k, v in scores.items()
                        if k not in ("images", "truth_boxes", "predictions")))
    else:
        keys = ["queries", *(f"top{k}" for k in args.top)]
        print(_table({"all": scores, **scores["by_condition"]}, keys))
    return 0
