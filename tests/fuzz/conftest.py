"""Hypothesis profiles for the fuzz tests.

``ci`` (default): a fixed set of examples (derandomized), so the suite stays fast and
repeatable. ``deep``: thousands of fresh random examples, for a search run by hand::

    SYNTHSTEM_FUZZ=deep PYTHONPATH=src python3 -m pytest -q -p no:cacheprovider tests/fuzz
"""

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=60, derandomize=True, **_COMMON)
settings.register_profile("deep", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("SYNTHSTEM_FUZZ", "ci"))
