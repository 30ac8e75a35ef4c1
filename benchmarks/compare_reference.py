"""Agreement of our peak-map rule and PNG stretch with the atomagined reference files.

    python benchmarks/compare_reference.py [/work/shared/reference/atomagined]

For every reference item: our peak rule (synthstem.labels.peaks.peak_map) applied to the
reference ``haadf/raw`` and ``projection/full_coords`` vs the reference
``haadf/peak_map_clean`` (precision / recall, peaks matched within 0.5 px, i.e. the same
pixel); and our PNG rule (synthstem.io.png.to_png_array) vs the reference PNGs (mean
absolute difference in grey levels, share of pixels within 8 levels). Study only: the
tests do not read the reference folder.
"""

import sys
from pathlib import Path

import h5py
import numpy as np
from PIL import Image

from synthstem.io.png import to_png_array
from synthstem.labels.peaks import compare_maps, peak_map


def main(folder):
    folder = Path(folder)
    files = sorted(folder.glob("*.h5"))
    if not files:
        raise SystemExit(f"no .h5 files in {folder}")
    print("| item | ours | reference | matched | precision | recall |")
    print("|---|---|---|---|---|---|")
    tot = np.zeros(3)
    for f in files:
        with h5py.File(f, "r") as h:
            raw, xy, ref = h["haadf/raw"][()], h["projection/full_coords"][()], h["haadf/peak_map_clean"][()]
        c = compare_maps(peak_map(raw, xy), ref, tolerance=0.5)
        tot += [c["n_ours"], c["n_reference"], c["n_matched"]]
        print(f"| {f.stem} | {c['n_ours']} | {c['n_reference']} | {c['n_matched']} | "
              f"{c['precision']:.3f} | {c['recall']:.3f} |")
    print(f"| all | {int(tot[0])} | {int(tot[1])} | {int(tot[2])} | {tot[2] / tot[0]:.3f} | {tot[2] / tot[1]:.3f} |")
    print()
    print("| PNG | mean abs. difference [grey levels] | within 8 levels |")
    print("|---|---|---|")
    diffs = []
    for f in files:
        with h5py.File(f, "r") as h:
            for key in h["haadf"]:
                png = folder / f"{f.stem}-{key}.png"
                if key.startswith("peak_map") or not png.is_file():
                    continue
                ref = np.asarray(Image.open(png).convert("L"), dtype=float)
                ours = to_png_array(h["haadf"][key][()]).astype(float)
                d = np.abs(ours - ref)
                diffs.append(d.mean())
                print(f"| {png.name} | {d.mean():.2f} | {(d <= 8).mean():.3f} |")
    print(f"| mean | {np.mean(diffs):.2f} | |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference/atomagined")
