"""synthstem.labels: ground truth for machine learning.

- ``peaks``: peak maps (datasets).
- ``masks``: column discs, semantic masks, colour palette, per-element Gaussian heatmaps.
- ``coco``: COCO instances with compressed RLE (pycocotools), with-class and class-agnostic.
- ``cvat``: CVAT for images 1.1 XML (ellipses per column, boxes per defect).
- ``boxes``: defect boxes as ``{"image.png": [[x, y, w, h], ...]}``.
- ``splits``: train/test split by structure or prototype, MaskTerial few-shot subsets.
- ``export``: ``export_dataset`` / ``export_item``, the glue writing all of the above
  (and augmented variants, see ``synthstem.noise.augment``) for a dataset folder.

Encoders are pure functions of pixel coordinates, labels and boxes; conventions in
docs/exports.md.
"""
