"""ML exports of a finished dataset: COCO, CVAT, semantic masks, heatmaps, defect boxes,
splits, few-shot subsets and augmented variants.

``export_dataset`` is a post-processing stage: it reads the items of a dataset folder with
``synthstem.io.hdf5.read_item`` and writes, under ``dataset_dir/annotations/`` (and
``dataset_dir/augmented/`` for augmented variants, same layout)::

    categories.json                       class ids, names, palette colours, radius used
    splits.json                           split, groups, seeds, few-shot subsets
    {split}_images/<item>-<cond>.png      8-bit image stretched like the atomagined PNGs (full frame)
    RLE_annotations/{split}_annotations_with_class.json   COCO, one class per column class
    RLE_annotations/{split}_annotations.json              COCO, class-agnostic
    RLE_annotations/{K}_shot/run_{i}/train_annotations[_with_class].json   few-shot
    {split}_semantic_masks/<stem>.png     pixel value = COCO category id (0 background)
    {split}_color_masks/<stem>.png        the same, coloured with masks.PALETTE
    {split}_heatmaps/<stem>.npz           per-element Gaussian heatmaps, peak map, coordinates
    cvat/{split}_annotations.xml          CVAT for images 1.1
    boxes/{split}_defect_boxes.json       {"<stem>.png": [[x, y, w, h], ...]}
    augmented only: params/<item>-<cond>.json    drawn parameters of every variant

``split`` is 'train'/'test' with ``splits``, else 'all'. Both folders are built as hidden
``.annotations.partial`` / ``.augmented.partial`` and renamed into place when complete
(a re-run replaces the previous export as a whole); the output depends only on the items
and ``seed``.
"""

import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..noise import augment as aug
from ..random import as_rng
from ..io.png import HIGH_PERCENTILE, LOW_PERCENTILE
from . import _io
from .boxes import boxes_document, clip_boxes, to_topleft
from .coco import DEFECT, category_table, coco_document, image_instances, subset_document
from .cvat import cvat_bytes, cvat_image_entry, cvat_tree
from .masks import (DEFAULT_RADIUS_ANGSTROM, DEFAULT_RADIUS_PX, colorize, elements_of,
                    gaussian_heatmaps, instance_map, palette_hex, semantic_mask)
from .splits import DEFAULT_RUNS, DEFAULT_SHOTS, few_shot_subsets, split_groups, structure_group

EXPORTS = ("coco", "cvat", "masks", "heatmaps", "boxes")
AUGMENT_KEYS = {"variants": 43, "n_transforms": (2, 4), "transforms": None, "ranges": None,
                "splits": None, "min_box_size": 2.0, "min_box_visible": 0.5, "shard_size": 2000}
SPLIT_KEYS = {"by": "structure", "test_fraction": 0.2, "few_shot": True,
              "shots": DEFAULT_SHOTS, "runs": DEFAULT_RUNS}
SPLIT_STAGE = 7  # SeedSequence stage id of the split stream
DEFAULT_HEATMAP_SIGMA_ANGSTROM = 0.25


@dataclass
class Annotated:
    """One exported image with its labels (all coordinates in pixels).

    ``xy`` follow the pixel-centre convention of docs/DESIGN.md; ``defect_boxes`` are
    continuous, top-left origin ``[x, y, w, h]``.
    """

    file_name: str
    image: np.ndarray
    xy: np.ndarray
    labels: list
    defect_boxes: np.ndarray
    radius: float
    sigma: float
    peak_map: np.ndarray | None = None
    inst_map: np.ndarray | None = None
    visible: np.ndarray | None = None
    png_range: tuple | None = None
    meta: dict = field(default_factory=dict)

    @property
    def stem(self):
        return self.file_name.rsplit(".", 1)[0]

    def instances_map(self):
        if self.inst_map is None:
            self.inst_map = instance_map(self.xy, self.image.shape, self.radius)
        return self.inst_map


# ----------------------------------------------------------------------------- items

def _get(obj, name, default=None):
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _columns(item, level=0):
    """(xy, labels) of an item: its Columns (those of the defected structure for defect
    ``level`` 1/2 when the item stores them), else unique projected positions labelled
    'column' (the defect variant's ``dlo_coords`` / ``dmd_coords`` for a defect level)."""
    cols = (_get(item, "defect_columns") or {}).get(level) if level else None
    if cols is None:
        extra = _get(item, "extra_coords") or {}
        key = {1: "dlo_coords", 2: "dmd_coords"}.get(level)
        if level and _get(item, "columns") is None and key in extra:
            xy = np.unique(np.round(np.asarray(extra[key], dtype=np.float64).reshape(-1, 2), 3), axis=0)
            return xy, ["column"] * len(xy)
        cols = _get(item, "columns")
    if cols is not None:
        xy = np.asarray(_get(cols, "xy"), dtype=np.float64).reshape(-1, 2)
        labels = [str(s) for s in _get(cols, "label")]
        return xy, labels
    full = np.asarray(_get(item, "full_coords"), dtype=np.float64).reshape(-1, 2)
    xy = np.unique(np.round(full, 3), axis=0)
    return xy, ["column"] * len(xy)


def _pixel_size(item, shape):
    attrs = _get(item, "attrs") or {}
    try:
        return float(str(attrs["angstrom_xy"]).strip("'\" ")) / shape[1]
    except (KeyError, ValueError, TypeError):
        return None


def _condition_suffix(condition):
    parts = str(condition).split("-", 1)
    return parts[1] if len(parts) == 2 and parts[0].startswith("stem") else str(condition)


#: defect level of the reference conditions (comb2 shows the level-1 defect, as in atomagined)
_DEFECT_LEVELS = {"dfct1": 1, "dfct2": 2, "comb1": 1, "comb2": 1}


def _noise_record(item, condition):
    """The item's recorded noise entry of an image (``Item.noise``), or None."""
    rec = (_get(item, "noise") or {}).get(str(condition))
    return rec if isinstance(rec, dict) else None


def _defect_level(item, condition):
    """0 for images of the clean structure, else the defect level (1 or 2) the image shows."""
    rec = _noise_record(item, condition)
    if rec is not None and isinstance(rec.get("condition"), dict):
        return int(rec["condition"].get("defect_level") or 0)
    return _DEFECT_LEVELS.get(_condition_suffix(condition), 0)


def _peak_key(condition, level=None):
    if level is None:
        level = _DEFECT_LEVELS.get(_condition_suffix(condition), 0)
    return f"dfct{level}" if level else "clean"


def condition_coords(item, condition, xy, peak_map=None):
    """Move label coordinates (and a peak map) through the drift / flyback of the
    condition that made ``condition``'s image, using its recorded draws (``Item.noise``).

    Images whose condition does not move the content are returned unchanged. Scan-line
    jitter is not applied (as in atomagined). Peak-map pixels are moved to the rounded
    new position (those leaving the frame are dropped).
    """
    rec = _noise_record(item, condition)
    if not rec or not rec.get("moves_image") or rec.get("draws") is None:
        return xy, peak_map
    from ..noise.conditions import ConditionParams, condition_from_dict

    d = {k: v for k, v in rec["condition"].items() if k != "name"}
    cond = condition_from_dict(str(rec["condition"].get("name", "c")), d)
    params = ConditionParams.from_dict(rec["draws"])
    shape = np.shape(_item_image(item, condition))
    xy = cond.map_coords(np.asarray(xy, dtype=np.float64).reshape(-1, 2), shape, params)
    if peak_map is not None:
        rows, cols = np.nonzero(peak_map)
        moved = np.rint(cond.map_coords(np.stack([cols, rows], axis=1).astype(np.float64), shape, params))
        ok = np.all(np.isfinite(moved), axis=1)
        moved = moved[ok].astype(np.int64)
        inside = (moved[:, 0] >= 0) & (moved[:, 0] < shape[1]) & (moved[:, 1] >= 0) & (moved[:, 1] < shape[0])
        peak_map = np.zeros(shape, dtype=bool)
        peak_map[moved[inside, 1], moved[inside, 0]] = True
    return xy, peak_map


def _item_image(item, condition):
    if condition == "raw":
        return np.asarray(_get(item, "raw"), dtype=np.float64)
    images = _get(item, "images") or {}
    if condition not in images:
        raise ValueError(f"image_condition {condition!r} not in item {_get(item, 'name')!r}; "
                         f"available: {sorted(images)} and 'raw'")
    return np.asarray(images[condition], dtype=np.float64)


def _defect_boxes(item, condition, shape):
    boxes = []
    wanted = {str(condition), _condition_suffix(condition)}
    for rec in _get(item, "defects") or []:
        if not isinstance(rec, dict) or rec.get("bbox_px") is None:
            continue
        conds = rec.get("conditions") or []
        conds = [conds] if isinstance(conds, str) else list(conds)
        if rec.get("condition") is not None:
            conds.append(rec["condition"])
        if any(str(c) in wanted or _condition_suffix(c) in wanted for c in conds):
            boxes.append(to_topleft(rec["bbox_px"])[0])
    b, _ = clip_boxes(np.asarray(boxes).reshape(-1, 4), shape, min_size=1.0)
    return b


def item_records(item, image_condition="stem00-clean", radius_angstrom=DEFAULT_RADIUS_ANGSTROM,
                 radius_px=None, heatmap_sigma_angstrom=DEFAULT_HEATMAP_SIGMA_ANGSTROM,
                 heatmap_sigma_px=None, skip_missing=False):
    """The :class:`Annotated` images of one item (one per condition in ``image_condition``).

    A condition the item lacks raises ``ValueError``, or is skipped with ``skip_missing``.

    Radii: ``radius_px`` if given, else ``radius_angstrom`` / pixel size (pixel size =
    ``attrs['angstrom_xy']`` / image width), else :data:`masks.DEFAULT_RADIUS_PX`. The
    heatmap sigma follows the same rule (fallback 2.5 px).
    """
    conditions = [image_condition] if isinstance(image_condition, str) else list(image_condition)
    name = str(_get(item, "name"))
    peak_maps = _get(item, "peak_maps") or {}
    out = []
    for cond in conditions:
        if skip_missing and cond != "raw" and cond not in (_get(item, "images") or {}):
            continue
        image = _item_image(item, cond)
        level = _defect_level(item, cond)
        xy, labels = _columns(item, level)  # a defect image: the defected structure's columns
        pm = peak_maps.get(_peak_key(cond, level), peak_maps.get("clean"))
        xy, pm = condition_coords(item, cond, xy, pm)
        px = _pixel_size(item, image.shape)
        radius = float(radius_px) if radius_px is not None else (
            radius_angstrom / px if px else DEFAULT_RADIUS_PX)
        sigma = float(heatmap_sigma_px) if heatmap_sigma_px is not None else (
            heatmap_sigma_angstrom / px if px else 2.5)
        if not radius > 0 or not sigma > 0:
            raise ValueError(f"radius ({radius} px) and heatmap sigma ({sigma} px) must be > 0")
        out.append(Annotated(
            file_name=f"{name}-{cond}.png", image=image, xy=xy, labels=labels,
            defect_boxes=_defect_boxes(item, cond, image.shape), radius=radius, sigma=sigma,
            peak_map=None if pm is None else np.asarray(pm, dtype=bool),
            visible=aug.points_visible(xy, image.shape),
            png_range=_display_range(image),
            meta={"item": name, "condition": cond, "pixel_size_angstrom": px, "variant": 0,
                  "defect_level": level},
        ))
    return out


def _display_range(image):
    """The 8-bit display range of an exported image: the percentiles the atomagined-style
    PNG previews use (io.png), so a few hot pixels of a noisy image do not darken it.
    Augmented variants keep their base image's range, so their intensity changes show."""
    lo, hi = (float(v) for v in np.percentile(image, [LOW_PERCENTILE, HIGH_PERCENTILE]))
    if not hi > lo:
        lo, hi = float(np.min(image)), float(np.max(image))
    return lo, hi


def augment_record(record, params, variant, min_box_size=2.0, min_box_visible=0.5):
    """The record of one augmented variant (image and every annotation transformed)."""
    image = aug.apply(record.image, params)
    xy = aug.transform_points(record.xy, params)
    boxes, _ = aug.transform_boxes(record.defect_boxes, params, min_size=min_box_size,
                                   min_visible=min_box_visible)
    m = np.asarray(params["matrix"])
    scale = float(np.sqrt(abs(np.linalg.det(m[:2, :2]))))
    meta = dict(record.meta, variant=int(variant), base=record.file_name)
    return replace(
        record,
        file_name=f"{record.stem}-a{variant:02d}.png", image=image, xy=xy, defect_boxes=boxes,
        radius=record.radius * scale, sigma=record.sigma * scale,
        peak_map=None if record.peak_map is None else aug.transform_peak_map(record.peak_map, params),
        inst_map=aug.warp_labels(record.instances_map(), params, fill=-1),
        visible=aug.points_visible(xy, image.shape), meta=meta,
    )


def augment_variants(record, variants=43, seed=0, n_transforms=(2, 4), transforms=None, ranges=None,
                     min_box_size=2.0, min_box_visible=0.5):
    """Yield ``(variant, params, record)`` for the original (variant 0) and ``variants`` variants.

    Variant ``v`` draws from :func:`synthstem.noise.augment.variant_rng` (seed, base file
    name, v), so it is reproducible alone.
    """
    if int(variants) < 0:
        raise ValueError(f"variants must be >= 0, got {variants}")
    shape = record.image.shape
    for v in range(int(variants) + 1):
        if v == 0:
            params = aug.identity_params(shape)
        else:
            params = aug.get_params(aug.variant_rng(seed, record.file_name, v), shape,
                                    n_transforms=n_transforms, transforms=transforms, ranges=ranges)
        params["variant"] = v
        params["seed"] = [int(seed), record.file_name, v]
        yield v, params, augment_record(record, params, v, min_box_size, min_box_visible)


# ----------------------------------------------------------------------------- writer

class _Writer:
    """Writes per-image files at once and keeps the per-split documents until ``finish``."""

    def __init__(self, root, exports, categories, min_area=0, write_files=True, shard_size=None):
        self.root = Path(root) if root is not None else None
        self.shard_size = None if not shard_size else int(shard_size)
        self.written = {}  # split -> [shards, images, annotations] already flushed
        self.exports = tuple(exports)
        self.categories = categories
        self.cat_id = {c["name"]: c["id"] for c in categories}
        self.min_area = int(min_area)
        self.write_files = write_files and self.root is not None
        self.coco = {}  # split -> (images, instances)
        self.cvat = {}
        self.boxes = {}
        self.arrays = {}  # in-memory results when not writing

    def _put(self, rel, kind, payload):
        if self.write_files:
            path = self.root / rel
            if kind == "png":
                _io.write_png(path, payload)
            elif kind == "npz":
                _io.write_npz(path, **payload)
        else:
            self.arrays[str(rel)] = payload

    def add(self, rec, split):
        shape = rec.image.shape
        lo, hi = rec.png_range or (None, None)
        self._put(Path(f"{split}_images") / rec.file_name, "png", _io.to_uint8(rec.image, lo, hi))
        need_inst = "coco" in self.exports or "masks" in self.exports
        if need_inst:
            inst = rec.instances_map()
            if self.min_area > 0:
                areas = np.bincount(inst.ravel() + 1, minlength=len(rec.xy) + 1)[1:]
                small = np.concatenate([[False], areas < self.min_area])
                inst = np.where(small[inst + 1], -1, inst)
        if "coco" in self.exports:
            insts = image_instances(rec.xy, rec.labels, shape, rec.radius, rec.defect_boxes,
                                    min_area=self.min_area, inst_map=inst)
            image = {"file_name": rec.file_name, "width": int(shape[1]), "height": int(shape[0]),
                     "synthstem": {k: v for k, v in rec.meta.items() if k != "params"}}
            imgs, all_insts = self.coco.setdefault(split, ([], []))
            imgs.append(image)
            all_insts.append(insts)
        if "masks" in self.exports:
            ids = [self.cat_id[lab] for lab in rec.labels]
            sem = semantic_mask(inst, ids)
            self._put(Path(f"{split}_semantic_masks") / f"{rec.stem}.png", "png", sem)
            self._put(Path(f"{split}_color_masks") / f"{rec.stem}.png", "png", colorize(sem))
        if "heatmaps" in self.exports:
            elements = sorted({e for c in self.categories if c["name"] != DEFECT
                               for e in elements_of(c["name"])})
            maps = gaussian_heatmaps(rec.xy, rec.labels, shape, rec.sigma, elements=elements)
            payload = {f"heatmap_{e}": maps[e].astype(np.float16) for e in elements}  # disk: half
            payload.update(
                elements=np.array(elements, dtype=str), xy=np.asarray(rec.xy, dtype=np.float32),
                labels=np.array(rec.labels, dtype=str), visible=np.asarray(rec.visible, dtype=bool),
                sigma_px=np.float64(rec.sigma),
            )
            if rec.peak_map is not None:
                payload["peak_map"] = rec.peak_map
            self._put(Path(f"{split}_heatmaps") / f"{rec.stem}.npz", "npz", payload)
        if "cvat" in self.exports:
            self.cvat.setdefault(split, []).append(cvat_image_entry(
                rec.file_name, shape, rec.xy, rec.labels, rec.radius, rec.defect_boxes, DEFECT))
        if "boxes" in self.exports:
            self.boxes.setdefault(split, []).append((rec.file_name, rec.defect_boxes))

    def state(self):
        """What a worker hands back: the accumulated per-split entries."""
        return self.coco, self.cvat, self.boxes

    def merge(self, state):
        coco, cvat, boxes = state
        for split, (imgs, insts) in coco.items():
            mine = self.coco.setdefault(split, ([], []))
            mine[0].extend(imgs)
            mine[1].extend(insts)
        for split, entries in cvat.items():
            self.cvat.setdefault(split, []).extend(entries)
        for split, entries in boxes.items():
            self.boxes.setdefault(split, []).extend(entries)
        if self.shard_size:
            for split in list(self.coco) + list(self.cvat) + list(self.boxes):
                if self._count(split) >= self.shard_size:
                    self._flush(split)

    def _count(self, split):
        return max(len(self.coco.get(split, ([], []))[0]), len(self.cvat.get(split, [])),
                   len(self.boxes.get(split, [])))

    def documents(self, splits=None):
        """The per-split documents: {'coco': {split: (with_class, agnostic)}, 'cvat': ..., 'boxes': ...}."""
        out = {"coco": {}, "cvat": {}, "boxes": {}}
        for split, (imgs, insts) in self.coco.items():
            if splits is not None and split not in splits:
                continue
            _, n_img, n_ann = self.written.get(split, (0, 0, 0))
            ids = dict(first_image_id=n_img + 1, first_annotation_id=n_ann + 1)
            out["coco"][split] = (coco_document(imgs, insts, self.categories, **ids),
                                  coco_document(imgs, insts, self.categories, agnostic=True, **ids))
        for split, entries in self.cvat.items():
            if splits is not None and split not in splits:
                continue
            names = [c["name"] for c in self.categories]
            out["cvat"][split] = cvat_tree(entries, names, task_name=f"synthstem-{split}",
                                           label_ids=self.cat_id)
        for split, entries in self.boxes.items():
            if splits is not None and split not in splits:
                continue
            out["boxes"][split] = boxes_document(entries)
        return out

    def _write(self, docs, suffix=""):
        for split, (with_class, agnostic) in docs["coco"].items():
            folder = self.root / "RLE_annotations"
            _io.write_json(folder / f"{split}_annotations_with_class{suffix(split)}.json", with_class)
            _io.write_json(folder / f"{split}_annotations{suffix(split)}.json", agnostic)
        for split, tree in docs["cvat"].items():
            _io.write_bytes(self.root / "cvat" / f"{split}_annotations{suffix(split)}.xml", cvat_bytes(tree))
        for split, doc in docs["boxes"].items():
            _io.write_json(self.root / "boxes" / f"{split}_defect_boxes{suffix(split)}.json", doc, indent=1)

    def _flush(self, split):
        """Write one shard of a split (files suffixed -0000, -0001, ...) and forget it."""
        docs = self.documents(splits={split})
        shard, n_img, n_ann = self.written.get(split, (0, 0, 0))
        if self.write_files:
            self._write(docs, suffix=lambda _s: f"-{shard:04d}")
        if split in docs["coco"]:
            n_img += len(docs["coco"][split][0]["images"])
            n_ann += len(docs["coco"][split][0]["annotations"])
        self.written[split] = (shard + 1, n_img, n_ann)
        self.coco.pop(split, None)
        self.cvat.pop(split, None)
        self.boxes.pop(split, None)

    def finish(self, few_shot=None):
        if self.write_files and "cvat" in self.exports:
            # for CVAT's task constructor ("Raw" labels editor): name, colour, type
            _io.write_json(self.root / "cvat" / "labels.json",
                           [{"name": c["name"], "color": palette_hex(c["id"]), "type": "any",
                             "attributes": []} for c in self.categories], indent=1)
        if self.shard_size:
            for split in sorted(set(self.coco) | set(self.cvat) | set(self.boxes)):
                if self._count(split):
                    self._flush(split)
            return {"coco": {}, "cvat": {}, "boxes": {}}
        docs = self.documents()
        if not self.write_files:
            return docs
        self._write(docs, suffix=lambda _s: "")
        if few_shot and "train" in docs["coco"]:
            with_class, agnostic = docs["coco"]["train"]
            for k, runs in few_shot.items():
                for run, sel in runs.items():
                    ids = [with_class["images"][i]["id"] for i in sel["images"]]
                    folder = self.root / "RLE_annotations" / f"{k}_shot" / f"run_{run}"
                    _io.write_json(folder / "train_annotations_with_class.json", subset_document(with_class, ids))
                    _io.write_json(folder / "train_annotations.json", subset_document(agnostic, ids))
        return docs


def _categories_doc(categories, extra):
    cats = [dict(c, color=palette_hex(c["id"])) for c in categories]
    return dict(extra, categories=cats, background_id=0,
                note="semantic mask pixel value = category id; 'defect' appears in COCO/CVAT/boxes only")


def _check_exports(exports):
    exports = tuple(exports)
    unknown = set(exports) - set(EXPORTS)
    if unknown:
        raise ValueError(f"unknown exports {sorted(unknown)}; known: {EXPORTS}")
    return exports


def _options(given, defaults, what):
    if given is None:
        return None
    if given is True:
        given = {}
    if not isinstance(given, dict):
        raise ValueError(f"{what} must be None or a dict of options, got {given!r}")
    unknown = set(given) - set(defaults)
    if unknown:
        raise ValueError(f"unknown {what} options {sorted(unknown)}; known: {sorted(defaults)}")
    return {**defaults, **given}


# ----------------------------------------------------------------------------- public API

def export_item(item, exports=EXPORTS, image_condition="stem00-clean", categories=None, out_dir=None,
                split="all", augment=None, seed=0, min_area=0, **radius_options):
    """Export one item (Python API).

    Parameters
    ----------
    item : Item (``synthstem.io.hdf5.Item``) or an object/dict with the same fields.
    exports : sequence of str  Among 'coco', 'cvat', 'masks', 'heatmaps', 'boxes'.
    image_condition : str or list of str  Image(s) of the item to export ('raw' allowed).
    categories : list of dict, optional  COCO categories (default: from this item's columns).
    out_dir : path, optional  If given, files are written there (layout of the module
        docstring, split ``split``); otherwise nothing is written.
    augment : dict, optional  Augmentation options (see :func:`export_dataset`).
    seed : int  Augmentation seed.
    min_area : int  Minimum instance area [px] in COCO and semantic masks.
    **radius_options : radius_angstrom, radius_px, heatmap_sigma_angstrom, heatmap_sigma_px.

    Returns
    -------
    dict  ``records`` (Annotated), ``coco`` {split: (with_class, agnostic)}, ``cvat``
    {split: ElementTree}, ``boxes`` {split: dict}, ``arrays`` (in-memory PNG/npz payloads
    when ``out_dir`` is None), ``augmented`` (the same for the variants, if ``augment``).
    """
    exports = _check_exports(exports)
    aug_opts = _options(augment, AUGMENT_KEYS, "augment")
    records = item_records(item, image_condition, **radius_options)
    if categories is None:
        categories = category_table(lab for r in records for lab in r.labels)
    writer = _Writer(out_dir, exports, categories, min_area=min_area)
    for rec in records:
        writer.add(rec, split)
    result = dict(writer.finish(), records=records, arrays=writer.arrays, categories=categories)
    if aug_opts:
        aroot = None if out_dir is None else Path(out_dir) / "augmented"
        awriter = _Writer(aroot, exports, categories, min_area=min_area)
        avars = []
        for rec in records:
            for v, params, arec in augment_variants(rec, aug_opts["variants"], seed, aug_opts["n_transforms"],
                                                    aug_opts["transforms"], aug_opts["ranges"],
                                                    aug_opts["min_box_size"], aug_opts["min_box_visible"]):
                awriter.add(arec, split)
                avars.append((params, arec))
        result["augmented"] = dict(awriter.finish(), variants=avars, arrays=awriter.arrays)
    return result


def _swap_in(partial, final):
    """Replace the folder ``final`` by ``partial`` (rename; the old one is removed after)."""
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(partial, final)
    if old.exists():
        shutil.rmtree(old)


def _find_items(dataset_dir):
    root = Path(dataset_dir)
    skip = {"annotations", "augmented", ".annotations.partial", ".augmented.partial",
            ".annotations.old", ".augmented.old"}
    return sorted(p for p in root.rglob("*.h5")
                  if not (set(p.relative_to(root).parts[:-1]) & skip))


def _prototype(item):
    params = _get(item, "params") or {}
    structure = params.get("structure") if isinstance(params, dict) else None
    if isinstance(structure, dict):
        for key in ("prototype", "source"):
            if structure.get(key):
                return str(structure[key])
    stack = [params]
    while stack:
        d = stack.pop()
        if isinstance(d, dict):
            for key in ("prototype", "source"):
                if isinstance(d.get(key), str):
                    return d[key]
            stack.extend(v for v in d.values() if isinstance(v, dict))
    attrs = _get(item, "attrs") or {}
    return str(attrs.get("chemical_formula", structure_group(_get(item, "name"))))


def _export_one(job, task):
    """Export one item (base images and their variants); a top-level function for workers.

    Per-image files are written here; the per-split entries come back to be merged in
    item order.
    """
    path, split = task
    item = job["reader"](path)
    writer = _Writer(job["root"], job["exports"], job["categories"], min_area=job["min_area"])
    aug_opts = job["aug_opts"]
    aug_split = aug_opts is not None and (aug_opts["splits"] is None or split in set(aug_opts["splits"]))
    awriter = (_Writer(job["aroot"], job["exports"], job["categories"], min_area=job["min_area"])
               if aug_split else None)
    n_images = n_aug = 0
    records = item_records(item, job["image_condition"], skip_missing=True, **job["radius_options"])
    for rec in records:
        rec.meta["split"] = split
        writer.add(rec, split)
        n_images += 1
        if awriter is None:
            continue
        plist = []
        for v, params, arec in augment_variants(
                rec, aug_opts["variants"], job["seed"], aug_opts["n_transforms"], aug_opts["transforms"],
                aug_opts["ranges"], aug_opts["min_box_size"], aug_opts["min_box_visible"]):
            awriter.add(arec, split)
            plist.append(dict(params, file_name=arec.file_name))
            n_aug += 1
        _io.write_json(job["aroot"] / "params" / f"{rec.stem}.json",
                       {"base": rec.file_name, "split": split, "variants": plist}, indent=1)
    return writer.state(), None if awriter is None else awriter.state(), n_images, n_aug


def export_dataset(dataset_dir, exports=EXPORTS, augment=None, splits=None, seed=0,
                   image_condition="stem00-clean", min_area=0, radius_angstrom=DEFAULT_RADIUS_ANGSTROM,
                   radius_px=None, heatmap_sigma_angstrom=DEFAULT_HEATMAP_SIGMA_ANGSTROM,
                   heatmap_sigma_px=None, reader=None, workers=1, progress=False):
    """Write the ML exports of a finished dataset folder (see the module docstring for layout).

    Parameters
    ----------
    dataset_dir : path  Folder holding the item ``*.h5`` files (searched recursively,
        skipping ``annotations/`` and ``augmented/``).
    exports : sequence of str  Among 'coco', 'cvat', 'masks', 'heatmaps', 'boxes'.
    augment : None or dict  ``variants`` (43), ``n_transforms`` ((2, 4)), ``transforms``
        (None = all kinds may be drawn), ``ranges`` (overrides of
        ``synthstem.noise.augment.DEFAULT_RANGES``), ``splits`` (None = every split, or a list
        such as ['train']), ``min_box_size`` (2.0 px), ``min_box_visible`` (0.5), ``shard_size``
        (2000: the augmented COCO / CVAT / box files are written in shards of about this many
        images, named ``..._annotations-0000.json``, so memory stays bounded; 0 or None: one
        file per split, unsuffixed).
    splits : None or dict  ``by`` ('structure' | 'prototype'), ``test_fraction`` (0.2),
        ``few_shot`` (True), ``shots`` ((1, 2, 3, 5, 10)), ``runs`` (10). None: one split 'all'.
    seed : int  Seeds the split, the few-shot subsets and the augmentations.
    image_condition : str or list of str  Image(s) exported per item (items lacking one are
        skipped for it and counted in the report), e.g. 'stem00-clean' or
        ['stem00-clean', 'stem00-dfct1']; defect boxes come from the ``item.defects`` records
        whose ``conditions`` (or ``condition``) name that image ('dfct1' or 'stem00-dfct1').
    min_area : int  Minimum instance area [px] (COCO and semantic masks).
    radius_angstrom, radius_px : Column disc radius (px wins if given) [Angstrom] / [px].
    heatmap_sigma_angstrom, heatmap_sigma_px : Heatmap Gaussian sigma.
    reader : callable(path) -> Item, optional  Default ``synthstem.io.hdf5.read_item`` (must be
        picklable when ``workers`` > 1).
    workers : int  Processes exporting items in parallel (results merged in item order, so
        the output does not depend on it).
    progress : bool  Show a tqdm bar.

    Returns
    -------
    dict  Paths written and counts: ``root``, ``augmented_root``, ``n_items``, ``n_images``,
    ``n_augmented``, ``splits``.
    """
    exports = _check_exports(exports)
    aug_opts = _options(augment, AUGMENT_KEYS, "augment")
    split_opts = _options(splits, SPLIT_KEYS, "splits")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if reader is None:
        from ..io.hdf5 import read_item as reader
    dataset_dir = Path(dataset_dir)
    if not dataset_dir.is_dir():
        raise FileNotFoundError(f"dataset_dir {str(dataset_dir)!r} is not a folder")
    paths = _find_items(dataset_dir)
    if not paths:
        raise FileNotFoundError(f"no *.h5 items under dataset_dir {str(dataset_dir)!r}")
    radius_options = dict(radius_angstrom=radius_angstrom, radius_px=radius_px,
                          heatmap_sigma_angstrom=heatmap_sigma_angstrom, heatmap_sigma_px=heatmap_sigma_px)

    # pass 1: column classes and split groups
    labels, names, groups = set(), [], []
    for p in paths:
        item = reader(p)
        names.append(str(_get(item, "name")))
        labels.update(_columns(item)[1])
        for level in (_get(item, "defect_columns") or {}):
            labels.update(_columns(item, level)[1])
        if split_opts and split_opts["by"] == "prototype":
            groups.append(_prototype(item))
        elif split_opts and split_opts["by"] == "structure":
            groups.append(structure_group(names[-1]))
        elif split_opts:
            raise ValueError(f"splits['by'] must be 'structure' or 'prototype', got {split_opts['by']!r}")
    categories = category_table(labels)

    if split_opts:
        srng = as_rng(np.random.SeedSequence([int(seed), SPLIT_STAGE]))
        train, test = split_groups(groups, split_opts["test_fraction"], srng)
        split_of = {i: "train" for i in train} | {i: "test" for i in test}
    else:
        split_of = {i: "all" for i in range(len(paths))}

    # everything is written into hidden partial folders, swapped in at the end, so a
    # re-run never leaves stale files and an interrupted run never leaves a half export
    final_root, final_aroot = dataset_dir / "annotations", dataset_dir / "augmented"
    root, aroot = dataset_dir / ".annotations.partial", dataset_dir / ".augmented.partial"
    for folder in (root, aroot):
        if folder.exists():
            shutil.rmtree(folder)
    try:
        writer = _Writer(root, exports, categories, min_area=min_area)
        awriter = (_Writer(aroot, exports, categories, min_area=min_area, shard_size=aug_opts["shard_size"])
                   if aug_opts else None)
        job = dict(reader=reader, root=root, aroot=aroot, exports=exports, categories=categories,
                   min_area=min_area, image_condition=image_condition, radius_options=radius_options,
                   aug_opts=aug_opts, seed=int(seed))
        tasks = [(paths[i], split_of[i]) for i in range(len(paths))]
        n_images = n_aug = n_skipped = 0
        workers = int(workers)
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if workers == 1:
            results = (_export_one(job, t) for t in tasks)
            pool = None
        else:
            from concurrent.futures import ProcessPoolExecutor
            from functools import partial

            pool = ProcessPoolExecutor(max_workers=workers)
            results = pool.map(partial(_export_one, job), tasks)  # in task order: deterministic
        if progress:
            from tqdm import tqdm
            results = tqdm(results, total=len(tasks), desc="exports", unit="item")
        try:
            for base_state, aug_state, n_img, n_var in results:
                writer.merge(base_state)
                if awriter is not None and aug_state is not None:
                    awriter.merge(aug_state)
                n_images += n_img
                n_aug += n_var
                n_skipped += len([image_condition] if isinstance(image_condition, str) else image_condition) - n_img
        finally:
            if pool is not None:
                pool.shutdown()

        if n_images == 0:
            raise ValueError(f"no item has the image_condition {image_condition!r}: nothing exported")

        # few-shot subsets (on the with-class training document)
        few_shot = None
        docs = writer.documents()
        if split_opts and split_opts["few_shot"] and "coco" in exports and "train" in docs["coco"]:
            with_class = docs["coco"]["train"][0]
            index_of = {im["id"]: n for n, im in enumerate(with_class["images"])}
            present = [set() for _ in with_class["images"]]
            for a in with_class["annotations"]:
                present[index_of[a["image_id"]]].add(a["category_id"])
            few_shot = few_shot_subsets(present, [c["id"] for c in categories],
                                        split_opts["shots"], split_opts["runs"], seed)
        writer.finish(few_shot)
        if awriter is not None:
            awriter.finish()

        extra = {"radius": {"angstrom": radius_angstrom, "px": radius_px},
                 "heatmap_sigma": {"angstrom": heatmap_sigma_angstrom, "px": heatmap_sigma_px},
                 "min_area": int(min_area), "image_condition": image_condition}
        _io.write_json(root / "categories.json", _categories_doc(categories, extra), indent=1)
        if awriter is not None:
            _io.write_json(aroot / "categories.json", _categories_doc(categories, extra), indent=1)
        split_doc = {
            "seed": int(seed),
            "options": None if split_opts is None else {k: list(v) if isinstance(v, tuple) else v
                                                        for k, v in split_opts.items()},
            "items": {n: split_of[i] for i, n in enumerate(names)},
            "groups": {n: g for n, g in zip(names, groups)} if groups else None,
        }
        if few_shot:
            train_files = docs["coco"]["train"][0]["images"]
            split_doc["few_shot"] = {
                f"{k}_shot": {f"run_{r}": {"seed": sel["seed"],
                                           "images": [train_files[j]["file_name"] for j in sel["images"]]}
                              for r, sel in runs.items()}
                for k, runs in few_shot.items()}
        _io.write_json(root / "splits.json", split_doc, indent=1)
        _swap_in(root, final_root)
        if awriter is not None:
            _swap_in(aroot, final_aroot)
    except BaseException:
        for folder in (root, aroot):
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return {"root": str(final_root), "augmented_root": str(final_aroot) if awriter is not None else None,
            "n_items": len(paths), "n_images": n_images, "n_augmented": n_aug,
            "n_skipped_missing_condition": n_skipped,
            "splits": sorted(set(split_of.values()))}


__all__ = ["export_dataset", "export_item", "item_records", "augment_record", "augment_variants",
           "Annotated", "EXPORTS"]
