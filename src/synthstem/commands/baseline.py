"""``synthstem baseline columns DIR --out pred.json``: the classical column finder's
predictions, in the JSON ``synthstem eval columns`` reads (benchmarks/BASELINES.md)."""

help = "run a classical baseline on a dataset and write its predictions (for 'synthstem eval')"


def add_arguments(parser):
    sub = parser.add_subparsers(dest="task", metavar="TASK", required=True)
    p = sub.add_parser("columns", help="column positions by smoothed local maxima "
                                       "(synthstem.baselines.find_columns, default parameters)")
    p.add_argument("dataset", help="dataset folder")
    p.add_argument("--out", required=True, help="predictions JSON to write")
    p.add_argument("--conditions", nargs="+", default=None,
                   help="images to predict: conditions or dataset names (default: every image "
                        "but raw)")


def run(args):
    import json

    from ..baselines import predict_columns
    from ..io.files import write_bytes
    from ..loaders import open_dataset
    from ._checks import output_file

    output_file(args.out)
    dataset = open_dataset(args.dataset, conditions=args.conditions, target=None)
    pred = predict_columns(dataset)
    write_bytes(args.out, json.dumps(pred).encode())
    print(f"{args.out}: column predictions for {len(pred)} images "
          f"(score: synthstem eval columns {args.out} --truth {args.dataset})")
    return 0
