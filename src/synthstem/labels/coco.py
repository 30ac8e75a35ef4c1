"""COCO instance annotations (pycocotools-compatible) of atom columns and defect regions.

Each atom column is one instance whose mask is its disc (:func:`synthstem.labels.masks.instance_map`:
pixels whose centre lies within ``radius`` px of the column, overlaps to the nearest column,
clipped to the image). ``segmentation`` is compressed COCO RLE made by
``pycocotools.mask.encode`` on a Fortran-ordered uint8 array (column-major), with ``counts``
decoded to ``str`` for JSON; ``bbox`` = ``[x, y, w, h]`` is the tight box of the mask in
continuous pixel coordinates with the origin at the top-left corner of the image (pixel
index ``i`` covers ``[i, i + 1)``; its centre is ``i + 0.5``), so it equals
``pycocotools.mask.toBbox`` of the RLE; ``area`` is the number of mask pixels.

Defect regions are instances of the category 'defect': their mask is the pixels whose
centre lies in the defect box, and their ``bbox`` is that mask's tight box.

Two documents per split, as MaskTerial does: ``*_with_class`` (one category per column
class, mixed columns such as 'O+Ti' being their own class, plus 'defect') and the
class-agnostic one (categories 'column' and 'defect').
"""

import numpy as np
from pycocotools import mask as mask_utils
from scipy import ndimage

from .masks import instance_map

DEFECT = "defect"
#: Categories of the class-agnostic documents.
AGNOSTIC_CATEGORIES = [
    {"id": 1, "name": "column", "supercategory": "column"},
    {"id": 2, "name": DEFECT, "supercategory": DEFECT},
]


def category_table(column_classes):
    """Categories of the with-class documents: sorted column classes get ids 1..K, 'defect' K+1.

    The ids are also the pixel values of the semantic masks.
    """
    names = sorted({str(c) for c in column_classes} - {DEFECT})
    cats = [{"id": i + 1, "name": n, "supercategory": "column"} for i, n in enumerate(names)]
    cats.append({"id": len(names) + 1, "name": DEFECT, "supercategory": DEFECT})
    return cats


def encode_rle(masks):
    """Compressed COCO RLE of boolean masks.

    Parameters
    ----------
    masks : array (rows, cols) or (rows, cols, n) of bool/uint8

    Returns
    -------
    dict or list of dict  ``{"size": [rows, cols], "counts": str}``
    """
    arr = np.asarray(masks)
    single = arr.ndim == 2
    if single:
        arr = arr[:, :, None]
    arr = np.asfortranarray(arr, dtype=np.uint8)  # no copy when already uint8, column-major
    rles = mask_utils.encode(arr)
    for rle in rles:
        rle["counts"] = rle["counts"].decode("ascii")
        rle["size"] = [int(s) for s in rle["size"]]
    return rles[0] if single else rles


def mask_bbox(mask):
    """Tight ``[x, y, w, h]`` (floats, top-left origin) of a non-empty boolean mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise ValueError("mask is empty")
    return [float(cols[0]), float(rows[0]), float(cols[-1] - cols[0] + 1), float(rows[-1] - rows[0] + 1)]


def box_mask(box, shape):
    """Pixels whose centre lies in a continuous top-left-origin box ``[x, y, w, h]`` [px]
    (half-open: ``x <= c + 0.5 < x + w``).

    A box thinner than a pixel still marks the pixel holding its centre (if in the image).
    """
    rows, cols = shape
    x, y, w, h = (float(v) for v in box)
    cc = np.arange(cols) + 0.5
    rr = np.arange(rows) + 0.5
    in_c = (cc >= x) & (cc < x + w)
    in_r = (rr >= y) & (rr < y + h)
    if not in_c.any():
        ci = int(np.floor(x + w / 2))
        if 0 <= ci < cols:
            in_c[ci] = True
    if not in_r.any():
        ri = int(np.floor(y + h / 2))
        if 0 <= ri < rows:
            in_r[ri] = True
    return in_r[:, None] & in_c[None, :]


def _group_units(xy, labels, groups, inst_map):
    """Columns sharing an instance id (``groups >= 0``) merged into one unit each:
    (unit xy, unit labels, unit map, representative column, unit instance id)."""
    groups = np.asarray(groups, dtype=np.int64).ravel()
    if len(groups) != len(xy):
        raise ValueError(f"groups ({len(groups)}) and xy ({len(xy)}) differ in length")
    key = np.where(groups >= 0, groups, -1 - np.arange(len(groups)))  # ungrouped: own unit
    uniq, first, unit = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # units in order of their first column
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    unit = rank[unit.ravel()]
    n = len(uniq)
    uxy = np.zeros((n, 2))
    np.add.at(uxy, unit, xy)
    uxy /= np.bincount(unit, minlength=n)[:, None]
    members = [[] for _ in range(n)]
    for i, u in enumerate(unit):
        members[u].append(labels[i])
    ulabels = [max(sorted(set(m)), key=m.count) for m in members]  # the most common class
    umap = np.where(inst_map >= 0, unit[np.maximum(inst_map, 0)], -1)
    return uxy, ulabels, umap, first[order], uniq[order]


def image_instances(xy, labels, shape, radius, defect_boxes=(), min_area=0, inst_map=None,
                    chunk=256, groups=None):
    """Instances (masks as RLE) of one image: one per column (or per group of columns),
    one per defect box.

    Parameters
    ----------
    xy : array (M, 2)  Column positions [px] (x, y), pixel-centre convention.
    labels : sequence of str (M,)  Column classes.
    shape : (rows, cols)
    radius : float  Column disc radius [px].
    defect_boxes : array (K, 4)  Defect boxes ``[x, y, w, h]`` in continuous top-left-origin
        pixel coordinates (see :func:`synthstem.labels.boxes.to_topleft`).
    min_area : int  Instances with fewer mask pixels are dropped (also columns clipped to
        nothing by the image edge, always).
    inst_map : (rows, cols) int, optional  A precomputed column label image (e.g. warped by
        an augmentation); default :func:`instance_map` of ``xy``.
    groups : array (M,) int, optional  Instance id of each column (scenes: cluster,
        particle; ``Columns.instance``): the columns of one id >= 0 are one instance, its
        mask the union of their discs, its class their most common class, its centre their
        mean; -1 = the column alone.

    Returns
    -------
    list of dict with keys ``label``, ``segmentation``, ``area``, ``bbox``, ``center``
    (continuous [x, y] of the column, absent for defects), ``column_index`` (-1 for defects;
    a group's first column) and, with ``groups``, ``instance`` (the id, -1 for a lone column).
    """
    shape = (int(shape[0]), int(shape[1]))
    labels = [str(s) for s in labels]
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if len(labels) != len(xy):
        raise ValueError(f"labels ({len(labels)}) and xy ({len(xy)}) differ in length")
    if min_area < 0:
        raise ValueError(f"min_area must be >= 0 pixels, got {min_area}")
    if inst_map is None:
        inst_map = instance_map(xy, shape, radius)
    inst_map = np.asarray(inst_map)
    if inst_map.shape != shape:
        raise ValueError(f"inst_map shape {inst_map.shape} differs from image shape {shape}")
    rep = ids = None
    if groups is not None:
        xy, labels, inst_map, rep, ids = _group_units(xy, labels, groups, inst_map)
    out = []
    areas = np.bincount(inst_map.ravel() + 1, minlength=len(xy) + 1)[1:]
    keep = np.flatnonzero((areas > 0) & (areas >= min_area))
    slices = ndimage.find_objects(inst_map + 1, max_label=len(xy))  # tight boxes, label i+1
    rr, cc = np.nonzero(inst_map >= 0)
    owner = inst_map[rr, cc]
    for start in range(0, len(keep), chunk):
        idx = keep[start:start + chunk]
        pos = np.full(len(xy), -1, dtype=np.int64)
        pos[idx] = np.arange(len(idx))
        sel = pos[owner] >= 0
        stack = np.zeros((shape[0], shape[1], len(idx)), dtype=np.uint8, order="F")
        stack[rr[sel], cc[sel], pos[owner[sel]]] = 1
        rles = encode_rle(stack)
        for k, i in enumerate(idx):
            sr, sc = slices[i]
            out.append({
                "label": labels[i],
                "segmentation": rles[k],
                "area": float(areas[i]),
                "bbox": [float(sc.start), float(sr.start), float(sc.stop - sc.start), float(sr.stop - sr.start)],
                "center": [float(xy[i, 0] + 0.5), float(xy[i, 1] + 0.5)],
                "column_index": int(i) if rep is None else int(rep[i]),
                **({} if ids is None else {"instance": int(max(ids[i], -1))}),
            })
    for box in np.asarray(defect_boxes, dtype=np.float64).reshape(-1, 4):
        m = box_mask(box, shape)
        area = int(m.sum())
        if area == 0 or area < min_area:
            continue
        out.append({
            "label": DEFECT,
            "segmentation": encode_rle(m),
            "area": float(area),
            "bbox": mask_bbox(m),
            "column_index": -1,
        })
    return out


def coco_document(images, instances, categories, agnostic=False, info=None, first_image_id=1,
                  first_annotation_id=1):
    """Assemble one COCO document.

    Parameters
    ----------
    images : list of dict  ``{"file_name", "width", "height", ...}`` (ids are assigned
        ``first_image_id``.. in list order unless an ``id`` is present).
    instances : list (per image) of lists of instances from :func:`image_instances`.
    categories : list of dict  With-class categories (:func:`category_table`); ignored when
        ``agnostic`` (then :data:`AGNOSTIC_CATEGORIES`).
    agnostic : bool  Class-agnostic document ('column' / 'defect').

    Returns
    -------
    dict  ``info``, ``licenses``, ``images``, ``annotations``, ``categories``.
    """
    if len(images) != len(instances):
        raise ValueError(f"images ({len(images)}) and instances ({len(instances)}) differ in length")
    cats = AGNOSTIC_CATEGORIES if agnostic else categories
    by_name = {c["name"]: c["id"] for c in cats}
    doc_images, annotations = [], []
    ann_id = int(first_annotation_id)
    for n, (img, insts) in enumerate(zip(images, instances)):
        img = dict(img)
        img.setdefault("id", int(first_image_id) + n)
        doc_images.append(img)
        for inst in insts:
            name = inst["label"]
            if agnostic:
                name = DEFECT if name == DEFECT else "column"
            if name not in by_name:
                raise ValueError(f"label {name!r} is not among the categories {sorted(by_name)}")
            ann = {
                "id": ann_id,
                "image_id": img["id"],
                "category_id": by_name[name],
                "segmentation": inst["segmentation"],
                "area": inst["area"],
                "bbox": inst["bbox"],
                "iscrowd": 0,
            }
            if "center" in inst:
                ann["center"] = inst["center"]
                ann["column_class"] = inst["label"]
            if "instance" in inst:  # scenes: the cluster / particle id
                ann["instance"] = inst["instance"]
            annotations.append(ann)
            ann_id += 1
    return {
        "info": dict(info or {"description": "synthstem synthetic HAADF-STEM annotations"}),
        "licenses": [],
        "images": doc_images,
        "annotations": annotations,
        "categories": [dict(c) for c in cats],
    }


def subset_document(doc, image_ids):
    """The document restricted to some image ids (used for few-shot subsets)."""
    keep = set(int(i) for i in image_ids)
    out = dict(doc)
    out["images"] = [im for im in doc["images"] if im["id"] in keep]
    out["annotations"] = [a for a in doc["annotations"] if a["image_id"] in keep]
    return out
