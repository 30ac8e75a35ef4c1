"""Distributions of config parameters: validation, draws, supports, streams."""

import math

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict

from synthstem.distributions import (Choice, Normal, RandInt, Spec, Uniform, as_spec,
                                     check_support, draw, is_fixed, support)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    value: Spec = 0.0


@pytest.mark.parametrize("raw, cls", [
    (3.5, float), (2, int), ("C", str), ({"uniform": [-1, 2]}, Uniform),
    ({"normal": [0, 1], "clip": [-1, 1]}, Normal), ({"randint": [0, 3]}, RandInt),
    ({"choice": [1, 2], "weights": [1, 3]}, Choice), ([1, 2, 3], Choice)])
def test_specs_validate_inside_a_strict_config_model(raw, cls):
    spec = as_spec(_Strict(value=raw).value)
    assert isinstance(spec, cls)


@pytest.mark.parametrize("raw, message", [
    ({"uniform": [2, 1]}, "lo <= hi"),
    ({"normal": [0, -1]}, "standard deviation"),
    ({"normal": [0, 1], "clip": [1, 0]}, "lo <= hi"),
    ({"randint": [3, 1]}, "lo <= hi"),
    ({"choice": []}, "at least one"),
    ({"choice": [1, 2], "weights": [1]}, "one per choice"),
    ({"choice": [1, 2], "weights": [-1, 2]}, ">= 0"),
    ({"uniform": [0, math.inf]}, "finite"),
    ({"gauss": [0, 1]}, "one of the keys"),
])
def test_bad_specs_give_one_clear_error(raw, message):
    with pytest.raises(ValueError, match=message):
        as_spec(raw)


def test_fixed_values_use_no_random_numbers():
    rng = np.random.default_rng(1)
    assert draw(4.0, rng) == 4.0 and draw("vacancy", rng) == "vacancy"
    assert rng.random() == np.random.default_rng(1).random()
    assert is_fixed(4.0) and not is_fixed({"uniform": [0, 1]})


def test_draws_follow_their_distributions():
    rng = np.random.default_rng(0)
    n = 20000
    u = np.array([draw({"uniform": [-2, 6]}, rng) for _ in range(n)])
    assert u.min() >= -2 and u.max() <= 6
    assert abs(u.mean() - 2) < 0.05 and abs(u.var() - 64 / 12) < 0.15
    g = np.array([draw({"normal": [1, 3]}, rng) for _ in range(n)])
    assert abs(g.mean() - 1) < 0.06 and abs(g.std() - 3) < 0.05
    c = np.array([draw({"normal": [0, 1], "clip": [-0.5, 0.5]}, rng) for _ in range(n)])
    assert c.min() == -0.5 and c.max() == 0.5
    # P(|z| > 0.5) = 0.617 lands on the bounds
    assert abs(np.mean(np.abs(c) == 0.5) - 0.617) < 0.02
    k = np.array([draw({"randint": [1, 3]}, rng) for _ in range(n)])
    assert set(k.tolist()) == {1, 2, 3} and abs(k.mean() - 2) < 0.03
    w = [draw({"choice": ["a", "b"], "weights": [1, 3]}, rng) for _ in range(n)]
    assert abs(w.count("b") / n - 0.75) < 0.015
    pairs = [draw([[60, 180], [100, 150]], rng) for _ in range(100)]
    assert {tuple(p) for p in pairs} == {(60, 180), (100, 150)}


def test_support_and_range_check():
    assert support({"uniform": [1, 2]}) == (1, 2)
    assert support([3, -1, 2]) == (-1, 3)
    assert support({"normal": [0, 1]}) == (-math.inf, math.inf)
    assert support({"normal": [0, 1], "clip": [-2, 2]}) == (-2, 2)
    check_support("convergence", {"uniform": [15, 30]}, 0, lo_open=True)
    with pytest.raises(ValueError, match=r"convergence: draws must lie in \(0"):
        check_support("convergence", {"uniform": [0, 30]}, 0, lo_open=True)
    with pytest.raises(ValueError, match="energy: draws must lie"):
        check_support("energy", {"normal": [200e3, 1e3]}, 0, lo_open=True)
    with pytest.raises(ValueError, match="boundary: expected numbers"):
        check_support("boundary", ["cut", "periodic"])
