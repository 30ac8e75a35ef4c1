"""COCO, masks, heatmaps, CVAT and box encoders, tested on synthetic columns."""

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from synthstem.labels.boxes import boxes_document, clip_boxes, to_topleft
from synthstem.labels.coco import (AGNOSTIC_CATEGORIES, box_mask, category_table, coco_document,
                                   encode_rle, image_instances)
from synthstem.labels.cvat import cvat_bytes, cvat_image_entry, cvat_tree
from synthstem.labels.masks import (PALETTE, colorize, disc_mask, gaussian_heatmaps, instance_map,
                                    rasterise_points, semantic_mask)

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

SHAPE = (64, 80)  # rows, cols: non-square to catch x/y swaps


def columns(seed=0, n=40):
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(-2, SHAPE[1] + 1, n), rng.uniform(-2, SHAPE[0] + 1, n)])
    xy[0] = (0.0, 0.0)  # clipped at the corner
    xy[1] = (30.0, 20.0)
    xy[2] = (32.5, 20.0)  # overlaps column 1
    labels = [("Sr", "O", "O+Ti")[i % 3] for i in range(n)]
    return xy, labels


def test_instance_map_matches_naive_discs_and_nearest_rule():
    xy, _ = columns()
    radius = 3.0
    inst = instance_map(xy, SHAPE, radius)
    discs = np.stack([disc_mask(x, y, SHAPE, radius) for x, y in xy])
    # a pixel is labelled iff it is in some disc, and then by its nearest column
    assert np.array_equal(inst >= 0, discs.any(axis=0))
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    d2 = (c[None] - xy[:, 0, None, None]) ** 2 + (r[None] - xy[:, 1, None, None]) ** 2
    nearest = np.argmin(d2, axis=0)
    assert np.array_equal(inst[inst >= 0], nearest[inst >= 0])
    # a column with no neighbour within two radii owns exactly its plain disc
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) + np.eye(len(xy)) * 1e9
    isolated = np.flatnonzero(d.min(axis=1) > 2 * radius)
    assert len(isolated) > 5
    for i in isolated:
        assert np.array_equal(inst == i, discs[i])


def test_rle_decodes_to_drawn_mask_and_bbox_matches():
    xy, labels = columns()
    inst = instance_map(xy, SHAPE, 3.0)
    boxes = np.array([[10.0, 12.0, 7.5, 4.0], [75.0, 60.0, 20.0, 20.0]])  # second clipped
    insts = image_instances(xy, labels, SHAPE, 3.0, boxes)
    cols = [d for d in insts if d["column_index"] >= 0]
    assert len(cols) == len(np.unique(inst[inst >= 0]))
    for d in insts:
        rle = dict(d["segmentation"], counts=d["segmentation"]["counts"].encode())
        decoded = mask_utils.decode(rle).astype(bool)
        assert decoded.shape == SHAPE
        if d["column_index"] >= 0:
            assert np.array_equal(decoded, inst == d["column_index"])
        assert list(mask_utils.toBbox(rle)) == pytest.approx(d["bbox"])
        assert float(mask_utils.area(rle)) == d["area"] == decoded.sum()
        assert isinstance(d["segmentation"]["counts"], str)
    defects = [d for d in insts if d["column_index"] < 0]
    for d, b in zip(defects, boxes):
        rle = dict(d["segmentation"], counts=d["segmentation"]["counts"].encode())
        assert np.array_equal(mask_utils.decode(rle).astype(bool), box_mask(b, SHAPE))
    # pixel-centre rule: box [10, 12, 7.5, 4] covers pixel centres 10.5..16.5 and 12.5..15.5
    assert defects[0]["bbox"] == [10.0, 12.0, 7.0, 4.0]


def test_rle_is_column_major_fortran():
    m = np.zeros((4, 5), dtype=bool)
    m[1, 0] = m[2, 0] = True  # two consecutive pixels down the first column
    rle = encode_rle(m)
    assert rle["size"] == [4, 5]
    # uncompressed counts: 1 zero, 2 ones, rest zeros -> column-major run
    assert list(mask_utils.toBbox(dict(rle, counts=rle["counts"].encode()))) == [0.0, 1.0, 1.0, 2.0]


def test_min_area_drops_edge_clipped_columns():
    xy, labels = columns()
    full = image_instances(xy, labels, SHAPE, 3.0)
    big = image_instances(xy, labels, SHAPE, 3.0, min_area=25)
    assert len(big) < len(full)
    assert all(d["area"] >= 25 for d in big)
    assert 0 not in [d["column_index"] for d in big]  # corner column keeps 9 px < 25


def test_coco_documents_load_with_pycocotools(tmp_path):
    xy, labels = columns()
    cats = category_table(labels)
    assert [c["name"] for c in cats] == ["O", "O+Ti", "Sr", "defect"]
    insts = [image_instances(xy, labels, SHAPE, 3.0, [[5, 5, 6, 6]]),
             image_instances(xy[::-1] * 0.5, labels[::-1], SHAPE, 2.0)]
    images = [{"file_name": "a.png", "width": SHAPE[1], "height": SHAPE[0]},
              {"file_name": "b.png", "width": SHAPE[1], "height": SHAPE[0]}]
    for agnostic in (False, True):
        doc = coco_document(images, insts, cats, agnostic=agnostic)
        path = tmp_path / f"doc{agnostic}.json"
        path.write_text(json.dumps(doc))
        coco = COCO(str(path))
        assert len(coco.getImgIds()) == 2
        assert len(coco.getAnnIds()) == sum(len(i) for i in insts)
        names = {c["name"] for c in coco.loadCats(coco.getCatIds())}
        assert names == ({"column", "defect"} if agnostic else {"O", "O+Ti", "Sr", "defect"})
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=[1])):
            m = coco.annToMask(ann)
            assert m.shape == SHAPE and m.sum() == ann["area"]
            cat = coco.loadCats(ann["category_id"])[0]["name"]
            if "column_class" in ann:
                assert cat == ("column" if agnostic else ann["column_class"])
            else:
                assert cat == "defect"
    assert AGNOSTIC_CATEGORIES[0]["name"] == "column"


def test_semantic_mask_ids_are_the_coco_category_ids():
    xy, labels = columns(1)
    cats = category_table(labels)
    cat_id = {c["name"]: c["id"] for c in cats}
    inst = instance_map(xy, SHAPE, 3.0)
    sem = semantic_mask(inst, [cat_id[lab] for lab in labels])
    doc = coco_document([{"file_name": "a.png", "width": SHAPE[1], "height": SHAPE[0]}],
                        [image_instances(xy, labels, SHAPE, 3.0, inst_map=inst)], cats)
    covered = np.zeros(SHAPE, dtype=bool)
    for ann in doc["annotations"]:
        m = mask_utils.decode(dict(ann["segmentation"], counts=ann["segmentation"]["counts"].encode())).astype(bool)
        assert np.all(sem[m] == ann["category_id"])
        covered |= m
    assert np.all(sem[~covered] == 0)
    assert sem.dtype == np.uint8
    rgb = colorize(sem)
    assert rgb.shape == SHAPE + (3,)
    assert np.array_equal(rgb[sem == 0], np.zeros(((sem == 0).sum(), 3), np.uint8))
    assert np.array_equal(rgb[sem == 2][0], PALETTE[2])


def test_heatmaps_peak_one_max_combination_and_mixed_columns():
    xy = np.array([[20.0, 20.0], [22.0, 20.0], [50.0, 40.0]])
    labels = ["O", "O", "O+Ti"]
    maps = gaussian_heatmaps(xy, labels, SHAPE, sigma=2.0)
    assert sorted(maps) == ["O", "Ti"]
    assert maps["O"][20, 20] == pytest.approx(1.0) and maps["O"][20, 22] == pytest.approx(1.0)
    # overlap by max, not sum: midpoint value is a single Gaussian's value
    assert maps["O"][20, 21] == pytest.approx(np.exp(-0.5 * 0.25), rel=1e-6)
    assert maps["Ti"][40, 50] == pytest.approx(1.0) and maps["O"][40, 50] == pytest.approx(1.0)
    assert maps["Ti"][20, 20] == 0
    # the fast local-window version equals the plain full-image formula
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    naive = np.max([np.exp(-((c - x) ** 2 + (r - y) ** 2) / 8.0) for x, y in xy], axis=0)
    assert np.allclose(maps["O"], naive, atol=4e-4)  # truncated at 4 sigma: exp(-8) ~ 3e-4


def test_rasterise_points():
    pm = rasterise_points([[1.4, 2.6], [-3, 0], [79.4, 63.4]], SHAPE)
    assert pm.sum() == 2 and pm[3, 1] and pm[63, 79]


def test_cvat_xml_parses_and_ellipses_sit_on_columns():
    xy, labels = columns(2)
    cats = category_table(labels)
    boxes = to_topleft([[10, 10, 6, 4]])
    entry = cvat_image_entry("a.png", SHAPE, xy, labels, 3.0, boxes)
    tree = cvat_tree([entry], [c["name"] for c in cats])
    root = ET.fromstring(cvat_bytes(tree))
    assert root.tag == "annotations" and root.find("version").text == "1.1"
    declared = [lab.find("name").text for lab in root.iter("label")]
    assert declared == ["O", "O+Ti", "Sr", "defect"]
    image = root.find("image")
    assert (image.get("name"), image.get("width"), image.get("height")) == ("a.png", "80", "64")
    ellipses = image.findall("ellipse")
    inside = [(x, y, lab) for (x, y), lab in zip(xy, labels)
              if 0 <= x + 0.5 < SHAPE[1] and 0 <= y + 0.5 < SHAPE[0]]
    assert len(ellipses) == len(inside) > 0
    for el in ellipses:
        assert el.get("label") in declared
        assert {"occluded", "source", "z_order", "rx", "ry"} <= set(el.attrib)
        cx, cy = float(el.get("cx")) - 0.5, float(el.get("cy")) - 0.5
        d = np.hypot(xy[:, 0] - cx, xy[:, 1] - cy)
        j = int(np.argmin(d))
        assert d[j] < 0.01 and labels[j] == el.get("label")
    box = image.find("box")
    assert [float(box.get(k)) for k in ("xtl", "ytl", "xbr", "ybr")] == [10.5, 10.5, 16.5, 14.5]
    assert box.get("label") == "defect"
    with pytest.raises(ValueError, match="not declared"):
        cvat_tree([entry], ["O"])


def test_boxes_topleft_clip_and_document():
    b = to_topleft([[-3, 5, 10, 4], [70, 70, 5, 5]])
    clipped, keep = clip_boxes(b, SHAPE)
    assert keep.tolist() == [True, False]
    assert clipped.tolist() == [[0.0, 5.5, 7.5, 4.0]]
    doc = boxes_document([("a.png", clipped), ("b.png", np.zeros((0, 4)))])
    assert doc == {"a.png": [[0.0, 5.5, 7.5, 4.0]], "b.png": []}
    json.dumps(doc)


def test_split_groups_no_overlap_deterministic_and_fraction():
    from synthstem.labels.splits import few_shot_subsets, split_groups, structure_group

    names = [f"{s:06d}.{u:06d}" for s in range(40) for u in range(s % 4 + 1)]
    groups = [structure_group(n) for n in names]
    train, test = split_groups(groups, 0.25, rng=5)
    assert sorted(train + test) == list(range(len(names)))
    assert not {groups[i] for i in train} & {groups[i] for i in test}
    assert 0.25 <= len(test) / len(names) < 0.25 + 4 / len(names)
    assert (train, test) == split_groups(groups, 0.25, rng=5)
    assert (train, test) != split_groups(groups, 0.25, rng=6)
    assert split_groups(["a", "b"], 0.0)[1] == []
    with pytest.raises(ValueError, match="test_fraction"):
        split_groups(groups, 1.0)

    cats = [{1, 2}, {1}, {2, 3}, {1, 3}, {2}, {3}, {1, 2, 3}]
    fs = few_shot_subsets(cats, [1, 2, 3], shots=(1, 2), runs=3, seed=9)
    assert fs == few_shot_subsets(cats, [1, 2, 3], shots=(1, 2), runs=3, seed=9)
    for k, runs in fs.items():
        for run, sel in runs.items():
            assert sel["seed"] == [9, k, run]
            for c in (1, 2, 3):
                assert sum(c in cats[i] for i in sel["images"]) >= k
    assert len({tuple(sel["images"]) for sel in fs[1].values()}) > 1  # runs differ
