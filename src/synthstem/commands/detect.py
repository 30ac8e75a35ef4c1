"""``synthstem detect MODEL IMAGES... --pixel-size A --out pred.json``: atoms in images (extra ``ml``)."""

help = "detect atoms with a trained model in TIFF/PNG/NPY/HDF5 images of any size (needs the 'ml' extra)"


def add_arguments(parser):
    parser.add_argument("model", help="model file from `synthstem train`")
    parser.add_argument("images", nargs="+", help="image files or folders of them")
    parser.add_argument("--pixel-size", type=float, default=None,
                        help="pixel size of the images [Angstrom] (default: recorded in each file)")
    parser.add_argument("--threshold", type=float, default=None, help="heatmap threshold (default: the model's)")
    parser.add_argument("--ensemble", action="append", default=[], metavar="MODEL",
                        help="another model file whose heatmaps are averaged with MODEL's (repeatable; "
                             "same pixel size, classes, depth and normalisation)")
    parser.add_argument("--out", required=True, help="predictions JSON {stem: [[x, y, class, score], ...]}")


def run(args):
    import os

    from ..ml import require_torch

    require_torch()
    from ..io.files import write_json
    from ..io.micrographs import find_images, read_micrograph
    from ..ml.detect import detect_image, load_ensemble

    if args.pixel_size is not None and not args.pixel_size > 0:
        raise ValueError(f"--pixel-size must be positive [Angstrom], got {args.pixel_size}")
    model, config = load_ensemble([args.model, *args.ensemble])
    if not args.ensemble:
        model = model[0]
    paths = find_images(args.images)
    out = {}
    for p in paths:
        image, ps = read_micrograph(p)
        ps = args.pixel_size or ps
        if ps is None:
            raise ValueError(f"{p}: no pixel size recorded in the file; pass --pixel-size [Angstrom]")
        stem = os.path.splitext(os.path.basename(p))[0]
        if stem in out:
            raise ValueError(f"two images with the stem {stem!r}")
        out[stem] = detect_image(model, config, image, ps, threshold=args.threshold)
    write_json(args.out, out, indent=None)
    print(f"{sum(map(len, out.values()))} detections in {len(out)} images; wrote {args.out}")
    return 0
