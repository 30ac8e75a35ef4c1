"""Scoring predictions against a dataset's ground truth: columns, defect boxes, retrieval, points."""

from .columns import match_points, score_columns, visible_columns
from .defects import box_ap, score_defects
from .points import score_points
from .retrieval import score_retrieval

__all__ = ["box_ap", "match_points", "score_columns", "score_defects", "score_points", "score_retrieval",
           "visible_columns"]
