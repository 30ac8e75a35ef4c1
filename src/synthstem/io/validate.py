"""Check a dataset folder: every item complete and readable, key.csv consistent,
checksums equal to the manifest's."""

import json
from pathlib import Path

import numpy as np

from .files import sha256
from .hdf5 import ROOT_ATTRS, read_item
from .keycsv import read_key_csv


def validate_dataset(folder, checksums=True):
    """Problems found in dataset ``folder`` (an empty list: valid).

    Checks: manifest.json exists; every file it lists (items and exports) exists and
    (``checksums``) has the recorded sha256; every item file reads back with the five root attributes, a 2D float64
    raw image, float32 images and bool peak maps of its shape, and (x, y) coordinates;
    key.csv has one row per manifest item with the same files, uvw and hkl; the manifest
    says the run is complete (no failures).

    Returns
    -------
    problems : list[str]
    stats : dict  items, files, images checked
    """
    folder = Path(folder)
    problems, stats = [], {"items": 0, "files": 0, "images": 0}
    mpath = folder / "manifest.json"
    if not mpath.is_file():
        return [f"{mpath}: missing (not a synthstem dataset?)"], stats
    manifest = json.loads(mpath.read_text())
    items = manifest.get("items", {})
    if not manifest.get("complete", False):
        problems.append(f"manifest: run not complete ({manifest.get('failures', '?')} failures; "
                        f"{len(items)} of {manifest.get('n_items', '?')} items recorded)")
    for h5, entry in items.items():
        for rel, digest in entry.get("files", {}).items():
            stats["files"] += 1
            problems += _check_file(folder, rel, digest, checksums)
        p = folder / h5
        if not p.is_file():
            continue
        try:
            item = read_item(p)
        except Exception as err:
            problems.append(f"{h5}: unreadable ({type(err).__name__}: {err})")
            continue
        stats["items"] += 1
        problems += [f"{h5}: {m}" for m in check_item(item)]
        stats["images"] += 1 + len(item.images)
    for rel, digest in manifest.get("exports", {}).items():
        stats["files"] += 1
        problems += _check_file(folder, rel, digest, checksums, " (export)")
    kpath = folder / "key.csv"
    if not kpath.is_file():
        problems.append("key.csv: missing")
        return problems, stats
    try:
        rows = read_key_csv(kpath)
    except ValueError as err:
        return problems + [str(err)], stats
    by_h5 = {r["hdf5"]: r for r in rows}
    for h5 in sorted(set(items) - set(by_h5)):
        problems.append(f"key.csv: no row for {h5}")
    for h5 in sorted(set(by_h5) - set(items)):
        problems.append(f"key.csv: row {h5} is not in the manifest")
    for h5, row in by_h5.items():
        if h5 not in items or not (folder / h5).is_file():
            continue
        listed = set(items[h5]["files"])
        if set([h5, *row["png"]]) != listed:
            problems.append(f"key.csv: files of {row['item']} differ from the manifest")
        try:
            attrs = read_item(folder / h5).attrs
        except Exception:
            continue
        for col, key in (("uvw", "uvw_direction"), ("hkl", "hkl_plane")):
            if row[col] != attrs.get(key):
                problems.append(f"key.csv: {row['item']} {col} {row[col]!r} != file {attrs.get(key)!r}")
        if row["structure_id"] != attrs.get("icsd_collcode"):
            problems.append(f"key.csv: {row['item']} structure_id {row['structure_id']} != file "
                            f"{attrs.get('icsd_collcode')}")
    return problems, stats


def _check_file(folder, rel, digest, checksums, what=""):
    """Problems of one file listed in the manifest: missing, or sha256 differing."""
    path = folder / rel
    if not path.is_file():
        return [f"{rel}: missing{what}"]
    if checksums and sha256(path) != digest:
        return [f"{rel}: sha256 differs from the manifest{what}"]
    return []


def check_item(item):
    """Problems of one item (layout, dtypes, shapes)."""
    out = []
    missing = [k for k in ROOT_ATTRS if k not in item.attrs]
    if missing:
        out.append(f"missing root attributes {missing}")
    raw = np.asarray(item.raw)
    if raw.ndim != 2 or raw.dtype != np.float64:
        out.append(f"haadf/raw must be 2D float64, got {raw.dtype} {raw.shape}")
    if not np.all(np.isfinite(raw)):
        out.append("haadf/raw has non-finite values")
    for k, img in item.images.items():
        if img.dtype != np.float32 or img.shape != raw.shape:
            out.append(f"haadf/{k} must be float32 {raw.shape}, got {img.dtype} {img.shape}")
    for k, pm in item.peak_maps.items():
        if pm.dtype != bool or pm.shape != raw.shape:
            out.append(f"haadf/peak_map_{k} must be bool {raw.shape}, got {pm.dtype} {pm.shape}")
    if "clean" not in item.peak_maps:
        out.append("haadf/peak_map_clean missing")
    fc = np.asarray(item.full_coords)
    if fc.ndim != 2 or fc.shape[1] != 2 or fc.dtype != np.float32:
        out.append(f"projection/full_coords must be float32 (n, 2), got {fc.dtype} {fc.shape}")
    return out
