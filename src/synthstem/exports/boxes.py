"""Defect boxes, PEM-SEM-Defect style: ``boxes/{split}_defect_boxes.json`` =
``{"<image>.png": [[x, y, w, h], ...]}`` (top-left origin [px], every image listed)."""

from ..labels.boxes import boxes_document
from .base import SplitDocuments


class Format(SplitDocuments):
    name = "boxes"

    def add(self, record):
        return record.file_name, record.defect_boxes

    def write(self, split, entries, suffix, first):
        doc = boxes_document(entries)
        self.sink.json(f"boxes/{split}_defect_boxes{suffix}.json", doc, indent=1)
        return doc
