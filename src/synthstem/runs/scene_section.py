"""``[scene]``: a run of scenes (supported atoms, nanoparticles, ...) instead of crystals.

::

    [scene]
    kind = "supported"              # a key of synthstem.scenes.SCENE_KINDS
    items = 20                      # number of items (one scene each)
    id = 1                          # structure id of the first item (item k: id + k)
    support = "CN"                  # any keyword of the builder: a value ...
    thickness = {uniform = [50, 150]}        # ... or a distribution drawn per item
    heavy_density = {choice = [0.2, 0.5, 1.0]}
    hole_radius = [5.0, 15.0]       # a bare list is a value here (a tuple parameter)

Every other key is a keyword of the kind's builder (``synthstem.scenes.scene_parameters``;
an unknown key is an error naming it); the field of view ``size`` comes from
``[simulation] size``. A value that is a table with one of the distribution keys
(``uniform``, ``normal``, ``randint``, ``choice``) is drawn per item from its own stream
(``named_seed_sequence(run_seed, item, STAGE_VARIATION, 'scene.<key>')``, as
:func:`synthstem.variation.draw_item` draws the physics); a bare list is a literal
value (builders take tuples), so a choice must be written ``{choice = [...]}``. The drawn
parameters are recorded in each item (``params['structure']['spec']``).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from pydantic import Field, model_validator

from ..distributions import as_spec, draw, is_fixed
from ..random import STAGE_VARIATION, named_seed_sequence
from ..scenes import SCENE_KINDS, scene_parameters
from .model import Model

__all__ = ["SceneSection", "SCENE_METHODS", "draw_scene", "DISTRIBUTION_KEYS"]

#: a scene parameter given as a table with one of these keys is a distribution
DISTRIBUTION_KEYS = ("uniform", "normal", "randint", "choice")
#: default [simulation] method of each scene kind (where the config sets none): the
#: incoherent model for large fields of thin specimens (docs/scenes.md)
SCENE_METHODS = {"supported": "incoherent"}
#: builder keywords a config cannot set (they come from other tables)
RESERVED = {"size": "simulation.size"}


def _is_distribution(value):
    return isinstance(value, dict) and any(k in value for k in DISTRIBUTION_KEYS)


class SceneSection(Model):
    """``[scene]``: kind, number of items, first structure id and the builder's parameters."""

    kind: Optional[str] = Field(None, description=f"scene kind: one of {', '.join(SCENE_KINDS)}; none = crystals")
    items: int = Field(1, ge=1, le=1_000_000, description="number of items (scenes)")
    id: int = Field(1, ge=0, le=999_999, description="structure id of the first item (item k: id + k)")
    params: dict[str, Any] = Field({}, description="builder keywords: values or distributions drawn per item")

    @model_validator(mode="before")
    @classmethod
    def _collect(cls, data):
        # every key but kind / items / id is a builder keyword
        if not isinstance(data, dict):
            return data
        own = {k: data[k] for k in ("kind", "items", "id") if k in data}
        params = {k: v for k, v in data.items() if k not in own and k != "params"}
        if "params" in data:
            if not isinstance(data["params"], dict):
                raise ValueError("params: must be a table")
            params.update(data["params"])
        return {**own, "params": params}

    @model_validator(mode="after")
    def _check(self):
        if self.kind is None:
            if self.params:
                raise ValueError(f"kind: needed with parameters {sorted(self.params)}")
            return self
        if self.kind not in SCENE_KINDS:
            raise ValueError(f"kind: unknown scene kind {self.kind!r}; choose one of {', '.join(SCENE_KINDS)}")
        try:
            known = scene_parameters(self.kind)
        except ImportError:
            raise ValueError(f"kind: the {self.kind!r} scene builder is not available in this version") from None
        for key, value in self.params.items():
            if key in RESERVED:
                raise ValueError(f"{key}: set by {RESERVED[key]}, not in [scene]")
            if key not in known:
                raise ValueError(f"{key}: unknown parameter of scene {self.kind!r}; known: "
                                 f"{', '.join(k for k in known if k not in RESERVED)}")
            if _is_distribution(value):
                try:
                    as_spec(value)
                except ValueError as err:
                    raise ValueError(f"{key}: {err}") from None
        return self

    def specs(self):
        """{key: spec or literal} of the builder parameters (distributions as specs)."""
        return {k: as_spec(v) if _is_distribution(v) else v for k, v in self.params.items()}

    def drawn_keys(self):
        """Parameters that vary per item."""
        return sorted(k for k, v in self.specs().items() if _is_distribution(self.params[k]) and not is_fixed(v))


def draw_scene(section, size, run_seed, item_index):
    """Builder keywords of item ``item_index``: distributions drawn, literals as given,
    ``size`` [Angstrom] from the simulation (JSON-safe values)."""
    out = {}
    for key, spec in sorted(section.specs().items()):
        if _is_distribution(section.params[key]):
            value = draw(spec, np.random.default_rng(named_seed_sequence(run_seed, item_index, STAGE_VARIATION,
                                                                         f"scene.{key}")))
            out[key] = value.item() if isinstance(value, np.generic) else value
        else:
            out[key] = spec
    out["size"] = float(size)
    return out
