"""synthstem.labels: ground truth for machine learning, as pure functions of pixel
coordinates, labels and boxes (the files are written by ``synthstem.exports``).

- ``peaks``: peak maps (datasets).
- ``masks``: column discs, semantic masks, colour palette, per-element Gaussian heatmaps.
- ``coco``: COCO instances with compressed RLE (pycocotools), with-class and class-agnostic.
- ``cvat``: CVAT for images 1.1 XML (ellipses per column, boxes per defect).
- ``boxes``: defect boxes as ``{"image.png": [[x, y, w, h], ...]}``.
- ``splits``: train/test split by groups, MaskTerial few-shot subsets.

Conventions in docs/exports.md.
"""
