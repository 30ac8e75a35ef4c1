"""Exported images with their labels (:class:`Annotated`), built from dataset items.

An item (``synthstem.io.hdf5.Item``, or an object / dict with the same fields) gives one
record per exported image condition: the image, its column positions and classes (those of
the defected structure for a defect image, moved through the drift / flyback of the
condition that made the image), its defect boxes, peak map and the disc radius and heatmap
sigma in pixels.
"""

from dataclasses import dataclass, field

import numpy as np

from ..io.png import display_range
from ..labels.boxes import condition_boxes
from ..labels.image_labels import image_defect_level, move_with_record
from ..labels.masks import DEFAULT_RADIUS_PX, instance_map
from ..labels.splits import structure_group
from .registry import EXPORT_DEFAULTS
from .transforms import points_visible

#: heatmap sigma [px] when the pixel size is unknown
DEFAULT_SIGMA_PX = 2.5
#: defect level of the reference conditions (comb2 shows the level-1 defect, as in atomagined)


@dataclass
class Annotated:
    """One exported image with its labels (all coordinates in pixels).

    ``xy`` follow the pixel-centre convention of docs/DESIGN.md; ``defect_boxes`` are
    continuous, top-left origin ``[x, y, w, h]``; ``png_range`` is the (lo, hi) of the 8-bit
    image; ``split`` names the folder the files go to.
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
    split: str = "all"
    groups: np.ndarray | None = None

    @property
    def stem(self):
        return self.file_name.rsplit(".", 1)[0]

    def instances_map(self):
        """The column instance map (index of the owning column, -1 background), cached."""
        if self.inst_map is None:
            self.inst_map = instance_map(self.xy, self.image.shape, self.radius)
        return self.inst_map


def field_of(item, name, default=None):
    """``item.name`` or ``item[name]``."""
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


def item_columns(item, level=0):
    """(xy, labels) of an item: its Columns (those of the defected structure for defect
    ``level`` 1/2 when the item stores them), else unique projected positions labelled
    'column' (the defect variant's ``dlo_coords`` / ``dmd_coords`` for a defect level)."""
    cols = (field_of(item, "defect_columns") or {}).get(level) if level else None
    if cols is None:
        extra = field_of(item, "extra_coords") or {}
        key = {1: "dlo_coords", 2: "dmd_coords"}.get(level)
        if level and field_of(item, "columns") is None and key in extra:
            xy = np.unique(np.round(np.asarray(extra[key], dtype=np.float64).reshape(-1, 2), 3), axis=0)
            return xy, ["column"] * len(xy)
        cols = field_of(item, "columns")
    if cols is not None:
        xy = np.asarray(field_of(cols, "xy"), dtype=np.float64).reshape(-1, 2)
        return xy, [str(s) for s in field_of(cols, "label")]
    full = np.asarray(field_of(item, "full_coords"), dtype=np.float64).reshape(-1, 2)
    xy = np.unique(np.round(full, 3), axis=0)
    return xy, ["column"] * len(xy)


def item_groups(item, level=0):
    """Instance id per column of ``item_columns(item, level)`` (scenes), else None."""
    cols = (field_of(item, "defect_columns") or {}).get(level) if level else field_of(item, "columns")
    inst = None if cols is None else field_of(cols, "instance")
    return None if inst is None else np.asarray(inst, dtype=np.int64)


def column_classes(item):
    """Every column class of an item, its defected structures' included."""
    classes = set(item_columns(item)[1])
    for level in field_of(item, "defect_columns") or {}:
        classes.update(item_columns(item, level)[1])
    return classes


def _pixel_size(item, shape):
    attrs = field_of(item, "attrs") or {}
    try:
        return float(str(attrs["angstrom_xy"]).strip("'\" ")) / shape[1]
    except (KeyError, ValueError, TypeError):
        return None


def _noise_record(item, condition):
    """The item's recorded noise entry of an image (``Item.noise``), or None."""
    rec = (field_of(item, "noise") or {}).get(str(condition))
    return rec if isinstance(rec, dict) else None


def defect_level(item, condition):
    """0 for images of the clean structure, else the defect level (1 or 2) the image shows."""
    return image_defect_level(condition, _noise_record(item, condition))


def peak_key(condition, level=None):
    """The item's ``peak_maps`` key of an image: 'clean', 'dfct1' or 'dfct2'."""
    if level is None:
        level = image_defect_level(condition)
    return f"dfct{level}" if level else "clean"


def item_image(item, condition):
    """The float64 image ``condition`` of an item ('raw' allowed); ValueError if absent."""
    if condition == "raw":
        return np.asarray(field_of(item, "raw"), dtype=np.float64)
    images = field_of(item, "images") or {}
    if condition not in images:
        raise ValueError(f"image_condition {condition!r} not in item {field_of(item, 'name')!r}; "
                         f"available: {sorted(images)} and 'raw'")
    return np.asarray(images[condition], dtype=np.float64)


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
    return move_with_record(rec, xy, peak_map, np.shape(item_image(item, condition)))


def item_records(item, image_condition=EXPORT_DEFAULTS["image_condition"],
                 radius_angstrom=EXPORT_DEFAULTS["radius_angstrom"], radius_px=None,
                 heatmap_sigma_angstrom=EXPORT_DEFAULTS["heatmap_sigma_angstrom"], heatmap_sigma_px=None,
                 skip_missing=False):
    """The :class:`Annotated` images of one item (one per condition in ``image_condition``).

    A condition the item lacks raises ``ValueError``, or is skipped with ``skip_missing``.

    Radii: ``radius_px`` if given, else ``radius_angstrom`` / pixel size (pixel size =
    ``attrs['angstrom_xy']`` / image width), else ``labels.masks.DEFAULT_RADIUS_PX``. The
    heatmap sigma follows the same rule (fallback :data:`DEFAULT_SIGMA_PX`).
    """
    conditions = [image_condition] if isinstance(image_condition, str) else list(image_condition)
    name = str(field_of(item, "name"))
    peak_maps = field_of(item, "peak_maps") or {}
    out = []
    for cond in conditions:
        if skip_missing and cond != "raw" and cond not in (field_of(item, "images") or {}):
            continue
        image = item_image(item, cond)
        level = defect_level(item, cond)
        xy, labels = item_columns(item, level)  # a defect image: the defected structure's columns
        pm = peak_maps.get(peak_key(cond, level), peak_maps.get("clean"))
        xy, pm = condition_coords(item, cond, xy, pm)
        px = _pixel_size(item, image.shape)
        radius = float(radius_px) if radius_px is not None else (
            radius_angstrom / px if px else DEFAULT_RADIUS_PX)
        sigma = float(heatmap_sigma_px) if heatmap_sigma_px is not None else (
            heatmap_sigma_angstrom / px if px else DEFAULT_SIGMA_PX)
        if not radius > 0 or not sigma > 0:
            raise ValueError(f"radius ({radius} px) and heatmap sigma ({sigma} px) must be > 0")
        out.append(Annotated(
            file_name=f"{name}-{cond}.png", image=image, xy=xy, labels=labels,
            defect_boxes=condition_boxes(field_of(item, "defects"), cond, image.shape), radius=radius, sigma=sigma,
            peak_map=None if pm is None else np.asarray(pm, dtype=bool),
            visible=points_visible(xy, image.shape),
            png_range=display_range(image),
            meta={"item": name, "condition": cond, "pixel_size_angstrom": px, "variant": 0,
                  "defect_level": level},
            groups=item_groups(item, level),
        ))
    return out


def prototype_group(item):
    """The prototype (else source, else chemical formula) an item was built from."""
    params = field_of(item, "params") or {}
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
    attrs = field_of(item, "attrs") or {}
    return str(attrs.get("chemical_formula", structure_group(field_of(item, "name"))))


def kept_instances(record, min_area=0):
    """The record's instance map with columns of fewer than ``min_area`` pixels removed."""
    inst = record.instances_map()
    if min_area > 0:
        areas = np.bincount(inst.ravel() + 1, minlength=len(record.xy) + 1)[1:]
        small = np.concatenate([[False], areas < min_area])
        inst = np.where(small[inst + 1], -1, inst)
    return inst
