"""``synthstem train DATASET --out MODEL``: train the U-Net heatmap detector (extra ``ml``)."""

help = "train a small U-Net atom detector on a labelled dataset (needs the 'ml' extra: torch)"


def add_arguments(parser):
    parser.add_argument("dataset", help="points folder (images/, labels/<stem>.csv, dataset.json) or a run dataset")
    parser.add_argument("--out", required=True, help="model file to write")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--tile", type=int, default=128, help="training crop [model px]")
    parser.add_argument("--width", type=int, default=16, help="channels of the first U-Net level")
    parser.add_argument("--depth", type=int, default=3, help="U-Net poolings")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--sigma", type=float, default=1.5, help="heatmap Gaussian [model px]")
    parser.add_argument("--pixel-size", type=float, default=None,
                        help="model pixel size [Angstrom] (default: the dataset's)")
    parser.add_argument("--threshold", type=float, default=0.5, help="detect's default heatmap threshold")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--normalisation", default="global", choices=("global", "highpass", "local"),
                        help="input normalisation (synthstem.ml.data.normalise; recorded in the model)")
    parser.add_argument("--crops", type=int, default=1, help="random training crops per image and epoch")


def run(args):
    from ..ml import require_torch

    require_torch()
    from ..ml.data import load_points_dataset
    from ..ml.train import train

    if args.pixel_size is not None and not args.pixel_size > 0:
        raise ValueError(f"--pixel-size must be positive [Angstrom], got {args.pixel_size}")
    samples = load_points_dataset(args.dataset)
    rec = train(samples, args.out, progress=print, epochs=args.epochs, batch=args.batch, tile=args.tile,
                width=args.width, depth=args.depth, lr=args.lr, sigma=args.sigma, pixel_size=args.pixel_size,
                threshold=args.threshold, seed=args.seed, threads=args.threads,
                normalisation=args.normalisation, crops=args.crops)
    print(f"trained on {rec['images']} images in {rec['seconds']:.0f} s ({rec['device']}); wrote {args.out}")
    return 0
