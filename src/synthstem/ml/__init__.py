"""A reference heatmap detector for atoms (optional extra ``ml``: PyTorch).

``synthstem train`` / ``synthstem detect`` (docs/ml.md). Only the modules of this package
import torch, and only when a function that needs it runs (:func:`require_torch`).
"""

__all__ = ["require_torch"]


def require_torch():
    """Import torch or raise one line saying how to install it."""
    try:
        import torch
    except ImportError:
        raise ValueError("PyTorch is not installed: pip install 'synthstem[ml]' (torch) to train or detect") from None
    return torch
