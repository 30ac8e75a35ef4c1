"""``export_dataset``: the ML exports of a finished dataset folder; ``export_item`` for one item.

Steps: find the items; read each once for its column classes (the categories) and split
group; split; then per item (in worker processes if asked) build its records
(:mod:`.records`), write their per-image files through every format's ``add`` (and those
of their augmented variants, :mod:`.augment`), and gather the per-split entries in item
order; finish the formats (split documents), the few-shot subsets, ``categories.json`` and
``splits.json``. Everything is written into hidden ``.annotations.partial`` /
``.augmented.partial`` folders swapped into place at the end, so a re-run replaces the
previous export as a whole and an interrupted one leaves nothing half written.
"""

import shutil
from pathlib import Path

import numpy as np

from ..labels.coco import category_table
from ..labels.masks import palette_hex
from . import registry
from .augment import augment_variants
from .base import Context, FileSink, MemorySink
from .few_shot import write_few_shot
from .images import Format as Images
from .pool import ordered_map, swap_in
from .records import column_classes, field_of, item_records
from .splits import assign_splits, group_of, splits_document

EXPORT_FOLDERS = ("annotations", "augmented")
_SKIP = set(EXPORT_FOLDERS) | {f".{f}.{s}" for f in EXPORT_FOLDERS for s in ("partial", "old")}
_RADIUS_KEYS = ("radius_angstrom", "radius_px", "heatmap_sigma_angstrom", "heatmap_sigma_px")


def find_items(dataset_dir):
    """The item files (``*.h5``) under a dataset folder, outside the export folders, sorted."""
    root = Path(dataset_dir)
    return sorted(p for p in root.rglob("*.h5") if not (set(p.relative_to(root).parts[:-1]) & _SKIP))


def open_formats(exports, sink, context):
    """The images writer and one started instance of every named format."""
    formats = [Images()] + [registry.format_class(name)() for name in exports]
    for f in formats:
        f.begin(sink, context)
    return formats


def _add(formats, record):
    return [(record.split, f.add(record)) for f in formats]


def _export_one(job, task):
    """Write one item's per-image files (base images and their variants) and return the
    per-format entries to gather; a top-level function for worker processes."""
    path, split = task
    item = job["reader"](path)
    base = open_formats(job["exports"], FileSink(job["root"]), job["context"])
    aug = job["augment"]
    if aug is not None and aug["splits"] is not None and split not in set(aug["splits"]):
        aug = None
    augmented = open_formats(job["exports"], FileSink(job["aroot"]), job["aug_context"]) if aug else None
    base_entries, aug_entries = [[] for _ in base], [[] for _ in augmented or ()]
    records = item_records(item, job["image_condition"], skip_missing=True, **job["radius"])
    n_aug = 0
    for rec in records:
        rec.split = split
        rec.meta["split"] = split
        for entries, pair in zip(base_entries, _add(base, rec)):
            entries.append(pair)
        if aug is None:
            continue
        plist = []
        for _, params, arec in augment_variants(
                rec, aug["variants"], job["seed"], aug["n_transforms"], aug["transforms"], aug["ranges"],
                aug["min_box_size"], aug["min_box_visible"]):
            for entries, pair in zip(aug_entries, _add(augmented, arec)):
                entries.append(pair)
            plist.append(dict(params, file_name=arec.file_name))
            n_aug += 1
        FileSink(job["aroot"]).json(f"params/{rec.stem}.json",
                                    {"base": rec.file_name, "split": split, "variants": plist}, indent=1)
    return base_entries, aug_entries if aug else None, len(records), n_aug


def categories_document(categories, options):
    """``categories.json``: the radius / sigma / min_area / image conditions used, then every
    category with its palette colour."""
    extra = {"radius": {"angstrom": options["radius_angstrom"], "px": options["radius_px"]},
             "heatmap_sigma": {"angstrom": options["heatmap_sigma_angstrom"], "px": options["heatmap_sigma_px"]},
             "min_area": int(options["min_area"]), "image_condition": options["image_condition"]}
    cats = [dict(c, color=palette_hex(c["id"])) for c in categories]
    return dict(extra, categories=cats, background_id=0,
                note="semantic mask pixel value = category id; 'defect' appears in COCO/CVAT/boxes only")


def _check(options):
    unknown = set(options) - set(registry.EXPORT_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown export options {sorted(unknown)}; known: {sorted(registry.EXPORT_DEFAULTS)}")
    opts = {**registry.EXPORT_DEFAULTS, **options}
    opts["exports"] = registry.check_exports(opts["exports"])
    seed = opts["seed"]
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if opts["tiff_dtype"] not in registry.TIFF_DTYPES:
        raise ValueError(f"tiff_dtype must be one of {list(registry.TIFF_DTYPES)}, got {opts['tiff_dtype']!r}")
    if int(opts["min_area"]) < 0:
        raise ValueError(f"min_area must be >= 0 pixels, got {opts['min_area']}")
    return opts


def export_dataset(dataset_dir, exports=registry.EXPORT_DEFAULTS["exports"], augment=None, splits=None, *,
                   reader=None, workers=1, progress=False, **options):
    """Write the ML exports of a finished dataset folder (layout: docs/exports.md).

    Parameters
    ----------
    dataset_dir : path  Folder holding the item ``*.h5`` files (searched recursively,
        skipping ``annotations/`` and ``augmented/``).
    exports : sequence of str  Format names from ``registry.NAMES`` (the 8-bit images,
        ``categories.json`` and ``splits.json`` are always written).
    augment : None or dict  Augmented variants: keys and defaults in
        ``registry.AUGMENT_DEFAULTS`` (``variants`` 0 = none).
    splits : None or dict  Train/test split and few-shot subsets: keys and defaults in
        ``registry.SPLIT_DEFAULTS`` (``by`` 'none' = one split 'all').
    reader : callable(path) -> Item, optional  Default ``synthstem.io.hdf5.read_item``
        (picklable when ``workers`` > 1).
    workers : int  Processes exporting items in parallel (output independent of it).
    progress : bool  Show a tqdm bar.
    **options : the rest of ``registry.EXPORT_DEFAULTS``: ``image_condition`` (str or list; items lacking one are skipped for it and counted),
        ``min_area`` [px], ``radius_angstrom`` / ``radius_px``, ``heatmap_sigma_angstrom`` /
        ``heatmap_sigma_px``, ``seed``, ``tiff_dtype`` ('float32' or 'uint16').

    Returns
    -------
    dict  ``root``, ``augmented_root``, ``n_items``, ``n_images``, ``n_augmented``,
    ``n_skipped_missing_condition``, ``splits``.
    """
    opts = _check(dict(options, exports=exports))
    aug = registry.augment_options(augment)
    split_opts = registry.split_options(splits)
    seed = int(opts["seed"])
    if reader is None:
        from ..io.hdf5 import read_item as reader
    dataset_dir = Path(dataset_dir)
    if not dataset_dir.is_dir():
        raise FileNotFoundError(f"dataset_dir {str(dataset_dir)!r} is not a folder")
    paths = find_items(dataset_dir)
    if not paths:
        raise FileNotFoundError(f"no *.h5 items under dataset_dir {str(dataset_dir)!r}")

    # pass 1: column classes and split groups
    classes, names, groups = set(), [], []
    for p in paths:
        item = reader(p)
        names.append(str(field_of(item, "name")))
        classes.update(column_classes(item))
        groups.append(group_of(item, names[-1], split_opts["by"]) if split_opts else None)
    categories = category_table(classes)
    split_of = assign_splits(groups, split_opts, seed)

    final_root, final_aroot = dataset_dir / "annotations", dataset_dir / "augmented"
    root, aroot = dataset_dir / ".annotations.partial", dataset_dir / ".augmented.partial"
    for folder in (root, aroot):
        if folder.exists():
            shutil.rmtree(folder)
    conditions = [opts["image_condition"]] if isinstance(opts["image_condition"], str) else opts["image_condition"]
    try:
        fopts = {k: opts[k] for k in registry.FORMAT_OPTIONS}
        context = Context(tuple(categories), int(opts["min_area"]), dataset_dir=dataset_dir, options=fopts)
        aug_context = Context(tuple(categories), int(opts["min_area"]),
                              (int(aug["shard_size"]) or None) if aug else None, options=fopts)
        base = open_formats(opts["exports"], FileSink(root), context)
        augmented = open_formats(opts["exports"], FileSink(aroot), aug_context) if aug else None
        job = dict(reader=reader, root=root, aroot=aroot, exports=opts["exports"], context=context,
                   aug_context=aug_context, image_condition=opts["image_condition"],
                   radius={k: opts[k] for k in _RADIUS_KEYS}, augment=aug, seed=seed)
        n_images = n_aug = 0
        tasks = list(zip(paths, split_of))
        with ordered_map(_export_one, job, tasks, workers, progress) as results:
            for base_entries, aug_entries, n_img, n_var in results:
                for f, entries in zip(base, base_entries):
                    f.gather(entries)
                if aug_entries is not None:
                    for f, entries in zip(augmented, aug_entries):
                        f.gather(entries)
                n_images += n_img
                n_aug += n_var
        if n_images == 0:
            raise ValueError(f"no item has the image_condition {opts['image_condition']!r}: nothing exported")
        documents = {f.name: f.finish() for f in base}
        for f in augmented or ():
            f.finish()

        few_shot = None
        if split_opts and split_opts["few_shot"] and "train" in documents.get("coco", {}):
            with_class, agnostic = documents["coco"]["train"]
            few_shot = write_few_shot(FileSink(root), with_class, agnostic, [c["id"] for c in categories],
                                      split_opts["shots"], split_opts["runs"], seed)
        cats = categories_document(categories, opts)
        FileSink(root).json("categories.json", cats, indent=1)
        if aug:
            FileSink(aroot).json("categories.json", cats, indent=1)
        FileSink(root).json("splits.json", splits_document(seed, split_opts, names, split_of, groups, few_shot),
                            indent=1)
        swap_in(root, final_root)
        if aug:
            swap_in(aroot, final_aroot)
    except BaseException:
        for folder in (root, aroot):
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return {"root": str(final_root), "augmented_root": str(final_aroot) if aug else None,
            "n_items": len(paths), "n_images": n_images, "n_augmented": n_aug,
            "n_skipped_missing_condition": len(conditions) * len(paths) - n_images,
            "splits": sorted(set(split_of))}


def export_item(item, exports=registry.EXPORT_DEFAULTS["exports"], *, augment=None, categories=None, split="all",
                **options):
    """Export one item in memory (nothing is written).

    Parameters
    ----------
    item : Item (``synthstem.io.hdf5.Item``) or an object / dict with the same fields.
    exports : sequence of str  As for :func:`export_dataset`.
    augment : None or dict  As for :func:`export_dataset`.
    categories : list of dict, optional  COCO categories (default: from this item's columns).
    split : str  Split name used in the file paths.
    **options : as for :func:`export_dataset` (``seed`` seeds the augmentation).

    Returns
    -------
    dict  ``records`` (Annotated), ``categories``, ``files`` {relative path: array, dict or
    bytes} and ``documents`` {format: {split: document}}; with ``augment``, ``augmented``:
    ``variants`` [(params, record)], ``files``, ``documents``.
    """
    opts = _check(dict(options, exports=exports))
    aug = registry.augment_options(augment)
    records = item_records(item, opts["image_condition"], **{k: opts[k] for k in _RADIUS_KEYS})
    if categories is None:
        categories = category_table(lab for r in records for lab in r.labels)
    context = Context(tuple(categories), int(opts["min_area"]),
                      options={k: opts[k] for k in registry.FORMAT_OPTIONS})

    def run(recs):
        sink = MemorySink()
        formats = open_formats(opts["exports"], sink, context)
        for rec in recs:
            rec.split = split
            for f, pair in zip(formats, _add(formats, rec)):
                f.gather([pair])
        return sink.files, {f.name: f.finish() for f in formats[1:]}

    files, documents = run(records)
    result = {"records": records, "categories": categories, "files": files, "documents": documents}
    if aug:
        variants = [(params, arec) for rec in records for _, params, arec in augment_variants(
            rec, aug["variants"], opts["seed"], aug["n_transforms"], aug["transforms"], aug["ranges"],
            aug["min_box_size"], aug["min_box_visible"])]
        afiles, adocs = run([arec for _, arec in variants])
        result["augmented"] = {"variants": variants, "files": afiles, "documents": adocs}
    return result
