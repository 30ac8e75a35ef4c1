"""Loading datasets for training: ``open_dataset`` (folder or store) and ``write_store``."""

from .dataset import TARGETS, ImageDataset, collate, open_dataset
from .sources import find_items
from .store import write_store

__all__ = ["TARGETS", "ImageDataset", "collate", "find_items", "open_dataset", "write_store"]
