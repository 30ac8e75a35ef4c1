"""The [scene] tables of the scene configs build scenes: every key is a builder keyword
and a few drawn items build and check (without running a simulation)."""

import tomllib
from pathlib import Path

import numpy as np
import pytest

from synthstem.distributions import draw
from synthstem.scenes import SITE_KEY, build_scene

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize("name, kind", [("nanoparticles", "nanoparticle"), ("2d-materials", "monolayer"),
                                        ("interfaces", "interface")])
def test_config_scene_tables_build(name, kind):
    with open(CONFIGS / f"{name}.toml", "rb") as fh:
        config = tomllib.load(fh)
    table = dict(config["scene"])
    assert table.pop("kind") == kind
    assert table.pop("items") >= 1
    assert "size" not in table  # the field comes from [simulation] size
    rng = np.random.default_rng(0)
    for item in range(3):
        params = {k: draw(v, rng) if isinstance(v, dict) else v for k, v in table.items()}
        params["size"] = float(config["simulation"]["size"])
        scene = build_scene(kind, params, rng=item)
        assert scene.size == params["size"]
        assert any(scene.atoms.arrays[SITE_KEY])  # labelled atoms in every item
