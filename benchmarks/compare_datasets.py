"""Compare two dataset folders item by item: every HDF5 dataset's bytes and every PNG.

    PYTHONPATH=src python3 benchmarks/compare_datasets.py DIR_A DIR_B [--attrs] [--all-files]

For each ``*.h5`` under the two folders (outside the export folders) the script compares
every HDF5 dataset (dtype, shape and the sha256 of its array bytes; variable-length
strings as UTF-8); with ``--attrs`` also every attribute. Every ``*.png`` is compared by
the sha256 of its file (``preview.png``, a contact sheet, is skipped). ``--all-files``
also compares every other file by sha256 (key.csv, manifest.json, exports). Prints one
line per difference and a summary; exit code 0 if the item files are identical, 1 if not.
"""

import argparse
import hashlib
import sys
from pathlib import Path

import h5py
import numpy as np

SKIP = {"preview.png"}


def _digest(value):
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if isinstance(value, str):
        return hashlib.sha256(value.encode("utf-8")).hexdigest()
    arr = np.asarray(value)
    if arr.dtype == object:
        parts = [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in arr.ravel()]
        return f"object{arr.shape}:" + hashlib.sha256(b"\0".join(parts)).hexdigest()
    return f"{arr.dtype}{arr.shape}:" + hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def h5_digests(path, attrs=False):
    """{'/group/dataset': digest} of every dataset (and '@attr' entries with ``attrs``)."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[f"/{name}"] = _digest(obj[()])
            if attrs:
                for k, v in obj.attrs.items():
                    out[f"/{name}@{k}"] = _digest(v)
        f.visititems(visit)
        if attrs:
            for k, v in f.attrs.items():
                out[f"/@{k}"] = _digest(v)
    return out


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _files(folder, pattern):
    folder = Path(folder)
    return {str(p.relative_to(folder)) for p in folder.rglob(pattern)
            if p.is_file() and p.name not in SKIP and not p.name.startswith(".")}


def compare(a, b, attrs=False, all_files=False):
    """-> (differences: list of str, counts: dict)."""
    diffs, counts = [], {"h5_files": 0, "datasets": 0, "pngs": 0, "other_files": 0}
    ha, hb = _files(a, "*.h5"), _files(b, "*.h5")
    diffs += [f"only in {a}: {r}" for r in sorted(ha - hb)] + [f"only in {b}: {r}" for r in sorted(hb - ha)]
    for rel in sorted(ha & hb):
        da, db = h5_digests(Path(a) / rel, attrs), h5_digests(Path(b) / rel, attrs)
        counts["h5_files"] += 1
        counts["datasets"] += len(da)
        for key in sorted(set(da) | set(db)):
            if da.get(key) != db.get(key):
                diffs.append(f"{rel}:{key}: {'differs' if key in da and key in db else 'missing on one side'}")
    pa, pb = _files(a, "*.png"), _files(b, "*.png")
    diffs += [f"only in {a}: {r}" for r in sorted(pa - pb)] + [f"only in {b}: {r}" for r in sorted(pb - pa)]
    for rel in sorted(pa & pb):
        counts["pngs"] += 1
        if _sha(Path(a) / rel) != _sha(Path(b) / rel):
            diffs.append(f"{rel}: differs")
    if all_files:
        oa = _files(a, "*") - ha - pa
        ob = _files(b, "*") - hb - pb
        for rel in sorted(oa | ob):
            counts["other_files"] += 1
            if rel not in oa or rel not in ob:
                diffs.append(f"{rel}: only in {'A' if rel in oa else 'B'} (other file)")
            elif _sha(Path(a) / rel) != _sha(Path(b) / rel):
                diffs.append(f"{rel}: differs (other file)")
    return diffs, counts


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--attrs", action="store_true", help="also compare HDF5 attributes")
    p.add_argument("--all-files", action="store_true", help="also compare every other file")
    args = p.parse_args(argv)
    diffs, counts = compare(args.a, args.b, args.attrs, args.all_files)
    for d in diffs:
        print(d)
    print(f"compared {counts['h5_files']} HDF5 files ({counts['datasets']} datasets"
          f"{' and attributes' if args.attrs else ''}), {counts['pngs']} PNGs"
          + (f", {counts['other_files']} other files" if args.all_files else "")
          + f": {len(diffs)} difference(s)")
    item_diffs = [d for d in diffs if "(other file)" not in d]
    return 1 if item_diffs else 0


if __name__ == "__main__":
    sys.exit(main())
