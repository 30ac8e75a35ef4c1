"""The export formats by name, and every export option's default: the one place both live.

A format is a module named in :data:`FORMATS` that defines a class ``Format`` following
:class:`synthstem.exports.base.Format` (``begin``, ``add``, ``gather``, ``finish``). The run
config's allowed ``output.exports`` values, the CLI and the docs' table read
:data:`NAMES`; the config's defaults read :data:`EXPORT_DEFAULTS`,
:data:`AUGMENT_DEFAULTS` and :data:`SPLIT_DEFAULTS`. Adding a format: one module (and its
test) and one line in :data:`FORMATS` (docs/exports.md, "Adding a format").

The defaults are those runs have always used (``[output]`` of a run config): no export
format unless asked, no augmented variants, no train/test split. So a dataset exported with
the defaults is byte for byte what it was before the registry.
"""

import copy
import numbers
from importlib import import_module

#: name -> module defining ``Format`` (imported only when the format is used)
FORMATS = {
    "coco": "synthstem.exports.coco",
    "cvat": "synthstem.exports.cvat",
    "masks": "synthstem.exports.masks",
    "heatmaps": "synthstem.exports.heatmaps",
    "boxes": "synthstem.exports.boxes",
    "store": "synthstem.exports.store",
    "hspy": "synthstem.exports.hspy",
    "tiff": "synthstem.exports.tiff",
    "hf": "synthstem.exports.hf",
}
#: the allowed values of ``exports`` (and of a run config's ``output.exports``)
NAMES = tuple(FORMATS)

#: defaults of :func:`synthstem.exports.export_dataset`'s options
EXPORT_DEFAULTS = {
    "exports": (),                        # names from NAMES; the images are always written
    "image_condition": ("stem00-clean",),  # dataset names of the exported images ('raw' allowed)
    "min_area": 0,                        # minimum instance area [px] (COCO, semantic masks)
    "radius_angstrom": 0.5,               # column disc radius [Angstrom]
    "radius_px": None,                    # column disc radius [px] (wins over radius_angstrom)
    "heatmap_sigma_angstrom": 0.25,       # heatmap Gaussian sigma [Angstrom]
    "heatmap_sigma_px": None,             # heatmap Gaussian sigma [px] (wins)
    "seed": 0,                            # seeds the split, few-shot subsets, augmentations
    "tiff_dtype": "float32",              # 'tiff' pixels: 'float32' (the image) or 'uint16' (min..max)
}
#: options of EXPORT_DEFAULTS that formats read (``Context.options``)
FORMAT_OPTIONS = ("tiff_dtype",)
TIFF_DTYPES = ("float32", "uint16")
#: ``augment`` options: ``variants`` 0 means no augmented folder
AUGMENT_DEFAULTS = {
    "variants": 0,             # augmented variants per exported image (plus the original)
    "n_transforms": (2, 4),    # (min, max) transforms drawn per variant
    "transforms": None,        # None: drawn among all; or exactly these
    "ranges": None,            # overrides of synthstem.exports.transforms.DEFAULT_RANGES
    "splits": None,            # None: every split; or e.g. ['train']
    "min_box_size": 2.0,       # boxes thinner than this after the transform are dropped [px]
    "min_box_visible": 0.5,    # boxes with less of their area in view are dropped
    "shard_size": 2000,        # images per augmented COCO/CVAT/box file (0: one file)
}
#: ``splits`` options: ``by`` 'none' means one split 'all'
SPLIT_DEFAULTS = {
    "by": "none",              # 'none', 'structure' or 'prototype'
    "test_fraction": 0.2,      # target fraction of items on the test side
    "few_shot": True,          # write few-shot subsets of the training split (needs 'coco')
    "shots": (1, 2, 3, 5, 10),  # few-shot sizes (images per class)
    "runs": 10,                # subsets drawn per size
}
SPLIT_BY = ("none", "structure", "prototype")


def defaults():
    """A fresh copy of every default: ``{**EXPORT_DEFAULTS, "augment": {...}, "splits": {...}}``."""
    return copy.deepcopy({**EXPORT_DEFAULTS, "augment": AUGMENT_DEFAULTS, "splits": SPLIT_DEFAULTS})


def check_exports(exports):
    """The tuple of export names, or ValueError naming the unknown ones."""
    if isinstance(exports, str):
        exports = (exports,)
    exports = tuple(exports)
    unknown = [e for e in exports if e not in FORMATS]
    if unknown:
        raise ValueError(f"unknown exports {sorted(unknown)}; known: {list(NAMES)}")
    return exports


def format_class(name):
    """The ``Format`` class of a registered export name."""
    return import_module(FORMATS[check_exports(name)[0]]).Format


def options(given, table, what):
    """Merge ``given`` (None, True or a dict) over the defaults ``table``; unknown keys raise.

    Returns the merged dict (key order of ``table``) or None when ``given`` is None.
    """
    if given is None:
        return None
    if given is True:
        given = {}
    if not isinstance(given, dict):
        raise ValueError(f"{what} must be None or a dict of options, got {given!r}")
    unknown = set(given) - set(table)
    if unknown:
        raise ValueError(f"unknown {what} options {sorted(unknown)}; known: {sorted(table)}")
    return {**copy.deepcopy(table), **given}


def augment_options(given):
    """``augment`` merged over :data:`AUGMENT_DEFAULTS`; None when no variant is asked."""
    opts = options(given, AUGMENT_DEFAULTS, "augment")
    if opts is None:
        return None
    variants = opts["variants"]
    if isinstance(variants, bool) or not isinstance(variants, numbers.Integral) or variants < 0:
        raise ValueError(f"augment['variants'] must be an integer >= 0, got {variants!r}")
    return opts if variants else None


def split_options(given):
    """``splits`` merged over :data:`SPLIT_DEFAULTS`; None for one split 'all' (``by='none'``)."""
    opts = options(given, SPLIT_DEFAULTS, "splits")
    if opts is None:
        return None
    if opts["by"] not in SPLIT_BY:
        raise ValueError(f"splits['by'] must be one of {list(SPLIT_BY)}, got {opts['by']!r}")
    return None if opts["by"] == "none" else opts
