"""Semantic masks: ``{split}_semantic_masks/<stem>.png`` (pixel = COCO with-class category
id, 0 background; uint8, uint16 above 255 classes) and ``{split}_color_masks/<stem>.png``
(the same coloured with ``synthstem.labels.masks.PALETTE``). Defects are not painted."""

from ..labels.masks import colorize, semantic_mask
from .base import Format as _Base
from .records import kept_instances


class Format(_Base):
    name = "masks"

    def add(self, record):
        ids = [self.context.category_ids[lab] for lab in record.labels]
        sem = semantic_mask(kept_instances(record, self.context.min_area), ids)
        self.sink.png(f"{record.split}_semantic_masks/{record.stem}.png", sem)
        self.sink.png(f"{record.split}_color_masks/{record.stem}.png", colorize(sem))
        return None
