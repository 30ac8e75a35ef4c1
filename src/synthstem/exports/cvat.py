"""CVAT for images 1.1 XML: ``cvat/{split}_annotations.xml`` (an ellipse per column, a box
per defect, ``synthstem.labels.cvat``) and ``cvat/labels.json`` for CVAT's label
constructor ("Raw" tab)."""

from ..labels.coco import DEFECT
from ..labels.cvat import cvat_bytes, cvat_image_entry, cvat_tree
from ..labels.masks import palette_hex
from .base import SplitDocuments


class Format(SplitDocuments):
    name = "cvat"

    def add(self, record):
        return cvat_image_entry(record.file_name, record.image.shape, record.xy, record.labels,
                                record.radius, record.defect_boxes, DEFECT)

    def write(self, split, entries, suffix, first):
        names = [c["name"] for c in self.context.categories]
        tree = cvat_tree(entries, names, task_name=f"synthstem-{split}", label_ids=self.context.category_ids)
        self.sink.bytes(f"cvat/{split}_annotations{suffix}.xml", cvat_bytes(tree))
        return tree

    def finish(self):
        self.sink.json("cvat/labels.json", [{"name": c["name"], "color": palette_hex(c["id"]), "type": "any",
                                             "attributes": []} for c in self.context.categories], indent=1)
        return super().finish()
