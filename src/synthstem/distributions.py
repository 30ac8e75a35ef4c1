"""Parameter distributions of a run config: a fixed value, a uniform range, a normal, a list.

A *spec* is what a config holds for a parameter that may vary from item to item::

    defocus = 20                               # fixed value
    defocus = {uniform = [-50, 50]}            # uniform on [lo, hi]
    defocus = {normal = [0, 30], clip = [-80, 80]}   # mean, standard deviation, optional clip
    defocus = {choice = [0, 20, 40]}           # one of the listed values (optional weights)
    defocus = [0, 20, 40]                      # the same: a bare list is a choice
    count = {randint = [0, 3]}                 # an integer in [lo, hi], both included

``Spec`` is the pydantic type of such a field; ``draw(spec, rng)`` returns one value, and
``support(spec)`` the closed interval its numeric draws can take, so that a config can be
rejected up front (``check_support``) when a draw could leave a parameter's valid range.
Drawing a fixed value consumes no random numbers.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _finite(values, what):
    for v in values:
        if not math.isfinite(v):
            raise ValueError(f"{what} must be finite, got {list(values)}")


class Uniform(_Spec):
    """``{uniform = [lo, hi]}``: uniform on ``[lo, hi]`` (``lo <= hi``)."""

    uniform: tuple[float, float] = Field(description="[lo, hi]")

    @model_validator(mode="after")
    def _check(self):
        lo, hi = self.uniform
        _finite(self.uniform, "uniform")
        if lo > hi:
            raise ValueError(f"uniform needs lo <= hi, got [{lo}, {hi}]")
        return self


class Normal(_Spec):
    """``{normal = [mean, std], clip = [lo, hi]}``: normal, optionally clipped to
    ``[lo, hi]`` (values outside are set to the nearer bound, not redrawn)."""

    normal: tuple[float, float] = Field(description="[mean, standard deviation]")
    clip: Optional[tuple[float, float]] = Field(None, description="[lo, hi] or none")

    @model_validator(mode="after")
    def _check(self):
        _finite(self.normal, "normal")
        if self.normal[1] < 0:
            raise ValueError(f"normal needs a standard deviation >= 0, got {self.normal[1]}")
        if self.clip is not None:
            _finite(self.clip, "clip")
            if self.clip[0] > self.clip[1]:
                raise ValueError(f"clip needs lo <= hi, got {list(self.clip)}")
        return self


class RandInt(_Spec):
    """``{randint = [lo, hi]}``: an integer uniform on ``lo..hi`` (both included)."""

    randint: tuple[int, int] = Field(description="[lo, hi], both included")

    @model_validator(mode="after")
    def _check(self):
        if self.randint[0] > self.randint[1]:
            raise ValueError(f"randint needs lo <= hi, got {list(self.randint)}")
        return self


class Choice(_Spec):
    """``{choice = [a, b, ...], weights = [...]}``: one of the values (weights optional,
    non-negative, normalised)."""

    choice: list[Any] = Field(description="the values")
    weights: Optional[list[float]] = Field(None, description="relative weights or none")

    @model_validator(mode="after")
    def _check(self):
        if not self.choice:
            raise ValueError("choice needs at least one value")
        if self.weights is not None:
            if len(self.weights) != len(self.choice):
                raise ValueError(f"weights needs {len(self.choice)} values (one per choice), "
                                 f"got {len(self.weights)}")
            _finite(self.weights, "weights")
            if min(self.weights) < 0 or sum(self.weights) <= 0:
                raise ValueError(f"weights must be >= 0 with a positive sum, got {self.weights}")
        return self


#: the pydantic type of a config field that may be drawn per item
Spec = Union[Uniform, Normal, RandInt, Choice, bool, int, float, str, list]


def as_spec(value):
    """Validate a plain value (number, string, list, dict) into a spec; a bare list is a
    ``Choice``. Raises ``ValueError`` naming the problem."""
    if isinstance(value, _Spec):
        return value
    if isinstance(value, list):
        return Choice(choice=value)
    if isinstance(value, dict):
        for cls in (Uniform, Normal, RandInt, Choice):
            key = next(iter(cls.model_fields))
            if key in value:
                try:
                    return cls(**value)
                except Exception as exc:  # pydantic's ValidationError: one line
                    msg = exc.errors()[0]["msg"] if hasattr(exc, "errors") else str(exc)
                    raise ValueError(f"{value!r}: {msg}") from None
        raise ValueError(f"a distribution needs one of the keys uniform, normal, randint, "
                         f"choice; got {sorted(value)}")
    if isinstance(value, (bool, int, float, str, np.integer, np.floating)):
        return value
    raise ValueError(f"not a value or distribution: {value!r}")


def draw(spec, rng):
    """One value of ``spec`` drawn with ``rng`` (a ``numpy.random.Generator``).

    Fixed values are returned unchanged (no random number is used); numbers are returned
    as Python ``float``/``int``; a choice returns the chosen element itself.
    """
    spec = as_spec(spec)
    if isinstance(spec, Uniform):
        lo, hi = spec.uniform
        return float(rng.uniform(lo, hi)) if hi > lo else float(lo)
    if isinstance(spec, Normal):
        value = float(rng.normal(spec.normal[0], spec.normal[1]))
        if spec.clip is not None:
            value = min(max(value, spec.clip[0]), spec.clip[1])
        return value
    if isinstance(spec, RandInt):
        return int(rng.integers(spec.randint[0], spec.randint[1], endpoint=True))
    if isinstance(spec, Choice):
        p = None
        if spec.weights is not None:
            p = np.asarray(spec.weights, dtype=np.float64)
            p = p / p.sum()
        return spec.choice[int(rng.choice(len(spec.choice), p=p))]
    if isinstance(spec, (np.integer,)):
        return int(spec)
    if isinstance(spec, (np.floating,)):
        return float(spec)
    return spec


def is_fixed(spec):
    """True when ``spec`` is a single value (no randomness)."""
    return not isinstance(as_spec(spec), _Spec)


def support(spec):
    """Closed interval ``(lo, hi)`` of the numeric values ``spec`` can produce
    (``-inf``/``inf`` for an unclipped normal); ``ValueError`` for non-numeric values."""
    spec = as_spec(spec)
    if isinstance(spec, Uniform):
        return tuple(spec.uniform)
    if isinstance(spec, RandInt):
        return tuple(float(v) for v in spec.randint)
    if isinstance(spec, Normal):
        if spec.clip is not None:
            return tuple(spec.clip)
        if spec.normal[1] == 0:
            return (spec.normal[0], spec.normal[0])
        return (-math.inf, math.inf)
    values = spec.choice if isinstance(spec, Choice) else [spec]
    nums = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise ValueError(f"expected numbers, got {v!r}")
        nums.append(float(v))
    return (min(nums), max(nums))


def show(spec):
    """A spec as its config text: ``{uniform = [-50.0, 50.0]}``, ``3.0``."""
    if not isinstance(spec, _Spec):
        return repr(spec)
    d = spec.model_dump(exclude_none=True)
    return "{" + ", ".join(f"{k} = {list(v) if isinstance(v, tuple) else v!r}"
                           for k, v in d.items()) + "}"


def check_support(name, spec, lo=-math.inf, hi=math.inf, lo_open=False):
    """``ValueError`` naming ``name`` if a draw of ``spec`` could fall outside ``[lo, hi]``
    (``(lo, hi]`` with ``lo_open``). Returns the validated spec."""
    spec = as_spec(spec)
    try:
        a, b = support(spec)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    bad_lo = a <= lo if lo_open else a < lo
    if bad_lo or b > hi:
        rng_txt = f"{'(' if lo_open else '['}{lo:g}, {hi:g}]"
        if isinstance(spec, _Spec):
            hint = " (clip the normal to bound it)" if isinstance(spec, Normal) else ""
            raise ValueError(f"{name}: draws must lie in {rng_txt}, but {show(spec)} can give "
                             f"[{a:g}, {b:g}]{hint}")
        raise ValueError(f"{name}: must lie in {rng_txt}, got {spec!r}")
    return spec


__all__ = ["Spec", "Uniform", "Normal", "RandInt", "Choice", "as_spec", "draw", "is_fixed",
           "support", "check_support", "show"]
