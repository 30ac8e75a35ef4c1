"""Classical baselines that give every user a reference number (benchmarks/BASELINES.md)."""

from .columns import find_columns, predict_columns
from .retrieval import descriptor, predict_retrieval, rank_choices
from .spots import smoothed_maxima

__all__ = ["descriptor", "find_columns", "predict_columns", "predict_retrieval", "rank_choices", "smoothed_maxima"]
