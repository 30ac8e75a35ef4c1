"""``synthstem validate DIR``: is a dataset complete, readable and unchanged?"""

help = "check a dataset: items complete and readable, key.csv consistent, checksums"


def add_arguments(parser):
    parser.add_argument("dataset", help="dataset folder")
    parser.add_argument("--no-checksums", action="store_true", help="skip the sha256 comparison")


def run(args):
    import sys

    from ..io.validate import validate_dataset

    problems, stats = validate_dataset(args.dataset, checksums=not args.no_checksums)
    for p in problems:
        print(p, file=sys.stderr)
    status = "valid" if not problems else f"{len(problems)} problem(s)"
    print(f"{args.dataset}: {status}; {stats['items']} items, {stats['files']} files, "
          f"{stats['images']} images checked")
    return 0 if not problems else 1
