"""baselines.spots: smoothed local maxima find isolated Gaussian spots on a noisy background."""

import numpy as np
import pytest

from synthstem.baselines import smoothed_maxima


def test_finds_spots_and_thresholds():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:128, :128].astype(float)
    truth = np.array([[20.0, 30.0], [80.0, 40.0], [60.0, 100.0]])
    img = 100 + 0.2 * xx + sum(80 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 3.0**2)) for x, y in truth)
    img = rng.poisson(img).astype(float)
    xy, score = smoothed_maxima(img, 2.0, 9, threshold=8.0)
    assert len(xy) == 3 and np.all(np.diff(score) <= 0)
    d = np.hypot(*(xy[:, None, :] - truth[None]).transpose(2, 0, 1)).min(axis=0)
    assert d.max() < 1.5
    assert len(smoothed_maxima(img, 2.0, 9, threshold=1e6)[0]) == 0
    with pytest.raises(ValueError, match="sigma"):
        smoothed_maxima(img, 0.0, 9)
