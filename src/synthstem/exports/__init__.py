"""synthstem.exports: ML exports of a finished dataset folder, one module per format.

- ``registry``: the format names (``NAMES``) and every option's default, in one place.
- ``dataset``: ``export_dataset(dataset_dir, exports=..., **options)``, the one entry
  point, and ``export_item`` (one item, in memory).
- ``base``: the protocol of a format (``begin``, ``add``, ``gather``, ``finish``).
- ``coco``, ``cvat``, ``masks``, ``heatmaps``, ``boxes``: the formats; ``images``: the
  exported 8-bit images, always written.
- ``records``: exported images with their labels, built from items.
- ``splits``, ``few_shot``: train/test split, ``splits.json``, few-shot subsets.
- ``transforms``, ``augment``: augmentation transforms and augmented variants of records.
- ``pool``: items over processes, and the finished folder swapped into place.
"""

from . import registry  # noqa: F401
from .dataset import export_dataset, export_item  # noqa: F401

__all__ = ["registry", "export_dataset", "export_item"]
