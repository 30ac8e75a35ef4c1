"""The scene kinds: one line each, ``kind -> (module, builder)``.

A new scene kind is one module with a ``build_<kind>(rng=None, **params) -> Scene``
builder and one line here; configs and the CLI take their choices from this table.
"""

from __future__ import annotations

import importlib
import inspect

__all__ = ["SCENE_KINDS", "scene_builder", "build_scene", "scene_parameters"]

#: kind -> (module under synthstem.scenes, builder function name)
SCENE_KINDS = {
    "supported": ("supported", "build_supported"),
    "nanoparticle": ("nanoparticle", "build_nanoparticle"),
    "monolayer": ("monolayer", "build_monolayer"),
    "interface": ("interface", "build_interface"),
}


def scene_builder(kind):
    """The builder function of a scene kind (ValueError naming the kinds if unknown)."""
    if kind not in SCENE_KINDS:
        raise ValueError(f"unknown scene kind {kind!r}; choose one of {', '.join(SCENE_KINDS)}")
    module, name = SCENE_KINDS[kind]
    return getattr(importlib.import_module(f"{__package__}.{module}"), name)


def scene_parameters(kind):
    """``{name: default}`` of a scene kind's keyword parameters (``rng`` left out)."""
    sig = inspect.signature(scene_builder(kind))
    return {n: p.default for n, p in sig.parameters.items() if n != "rng"}


def build_scene(kind, params=None, rng=None):
    """Build a scene of ``kind`` from a parameter dict; unknown keys are a ValueError naming them."""
    params = dict(params or {})
    known = scene_parameters(kind)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"scene {kind!r}: unknown parameter(s) {', '.join(unknown)}; "
                         f"known: {', '.join(known)}")
    return scene_builder(kind)(rng=rng, **params).check()
