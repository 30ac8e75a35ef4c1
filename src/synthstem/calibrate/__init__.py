"""Calibration of the noise/instrument model on real micrographs (``synthstem calibrate``)."""

from .calibration import calibrate, calibration_toml, condition_values, image_statistics, summary

__all__ = ["calibrate", "calibration_toml", "condition_values", "image_statistics", "summary"]
