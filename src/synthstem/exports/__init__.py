"""synthstem.exports: ML exports of a finished dataset folder, one module per format.

- ``registry``: the format names (``NAMES``) and every option's default, in one place.
- ``dataset``: ``export_dataset(dataset_dir, exports=..., **options)``, the one entry
  point, and ``export_item`` (one item, in memory).
- ``base``: the protocol of a format (``begin``, ``add``, ``gather``, ``finish``).
- ``coco``, ``cvat``, ``masks``, ``heatmaps``, ``boxes``, ``store``, ``hspy``, ``tiff``,
  ``hf``: the formats (``calibrated``: what hspy / tiff / hf share; ``hf_card``: the hf
  export's dataset card and Croissant file); ``images``: the exported 8-bit images, always
  written.
- ``records``: exported images with their labels, built from items.
- ``splits``, ``few_shot``: train/test split, ``splits.json``, few-shot subsets.
- ``transforms``, ``augment``: augmentation transforms and augmented variants of records.
- ``pool``: items over processes, and the finished folder swapped into place.
"""

from importlib import import_module

from . import registry  # noqa: F401  (light: the run config reads it)

__all__ = ["registry", "export_dataset", "export_item"]


def __getattr__(name):
    # export_dataset / export_item import on first use (scipy, pycocotools), so reading
    # the registry stays cheap
    if name in ("export_dataset", "export_item"):
        return getattr(import_module(".dataset", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
