"""Fixtures shared by the ML-side tests (loaders, evaluate, baselines, report): tiny
datasets made once per session by tests/fixtures/ml_data.py."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
import ml_data  # noqa: E402


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """A tiny general dataset (2 items: raw, clean, dfct1, blbk1, drifty (drift 1.5 px);
    masks/heatmaps/boxes exports of clean, dfct1, drifty)."""
    return ml_data.make(tmp_path_factory.mktemp("tiny"), "general")


@pytest.fixture(scope="session")
def tiny_retrieval(tmp_path_factory):
    """A tiny retrieval dataset (3 targets x clean/blbk1, 6 choices x clean)."""
    return ml_data.make(tmp_path_factory.mktemp("tiny_retrieval"), "retrieval")
