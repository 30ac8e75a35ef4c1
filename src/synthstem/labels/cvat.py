"""CVAT for images 1.1 XML: one ellipse per atom column, one box per defect region.

Format (as CVAT exports and imports it)::

    <annotations>
      <version>1.1</version>
      <meta><task> ... <labels><label><name>O</name><color>#1f77b4</color>
                 <type>ellipse</type><attributes/></label> ...</labels></task></meta>
      <image id="0" name="x.png" width="256" height="256">
        <ellipse label="O" source="manual" occluded="0" cx="10.50" cy="3.50" rx="4.92"
                 ry="4.92" z_order="0"/>
        <box label="defect" source="manual" occluded="0" xtl=".." ytl=".." xbr=".." ybr=".."
             z_order="0"/>
      </image>
    </annotations>

CVAT coordinates are continuous with the origin at the image's top-left corner, so a
column at pixel coordinates (x, y) (pixel-centre convention) is written at
``cx = x + 0.5, cy = y + 0.5``. CVAT maps shapes to labels by name.
"""

import xml.etree.ElementTree as ET

import numpy as np

from .masks import palette_hex

VERSION = "1.1"


def _f(v):
    return f"{float(v):.2f}"


def cvat_tree(images, labels, task_name="synthstem", label_ids=None):
    """Build the XML tree.

    Parameters
    ----------
    images : list of dict
        ``{"name", "width", "height", "ellipses": [(label, cx, cy, rx, ry)],
        "boxes": [(label, xtl, ytl, xbr, ybr)]}``, coordinates continuous, top-left origin [px].
    labels : list of str  Declared label names (every shape's label must be among them).
    label_ids : dict, optional  name -> class id, used for the colour (``masks.PALETTE``).

    Returns
    -------
    xml.etree.ElementTree.ElementTree
    """
    declared = list(labels)
    label_ids = label_ids or {n: i + 1 for i, n in enumerate(declared)}
    root = ET.Element("annotations")
    ET.SubElement(root, "version").text = VERSION
    meta = ET.SubElement(root, "meta")
    task = ET.SubElement(meta, "task")
    ET.SubElement(task, "id").text = "0"
    ET.SubElement(task, "name").text = str(task_name)
    ET.SubElement(task, "size").text = str(len(images))
    ET.SubElement(task, "mode").text = "annotation"
    ET.SubElement(task, "overlap").text = "0"
    ET.SubElement(task, "flipped").text = "False"
    lab_el = ET.SubElement(task, "labels")
    for name in declared:
        le = ET.SubElement(lab_el, "label")
        ET.SubElement(le, "name").text = name
        ET.SubElement(le, "color").text = palette_hex(label_ids.get(name, 0))
        ET.SubElement(le, "type").text = "any"
        ET.SubElement(le, "attributes")
    known = set(declared)
    for i, img in enumerate(images):
        ie = ET.SubElement(root, "image", {
            "id": str(i), "name": str(img["name"]),
            "width": str(int(img["width"])), "height": str(int(img["height"])),
        })
        for label, cx, cy, rx, ry in img.get("ellipses", ()):
            if label not in known:
                raise ValueError(f"ellipse label {label!r} is not declared in labels")
            ET.SubElement(ie, "ellipse", {
                "label": str(label), "source": "manual", "occluded": "0",
                "cx": _f(cx), "cy": _f(cy), "rx": _f(rx), "ry": _f(ry), "z_order": "0",
            })
        for label, xtl, ytl, xbr, ybr in img.get("boxes", ()):
            if label not in known:
                raise ValueError(f"box label {label!r} is not declared in labels")
            ET.SubElement(ie, "box", {
                "label": str(label), "source": "manual", "occluded": "0",
                "xtl": _f(xtl), "ytl": _f(ytl), "xbr": _f(xbr), "ybr": _f(ybr), "z_order": "0",
            })
    tree = ET.ElementTree(root)
    ET.indent(tree, space="  ")
    return tree


def cvat_image_entry(name, shape, xy, labels, radius, defect_boxes=(), defect_label="defect"):
    """One image entry for :func:`cvat_tree` from column pixel positions and top-left boxes.

    Columns whose centre falls outside the image are skipped.
    """
    rows, cols = shape
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    ellipses = []
    for (x, y), lab in zip(xy, labels):
        cx, cy = x + 0.5, y + 0.5
        if 0 <= cx < cols and 0 <= cy < rows:
            ellipses.append((str(lab), cx, cy, radius, radius))
    boxes = [(defect_label, b[0], b[1], b[0] + b[2], b[1] + b[3])
             for b in np.asarray(defect_boxes, dtype=np.float64).reshape(-1, 4)]
    return {"name": name, "width": cols, "height": rows, "ellipses": ellipses, "boxes": boxes}


def cvat_bytes(tree):
    """UTF-8 XML bytes with declaration."""
    return ET.tostring(tree.getroot(), encoding="utf-8", xml_declaration=True)
