"""HDF5 items in the atomagined layout.

One file per item, laid out exactly as the public atomagined dataset::

    /                      attrs angstrom_xy, chemical_formula, hkl_plane, icsd_collcode,
                                 uvw_direction   (scalar variable-length ASCII strings)
    /haadf/raw             float64 (N, N)  fraction of the incident beam on the detector
    /haadf/stem00-clean    float32 (N, N)  one dataset per noise condition
    /haadf/peak_map_clean  bool    (N, N)  (+ peak_map_dfct1/2 for defect variants)
    /projection/full_coords  float32 (n, 2) projected atom positions [pixels] (x, y)
    /projection/dlo_coords, dmd_coords     defect variants' atom positions (if any)

so that ``f['haadf']['stem00-clean']`` and ``f.attrs['uvw_direction']`` behave on our
files exactly as on the reference ones. Our extras never disturb such readers: the root
attribute ``synthstem_version`` and the group ``/synthstem`` (attributes ``params``,
``seed``, ``defects`` as JSON, ``version``; the dataset ``noise`` (JSON: every image's
condition and random draws); the per-column tables ``columns/*`` and, per defect level,
``columns_dfct1/*``, ``columns_dfct2/*``; per-atom atomic numbers ``atoms/numbers``).
Scene items add ``columns/instance`` (int64 per column: cluster / particle / grain id, -1
none) and ``columns/depth`` (float64 mean z [Angstrom]); files without them load with
``Columns.instance = Columns.depth = None``.

Files are written to a temporary name in the destination folder and renamed with
``os.replace`` when complete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from ..structures.columns import Columns
from .files import atomic_hdf5

ROOT_ATTRS = ("angstrom_xy", "chemical_formula", "hkl_plane", "icsd_collcode", "uvw_direction")
_ASCII = h5py.string_dtype("ascii")
_UTF8 = h5py.string_dtype("utf-8")

#: names of the defect-variant coordinate sets, by defect level
DEFECT_COORDS = {1: "dlo_coords", 2: "dmd_coords"}


# -- atomagined textual style --------------------------------------------------------------
def format_size(size):
    """'26' for 26.0 [Angstrom], '12.5' for 12.5."""
    return f"{float(size):g}"


def format_formula(formula):
    """Quoted when it has several parts: 'Sb', "'Lu Ni Sn2'", "'K2 (Mo4 O13)'"."""
    formula = str(formula).strip().strip("'")
    return f"'{formula}'" if " " in formula else formula


def format_triple(values):
    """'(0.0, 2.0, 1.0)', '(0.0, 38.0366, 205.779)': floats to 6 significant digits."""
    values = [float(f"{float(v):.6g}") + 0.0 for v in values]
    if len(values) != 3:
        raise ValueError(f"expected three components, got {values}")
    return str(tuple(values))


def parse_triple(text):
    """Inverse of :func:`format_triple` -> tuple of 3 floats."""
    parts = str(text).strip().strip("()[]").split(",")
    if len(parts) != 3:
        raise ValueError(f"not a triple: {text!r}")
    return tuple(float(p) for p in parts)


def root_attrs(size, formula, hkl, structure_id, uvw):
    """The five atomagined root attributes as strings."""
    return {
        "angstrom_xy": format_size(size),
        "chemical_formula": format_formula(formula),
        "hkl_plane": format_triple(hkl),
        "icsd_collcode": str(int(structure_id)),
        "uvw_direction": format_triple(uvw),
    }


# -- the item -------------------------------------------------------------------------------
@dataclass
class Item:
    """Everything stored in one item file (see module docstring for the layout).

    Attributes
    ----------
    name : str
        Item name, e.g. '020790.000201' (file stem).
    attrs : dict[str, str]
        The five atomagined root attributes as strings.
    raw : ndarray (N, N) float64
        Noise-free image, fraction of the incident beam.
    images : dict[str, ndarray]
        float32 images by dataset name ('stem00-clean', 'stem01-comb1', ...).
    peak_maps : dict[str, ndarray]
        bool maps by suffix ('clean', 'dfct1', 'dfct2').
    full_coords : ndarray (n, 2) float32
        Projected atom positions [pixels] (x, y).
    extra_coords : dict[str, ndarray]
        Other projections ('dlo_coords', 'dmd_coords'), float32 (n, 2).
    columns : Columns or None
        Merged columns (xy, label, counts, z_sum, atom_indices).
    numbers : ndarray (n,) int or None
        Atomic number of each atom of ``full_coords``.
    defects : list[dict]
        ``DefectRecord.to_dict()`` plus 'condition'.
    params : dict
        Every parameter used (JSON-safe).
    noise : dict
        Per image (dataset name): the condition ('condition', ``Condition.to_dict()``), its
        random draws ('draws', ``ConditionParams.to_dict()``; None for 'raw'), 'pixel_size'
        [Angstrom], 'source' ('raw' or 'dfct1'/'dfct2': the image the noise was applied to)
        and 'moves_image' (drift/flyback moved the content: see ``condition_coords``).
        ``Condition.apply_params(source, ConditionParams.from_dict(draws), pixel_size)``
        gives the stored image again. Stored as JSON in the dataset ``synthstem/noise``.
    defect_columns : dict[int, Columns]
        Merged columns of the defected structure of each defect level (1, 2); stored as
        ``synthstem/columns_dfct1``, ``columns_dfct2`` (layout of ``synthstem/columns``).
    seed : dict or int or None
        What regenerates this item (run seed and item index).
    version : str or None
        synthstem version that wrote the file.
    """

    name: str
    attrs: dict
    raw: np.ndarray
    images: dict = field(default_factory=dict)
    peak_maps: dict = field(default_factory=dict)
    full_coords: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    extra_coords: dict = field(default_factory=dict)
    columns: object = None
    numbers: np.ndarray | None = None
    defects: list = field(default_factory=list)
    params: dict = field(default_factory=dict)
    noise: dict = field(default_factory=dict)
    defect_columns: dict = field(default_factory=dict)
    seed: object = None
    version: str | None = None

    def dataset_names(self):
        """HDF5 dataset names under /haadf, in write order."""
        return ["raw", *self.images, *(f"peak_map_{k}" for k in self.peak_maps)]


def as_columns(columns, what="columns"):
    """``columns`` as :class:`~synthstem.structures.columns.Columns` (a dict with exactly its
    fields is converted; anything else is a ValueError naming ``what``)."""
    if columns is None or isinstance(columns, Columns):
        return columns
    if isinstance(columns, dict):
        try:
            return Columns(**columns)
        except TypeError as err:
            raise ValueError(f"{what}: {err}") from None
    raise ValueError(f"{what} must be synthstem.structures.columns.Columns, got {type(columns).__name__}")


def _columns_to_arrays(columns):
    xy = np.asarray(columns.xy, dtype=np.float64).reshape(-1, 2)
    label = [str(s) for s in columns.label]
    counts = np.asarray(columns.counts, dtype=np.int64)
    z_sum = np.asarray(columns.z_sum, dtype=np.float64)
    indices = [np.asarray(a, dtype=np.int64).ravel() for a in columns.atom_indices]
    offsets = np.cumsum([0, *(len(a) for a in indices)]).astype(np.int64)
    flat = np.concatenate(indices) if indices else np.zeros(0, np.int64)
    out = dict(xy=xy, label=label, counts=counts, z_sum=z_sum, atom_indices=flat,
               atom_offsets=offsets)
    for key, dtype in (("instance", np.int64), ("depth", np.float64)):  # scenes only
        if getattr(columns, key, None) is not None:
            out[key] = np.asarray(getattr(columns, key), dtype=dtype).ravel()
    return out


def _columns_from_group(g):
    xy = g["xy"][()]
    label = [s.decode() if isinstance(s, bytes) else str(s) for s in g["label"][()]]
    offsets = g["atom_offsets"][()]
    flat = g["atom_indices"][()]
    return Columns(xy=xy, label=label, counts=g["counts"][()], z_sum=g["z_sum"][()],
                   atom_indices=[flat[offsets[k]:offsets[k + 1]] for k in range(len(offsets) - 1)],
                   instance=g["instance"][()] if "instance" in g else None,
                   depth=g["depth"][()] if "depth" in g else None)


def _json(obj):
    return json.dumps(obj, sort_keys=True, allow_nan=False, default=_json_default)


def _json_default(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _check_item(item):
    missing = [k for k in ROOT_ATTRS if k not in item.attrs]
    if missing:
        raise ValueError(f"item {item.name!r}: missing root attributes {missing}")
    raw = np.asarray(item.raw)
    if raw.ndim != 2:
        raise ValueError(f"item {item.name!r}: raw must be 2D, got shape {raw.shape}")
    for key, img in {**item.images, **{f"peak_map_{k}": v for k, v in item.peak_maps.items()}}.items():
        if np.shape(img) != raw.shape:
            raise ValueError(f"item {item.name!r}: {key} has shape {np.shape(img)}, raw {raw.shape}")
    coords = np.asarray(item.full_coords)
    if coords.ndim != 2 or coords.shape[1] != 2:
        raise ValueError(f"item {item.name!r}: full_coords must be (n, 2), got {coords.shape}")


def write_item(path, item):
    """Write ``item`` to ``path`` (atomically: temporary file + ``os.replace``).

    Returns the final path.
    """
    path = Path(path)
    _check_item(item)
    with atomic_hdf5(path) as f:  # built in memory: HDF5 never meets a full disk
        for key in ROOT_ATTRS:
            f.attrs.create(key, str(item.attrs[key]), dtype=_ASCII)
        if item.version is not None:
            f.attrs.create("synthstem_version", str(item.version), dtype=_ASCII)
        haadf = f.create_group("haadf")
        haadf.create_dataset("raw", data=np.asarray(item.raw, dtype=np.float64))
        for key, img in item.images.items():
            haadf.create_dataset(key, data=np.asarray(img, dtype=np.float32))
        for key, pm in item.peak_maps.items():
            haadf.create_dataset(f"peak_map_{key}", data=np.asarray(pm, dtype=bool))
        proj = f.create_group("projection")
        proj.create_dataset("full_coords", data=np.asarray(item.full_coords, np.float32))
        for key, xy in item.extra_coords.items():
            proj.create_dataset(key, data=np.asarray(xy, np.float32).reshape(-1, 2))
        ours = f.create_group("synthstem")
        ours.attrs.create("params", _json(item.params), dtype=_UTF8)
        ours.attrs.create("seed", _json(item.seed), dtype=_UTF8)
        ours.attrs.create("defects", _json(list(item.defects)), dtype=_UTF8)
        ours.attrs.create("version", str(item.version), dtype=_UTF8)
        if item.noise:  # a dataset, not an attribute: may exceed the 64 kB attribute limit
            ours.create_dataset("noise", data=_json(item.noise), dtype=_UTF8)
        column_sets = {"columns": as_columns(item.columns)}
        column_sets.update({f"columns_dfct{k}": as_columns(v, f"defect_columns[{k}]")
                            for k, v in sorted(item.defect_columns.items())})
        for group, columns in column_sets.items():
            if columns is None:
                continue
            cols = _columns_to_arrays(columns)
            g = ours.create_group(group)
            g.create_dataset("xy", data=cols["xy"])
            g.create_dataset("label", data=np.array(cols["label"], dtype=object), dtype=_UTF8)
            for key in ("counts", "z_sum", "atom_indices", "atom_offsets", "instance", "depth"):
                if key in cols:  # instance, depth: scene items only (bulk files unchanged)
                    g.create_dataset(key, data=cols[key])
        if item.numbers is not None:
            ours.create_dataset("atoms/numbers", data=np.asarray(item.numbers, np.int64))
    return path


def _str(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def read_item(path):
    """Read an item file (ours or a reference atomagined file) into an :class:`Item`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no item file at {path}")
    with h5py.File(path, "r") as f:
        attrs = {k: _str(f.attrs[k]) for k in ROOT_ATTRS if k in f.attrs}
        if "haadf" not in f or "raw" not in f["haadf"]:
            raise ValueError(f"{path}: not an item file (no haadf/raw)")
        haadf = f["haadf"]
        raw = haadf["raw"][()]
        images, peak_maps = {}, {}
        for key in haadf:
            if key == "raw":
                continue
            if key.startswith("peak_map_"):
                peak_maps[key[len("peak_map_"):]] = haadf[key][()]
            else:
                images[key] = haadf[key][()]
        proj = f.get("projection")
        full = proj["full_coords"][()] if proj is not None and "full_coords" in proj else np.zeros((0, 2), np.float32)
        extra = {k: proj[k][()] for k in proj if k != "full_coords"} if proj is not None else {}
        ours = f.get("synthstem")
        columns = numbers = seed = version = None
        params, defects, noise, defect_columns = {}, [], {}, {}
        if ours is not None:
            params = json.loads(_str(ours.attrs.get("params", "{}")))
            seed = json.loads(_str(ours.attrs.get("seed", "null")))
            defects = json.loads(_str(ours.attrs.get("defects", "[]")))
            version = _str(ours.attrs["version"]) if "version" in ours.attrs else None
            if "columns" in ours:
                columns = _columns_from_group(ours["columns"])
            for level in (1, 2):
                if f"columns_dfct{level}" in ours:
                    defect_columns[level] = _columns_from_group(ours[f"columns_dfct{level}"])
            if "noise" in ours:
                noise = json.loads(_str(ours["noise"][()]))
            if "atoms" in ours and "numbers" in ours["atoms"]:
                numbers = ours["atoms/numbers"][()]
    # keep a stable order: stem conditions sorted as written (h5py lists alphabetically)
    return Item(name=path.stem, attrs=attrs, raw=raw, images=images, peak_maps=peak_maps,
                full_coords=full, extra_coords=extra, columns=columns, numbers=numbers,
                defects=defects, params=params, noise=noise, defect_columns=defect_columns,
                seed=seed, version=version)


def item_arrays(item):
    """Flat {hdf5 path: array} view of an item's arrays (for comparisons and checks)."""
    out = {"haadf/raw": np.asarray(item.raw)}
    out.update({f"haadf/{k}": np.asarray(v) for k, v in item.images.items()})
    out.update({f"haadf/peak_map_{k}": np.asarray(v) for k, v in item.peak_maps.items()})
    out["projection/full_coords"] = np.asarray(item.full_coords)
    out.update({f"projection/{k}": np.asarray(v) for k, v in item.extra_coords.items()})
    return out
