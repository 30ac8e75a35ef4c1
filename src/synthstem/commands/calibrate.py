"""``synthstem calibrate IMAGES... [--labels DIR] --out cond.toml``: fit the instrument model to real images."""

help = "estimate detector offset/gain, dose, spot width, scan-line noise and background from real micrographs"


def add_arguments(parser):
    parser.add_argument("images", nargs="+", help="micrographs (TIFF/PNG/NPY/HDF5) or folders of them")
    parser.add_argument("--labels", default=None,
                        help="folder of <image>.csv atom labels (X, Y [px]); spot width/contrast fitted there")
    parser.add_argument("--out", required=True, help="condition TOML to write")
    parser.add_argument("--patch", type=int, default=16, help="patch size of the variance-vs-mean fit [px]")


def run(args):
    from ..calibrate import calibrate, calibration_toml, summary
    from ..io.files import write_text
    from ..io.micrographs import find_images

    if args.patch < 4:
        raise ValueError(f"--patch must be >= 4 px, got {args.patch}")
    paths = find_images(args.images)
    result = calibrate(paths, args.labels, patch=args.patch)
    write_text(args.out, calibration_toml(result, paths))
    det = result["detector"]
    print(f"{len(paths)} images: detector offset {det['offset']:.4g}, gain {det['gain']:.4g} per electron")
    for key, s in summary(result).items():
        print(f"{key}\tmedian {s['median']:.4g}\t[{s['min']:.4g}, {s['max']:.4g}]")
    print(f"wrote {args.out}")
    return 0
