"""Moved to :mod:`synthstem.exports` (export_dataset, export_item, condition_coords, ...).

A forwarding module kept only until ``pipeline.py``, ``commands/preview.py`` and
``synthstem/__init__.py`` import from ``synthstem.exports``; then delete it (it is the one
import from labels up to exports).
"""

from ..exports.dataset import export_dataset, export_item  # noqa: F401
from ..exports.records import condition_coords, defect_level, peak_key  # noqa: F401

_defect_level, _peak_key = defect_level, peak_key  # the names commands/preview.py imports
