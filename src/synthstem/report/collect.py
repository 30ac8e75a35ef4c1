"""What a dataset report shows, gathered from the item files (h5py, documented layout)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import h5py
import numpy as np

from synthstem.loaders.sources import find_items
from synthstem.physics.accuracy import item_record
from synthstem.labels.masks import elements_of
from synthstem.loaders.truth import image_names, read_truth

__all__ = ["flatten", "collect", "dedupe", "gallery_items", "title_of"]

#: a parameter recorded under several names appears once: (alias prefix, canonical
#: prefix); an alias is dropped from an item where the canonical key has the same value
#: (the drawn values are also in ``settings``; the microscope and simulation settings
#: are recorded again in ``simulation``)
ALIASES = (("settings.drawn.", "settings."), ("simulation.microscope.", "settings.microscope."),
           ("simulation.", "settings.simulation."))

_SKIP = ("seed", "displacements", "displaced", "removed", "added", "sites",
         "atom_indices", "conditions", "smatrix_bytes")


def flatten(obj, prefix=""):
    """{dotted key: scalar} of a JSON object: numbers, strings, booleans; numeric lists of
    up to 3 entries by component ('extent[2]'), longer ones by their root mean square
    ('draws.shifts.rms', the scan-line jitter); seeds and per-atom lists left out."""
    out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            if any(s in str(k) for s in _SKIP):
                continue
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, list):
        numeric = obj and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in obj)
        if numeric and len(obj) <= 3:
            out.update({f"{prefix}[{i}]": v for i, v in enumerate(obj)})
        elif numeric:
            out[f"{prefix}.rms"] = float(np.sqrt(np.mean(np.square(obj))))
        elif obj and all(isinstance(v, str) for v in obj):
            out[prefix] = " ".join(obj)
    elif isinstance(obj, (bool, int, float, str)):
        out[prefix] = obj
    return out


def dedupe(flat):
    """``flat`` without the aliases (:data:`ALIASES`) that repeat a canonical key's value."""
    out = {}
    for k, v in flat.items():
        alias = next(((a, c) for a, c in ALIASES if k.startswith(a)), None)
        if alias is not None:
            canonical = alias[1] + k[len(alias[0]):]
            if canonical in flat and json.dumps(flat[canonical]) == json.dumps(v):
                continue
        out[k] = v
    return out


def gallery_items(n_items, n_shown):
    """Indices of ``n_shown`` items spread evenly over ``n_items`` (first and last included)."""
    if n_items <= 0 or n_shown <= 0:
        return []
    return sorted({int(round(i)) for i in np.linspace(0, n_items - 1, min(n_shown, n_items))})


def _uvw_text(text):
    try:
        v = [float(x) for x in str(text).strip("()[]' ").replace(",", " ").split()]
    except ValueError:
        return str(text)
    if not v or any(abs(x - round(x)) > 1e-6 for x in v):
        return str(text)
    ints = [int(round(x)) for x in v]
    sep = "" if all(0 <= i < 10 for i in ints) else " "
    return "[" + sep.join(str(i) for i in ints) + "]"


def title_of(item_params, attrs):
    """'SrTiO3 [001]': the item's formula and zone axis."""
    formula = (item_params.get("structure") or {}).get("formula") or str(attrs.get("chemical_formula", "?"))
    return f"{formula.strip(chr(39)).replace(' ', '')} {_uvw_text(attrs.get('uvw_direction', '?'))}"


def collect(dataset_dir, gallery=12, pixel_sample=20000, seed=0):
    """Gather the report's data.

    Parameters
    ----------
    gallery : int
        Items in the gallery: that many spread evenly over the dataset (first and last
        included), one image per item and image dataset, titled with formula and zone axis.
    pixel_sample : int
        Pixels drawn per image for the intensity histograms.

    Returns
    -------
    dict with 'n_items', 'n_images', 'items' (per item: flattened parameters), 'draws'
    ({condition: [flattened noise draws and condition of each image]}), 'column_classes',
    'column_elements' (Counters over items, clean structure), 'intensities' ({condition:
    pixel values}), 'gallery' ({condition: [truth dicts with image]}), 'uvw', 'thickness',
    'accuracy' (per item: physics.accuracy.item_record plus item, formula, uvw, thickness).
    """
    files = find_items(dataset_dir)
    picked = set(gallery_items(len(files), gallery))
    rng = np.random.default_rng(seed)
    items, draws, accuracy = [], defaultdict(list), []
    classes, elements = Counter(), Counter()
    intensities, shown = defaultdict(list), defaultdict(list)
    n_images = 0
    for index, path in enumerate(files):
        with h5py.File(path, "r") as f:
            names = image_names(f)
            n_images += len(names)
            clean = read_truth(f, "raw", image=False)
            params = clean["params"]
            flat = {k: v for k, v in dedupe(flatten(params["item"])).items()
                    if k not in ("item.name", "item.index", "item.twin")}  # identifiers, not parameters
            flat.update({f"attrs.{k}": v for k, v in params["attrs"].items()
                         if k in ("uvw_direction", "chemical_formula", "angstrom_xy")})
            for d in json.loads(f["synthstem"].attrs.get("defects", "[]")) if "synthstem" in f else []:
                flat.update({f"defect{d.get('level', '')}.{k}": d[k] for k in ("kind", "amplitude") if k in d})
            items.append(flat)
            ip = params["item"]
            record = ip.get("accuracy") or item_record({"raw": ip.get("simulation", {})})
            accuracy.append(dict(record, item=path.stem,
                                 formula=params["attrs"].get("chemical_formula", ""),
                                 uvw=params["attrs"].get("uvw_direction", ""),
                                 thickness=(ip.get("simulation", {}).get("extent") or [0, 0, 0])[2]))
            classes.update(clean["labels"])
            elements.update(e for lab in clean["labels"] for e in elements_of(lab))
            for name in names:
                image = np.asarray(f["haadf"][name][()], dtype=np.float64)
                intensities[name].append(rng.choice(image.ravel(), min(pixel_sample, image.size), replace=False))
                if name != "raw":
                    t = read_truth(f, name, image=False)
                    rec = t["params"]["noise"] or {}
                    draws[name].append({**flatten(rec.get("draws") or {}, "draws"),
                                        **flatten(rec.get("condition") or {}, "condition")})
                if index in picked:
                    t = read_truth(f, name)
                    t["name"] = f"{path.stem}-{name}"
                    t["title"] = title_of(params["item"], params["attrs"])
                    shown[name].append(t)
    return {"dataset": str(dataset_dir), "n_items": len(files), "n_images": n_images,
            "items": items, "draws": dict(draws), "column_classes": classes, "accuracy": accuracy,
            "column_elements": elements,
            "intensities": {k: np.concatenate(v) for k, v in intensities.items()},
            "gallery": dict(shown)}
