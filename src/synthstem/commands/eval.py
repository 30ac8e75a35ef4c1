"""``synthstem eval {columns,defects,retrieval,points} PRED --truth DIR``: score predictions."""

help = "score predictions against a dataset: column positions, defect boxes, retrieval, points vs label CSVs"


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
    p = sub.add_parser("points", help="precision/recall/F1 of points vs <image>.csv labels (X, Y): "
                       "distance rule and the 21 px box IoU rule")
    p.add_argument("--distance", type=float, default=5.0, help="distance rule radius [px] (default 5)")
    p.add_argument("--box", type=float, default=21.0, help="box side [px] of the IoU rule (default 21)")
    for name, p in sub.choices.items():
        p.add_argument("pred", help="predictions JSON keyed by image name (docs/ml.md)")
        p.add_argument("--truth", required=True,
                       help="folder of <image>.csv labels" if name == "points" else "dataset folder")
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
    elif args.task == "points":
        if not args.distance > 0 or not args.box > 0:
            raise ValueError(f"--distance and --box must be positive, got {args.distance}, {args.box}")
        scores = evaluate.score_points(args.pred, args.truth, distance=args.distance, box=args.box)
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
    elif args.task == "points":
        keys = ["tp", "fp", "fn", "precision", "recall", "f1"]
        print(f"{scores['images']} images; box: {scores['box']['box_px']:g} px boxes, IoU > "
              f"{scores['box']['min_iou']}; distance: <= {scores['distance']['distance_px']:g} px")
        print(_table({"box": scores["box"], "distance": scores["distance"]}, keys))
    elif args.task == "defects":
        print(f"{scores['images']} images, {scores['truth_boxes']} true boxes, "
              f"{scores['predictions']} predicted")
        print("\n".join(f"{k}\t{_fmt(v)}" for k, v in scores.items()
                        if k not in ("images", "truth_boxes", "predictions")))
    else:
        keys = ["queries", *(f"top{k}" for k in args.top)]
        print(_table({"all": scores, **scores["by_condition"]}, keys))
    return 0
