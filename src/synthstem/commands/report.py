"""``synthstem report DIR``: one self-contained HTML page describing a dataset."""

help = "write an HTML report of a dataset: gallery, parameter distributions, coverage"


def add_arguments(parser):
    parser.add_argument("dataset", help="dataset folder")
    parser.add_argument("--out", help="HTML file (default DIR/report.html)")
    parser.add_argument("-n", "--gallery", type=int, default=12,
                        help="gallery items, spread over the dataset (default 12)")


def run(args):
    from ..report import write_report

    print(write_report(args.dataset, out=args.out, gallery=args.gallery))
    return 0
