"""Compare two dataset folders item by item: every HDF5 dataset's bytes and every PNG.

    PYTHONPATH=src python3 benchmarks/compare_datasets.py DIR_A DIR_B [--attrs] [--all-files]

For each ``*.h5`` under the two folders (outside the export folders) the script compares
every HDF5 dataset (dtype, shape and the sha256 of its array bytes; variable-length
strings as UTF-8); with ``--attrs`` also every attribute. Every ``*.png`` is compared by
the sha256 of its file (``preview.png``, a contact sheet, is skipped). ``--all-files``
also compares every other file by sha256 (key.csv, manifest.json, exports). Prints one
line per difference and a summary; exit code 0 if the item files are identical, 1 if not.

A differing numeric dataset of one shape is described by its largest absolute difference
and that relative to the largest ``|value|`` of A (then a summary per dataset name over
all files); a differing JSON attribute or dataset (``params``) by the keys added, removed
and changed (dotted paths).
"""

import argparse
import hashlib
import json
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


def _read(path, key):
    """The value behind a ``h5_digests`` key ('/a/b' dataset, '/a/b@attr' attribute)."""
    with h5py.File(path, "r") as f:
        name, _, attr = key.partition("@")
        obj = f[name.strip("/") or "/"] if name.strip("/") else f
        return obj.attrs[attr] if attr else obj[()]


def _json(value):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype == object:
        return _json(value[()])
    if not isinstance(value, str):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _flat(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _short(keys, n=8):
    keys = sorted(keys)
    return ", ".join(keys[:n]) + (f" (+{len(keys) - n})" if len(keys) > n else "")


def describe(va, vb):
    """-> (text, (max_abs, max_rel) or None) describing how value ``vb`` differs from ``va``."""
    ja, jb = _json(va), _json(vb)
    if isinstance(ja, dict) and isinstance(jb, dict):
        fa, fb = _flat(ja), _flat(jb)
        added, removed = set(fb) - set(fa), set(fa) - set(fb)
        changed = {k for k in set(fa) & set(fb) if fa[k] != fb[k]}
        parts = [f"{label} {len(ks)}: {_short(ks)}" for label, ks in
                 (("added", added), ("removed", removed), ("changed", changed)) if ks]
        return "JSON " + "; ".join(parts), None
    a, b = np.asarray(va), np.asarray(vb)
    if a.dtype.kind in "biufc" and b.dtype.kind in "biufc" and a.shape == b.shape and a.size:
        d = np.abs(a.astype(np.complex128) - b.astype(np.complex128))
        scale = float(np.abs(a).max()) or 1.0
        mx = float(d.max())
        return (f"max abs diff {mx:.3g}, max rel {mx / scale:.3g} (of max |A| {scale:.4g}), "
                f"{int(np.count_nonzero(d))}/{d.size} elements differ", (mx, mx / scale))
    if a.shape != b.shape or a.dtype != b.dtype:
        return f"{a.dtype}{a.shape} vs {b.dtype}{b.shape}", None
    return "differs", None


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _files(folder, pattern):
    folder = Path(folder)
    return {str(p.relative_to(folder)) for p in folder.rglob(pattern)
            if p.is_file() and p.name not in SKIP and not p.name.startswith(".")}


def compare(a, b, attrs=False, all_files=False, numeric=None):
    """-> (differences: list of str, counts: dict). ``numeric``: a dict filled with
    {dataset key: [files, max_abs, max_rel]} of the differing numeric datasets."""
    diffs, counts = [], {"h5_files": 0, "datasets": 0, "pngs": 0, "other_files": 0}
    numeric = {} if numeric is None else numeric
    ha, hb = _files(a, "*.h5"), _files(b, "*.h5")
    diffs += [f"only in {a}: {r}" for r in sorted(ha - hb)] + [f"only in {b}: {r}" for r in sorted(hb - ha)]
    for rel in sorted(ha & hb):
        da, db = h5_digests(Path(a) / rel, attrs), h5_digests(Path(b) / rel, attrs)
        counts["h5_files"] += 1
        counts["datasets"] += len(da)
        for key in sorted(set(da) | set(db)):
            if da.get(key) == db.get(key):
                continue
            if key not in da or key not in db:
                diffs.append(f"{rel}:{key}: only in {'A' if key in da else 'B'}")
                continue
            text, nums = describe(_read(Path(a) / rel, key), _read(Path(b) / rel, key))
            diffs.append(f"{rel}:{key}: {text}")
            if nums is not None:
                row = numeric.setdefault(key, [0, 0.0, 0.0])
                row[0] += 1
                row[1], row[2] = max(row[1], nums[0]), max(row[2], nums[1])
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
    numeric = {}
    diffs, counts = compare(args.a, args.b, args.attrs, args.all_files, numeric)
    for d in diffs:
        print(d)
    for key, (n, mx, rel) in sorted(numeric.items()):
        print(f"summary {key}: differs in {n} file(s), max abs diff {mx:.3g}, max rel {rel:.3g}")
    print(f"compared {counts['h5_files']} HDF5 files ({counts['datasets']} datasets"
          f"{' and attributes' if args.attrs else ''}), {counts['pngs']} PNGs"
          + (f", {counts['other_files']} other files" if args.all_files else "")
          + f": {len(diffs)} difference(s)")
    item_diffs = [d for d in diffs if "(other file)" not in d]
    return 1 if item_diffs else 0


if __name__ == "__main__":
    sys.exit(main())
