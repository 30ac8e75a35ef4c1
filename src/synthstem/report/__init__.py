"""A self-contained HTML report of a dataset folder (needs matplotlib: extra 'report')."""

from .html import write_report

__all__ = ["write_report"]
