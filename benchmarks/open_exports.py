"""Export a finished dataset to 'hspy', 'tiff' and 'hf' (with the run config's other
exports and options) and open each with its real reader: HyperSpy and rosettasciio,
atomap (when installed: it is not a dependency), tifffile, Hugging Face datasets (files and
card) and mlcroissant; save one hspy image as HyperSpy plots it (scale bar, column markers).

    PYTHONPATH=src python3 benchmarks/open_exports.py DATASET_DIR --config configs/quickstart.toml \\
        --plot docs/hspy_plot.png --plot-stem 000001.000001-stem00-dfct1

Prints what each reader sees. Results: docs/exports.md, benchmarks/LOADER.md.
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from synthstem.exports import export_dataset
from synthstem.runs.config import load_config
from synthstem.runs.run import export_options


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("--config", required=True)
    ap.add_argument("--plot", help="save this hspy image as HyperSpy plots it (PNG path)")
    ap.add_argument("--plot-stem", help="which image to plot (<item>-<condition>; default: the first)")
    args = ap.parse_args()
    root = Path(args.dataset)
    config = load_config(args.config)
    opts = export_options(config)
    opts["exports"] = tuple(dict.fromkeys([*opts["exports"], "hspy", "tiff", "hf"]))
    report = export_dataset(root, seed=config.run.seed, **opts)
    print(f"exported {report['n_images']} images ({report['n_augmented']} augmented) of {report['n_items']} items,"
          f" splits {report['splits']}, formats {list(opts['exports'])}")
    ann = root / "annotations"

    import hyperspy.api as hs
    from rsciio.hspy import file_reader

    hspy = sorted(ann.glob("*_hspy/*.hspy"))
    s = hs.load(hspy[0])
    ax = s.axes_manager.signal_axes
    print(f"hyperspy: {len(hspy)} files; {hspy[0].relative_to(root)}: title {s.metadata.General.title!r}, "
          f"x scale {ax[0].scale:.6g} {ax[0].units}, y scale {ax[1].scale:.6g} {ax[1].units}, "
          f"markers {[m.name for _, m in s.metadata.Markers]}")
    sig = file_reader(str(hspy[0]))[0]
    px = json.loads(sig["original_metadata"]["synthstem_json"])["pixel_size_angstrom"]
    print(f"rosettasciio: axes {[(a['name'], a['scale'], a['units']) for a in sig['axes']]}; "
          f"item pixel size {px} A = {px / 10} nm")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        if args.plot_stem:
            s = hs.load(next(p for p in hspy if p.stem == args.plot_stem))
        s.plot(colorbar=False)
        fig = s._plot.signal_plot.figure
        fig.set_size_inches(5, 5)
        fig.savefig(args.plot, dpi=100)
        print(f"plot: {args.plot} ({s.metadata.General.title})")

    try:  # atomap is not a dependency: run this script with it installed to check it too
        import atomap.api as am
    except ImportError:
        print("atomap: not installed")
    else:
        s = hs.load(hspy[0]) if not args.plot_stem else hs.load(next(p for p in hspy if p.stem == args.plot_stem))
        labels = s.metadata.synthstem.labels
        truth = np.column_stack([labels.x_px, labels.y_px])
        sub = am.Sublattice(am.get_atom_positions(s, separation=20, threshold_rel=0.6), image=s)
        sub.find_nearest_neighbors()
        sub.refine_atom_positions_using_center_of_mass(show_progressbar=False)
        found = np.column_stack([sub.x_position, sub.y_position])
        near = np.linalg.norm(found[:, None] - truth[None], axis=2).min(axis=1)
        print(f"atomap: Sublattice(image=signal) pixel_size {sub.pixel_size:.6g} {sub.units}; "
              f"{len(found)} bright columns found, {(near < 1).sum()} within 1 px of a labelled column "
              f"(median {np.median(near[near < 1]):.2f} px = {np.median(near[near < 1]) * sub.pixel_size * 10:.3f} A)")

    import tifffile

    tifs = sorted(ann.glob("*_tiff/*.tif"))
    with tifffile.TiffFile(tifs[0]) as tif:
        num, den = tif.pages[0].tags["XResolution"].value
        ij = tif.imagej_metadata
        print(f"tifffile: {len(tifs)} files; {tifs[0].relative_to(root)}: {tif.pages[0].dtype} "
              f"{tif.pages[0].shape}, pixel {den / num:.6g} {ij['unit']}, label {ij['Labels']!r}, "
              f"Info keys {list(json.loads(ij['Info']))}")

    import datasets

    with tempfile.TemporaryDirectory() as cache:
        files = datasets.load_dataset("parquet", data_dir=str(ann / "hf" / "data"), cache_dir=cache)
        card = datasets.load_dataset(str(ann / "hf"), cache_dir=cache)
        print(f"datasets (parquet files): {({k: v.num_rows for k, v in files.items()})}; "
              f"(card configs): {({k: v.num_rows for k, v in card.items()})}")
        row = card["train"][0]
        print(f"  train[0]: {row['file_name']}, image {row['image'].mode} {row['image'].size}, "
              f"{len(row['points_x'])} columns, classes {sorted(set(row['points_class']))}, "
              f"boxes {row['defect_boxes']}")

    import mlcroissant as mlc

    ds = mlc.Dataset(jsonld=str(ann / "hf" / "croissant.json"))
    first = next(iter(ds.records(record_set="images")))
    n = sum(1 for _ in ds.records(record_set="images"))
    print(f"mlcroissant: valid, {n} records; first {first['images/file_name'].decode()}, image "
          f"{first['images/image'].size}, {len(first['images/points_x'])} columns, "
          f"x[0] {np.round(first['images/points_x'][0], 3)} px")


if __name__ == "__main__":
    main()
