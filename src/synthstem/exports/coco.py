"""COCO instances (compressed RLE, pycocotools-compatible): one per column (one per cluster
or particle for scenes: the columns sharing an instance id), one per defect.

Two documents per split, as MaskTerial does (``synthstem.labels.coco``):
``RLE_annotations/{split}_annotations_with_class.json`` (one category per column class,
plus 'defect') and the class-agnostic ``RLE_annotations/{split}_annotations.json``.
Image and annotation ids run on across shards, so the shards of a split can be merged.
"""

from ..labels.coco import coco_document, image_instances
from .base import SplitDocuments
from .records import kept_instances


class Format(SplitDocuments):
    name = "coco"

    def begin(self, sink, context):
        super().begin(sink, context)
        self.n_annotations = {}  # split -> annotations in shards already written

    def add(self, record):
        shape = record.image.shape
        inst = kept_instances(record, self.context.min_area)
        instances = image_instances(record.xy, record.labels, shape, record.radius, record.defect_boxes,
                                    min_area=self.context.min_area, inst_map=inst, groups=record.groups)
        image = {"file_name": record.file_name, "width": int(shape[1]), "height": int(shape[0]),
                 "synthstem": {k: v for k, v in record.meta.items() if k != "params"}}
        return image, instances

    def write(self, split, entries, suffix, first):
        images = [e[0] for e in entries]
        instances = [e[1] for e in entries]
        ids = dict(first_image_id=first + 1, first_annotation_id=self.n_annotations.get(split, 0) + 1)
        categories = list(self.context.categories)
        with_class = coco_document(images, instances, categories, **ids)
        agnostic = coco_document(images, instances, categories, agnostic=True, **ids)
        self.n_annotations[split] = self.n_annotations.get(split, 0) + len(with_class["annotations"])
        self.sink.json(f"RLE_annotations/{split}_annotations_with_class{suffix}.json", with_class)
        self.sink.json(f"RLE_annotations/{split}_annotations{suffix}.json", agnostic)
        return with_class, agnostic
