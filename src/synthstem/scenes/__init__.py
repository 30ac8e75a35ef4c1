"""Scenes beyond one bulk crystal: supported atoms and clusters, nanoparticles, 2D
monolayers, interfaces (see :mod:`synthstem.scenes.base` for the shape they share)."""

from .base import INSTANCE_KEY, SITE_KEY, Markers, Scene
from .registry import SCENE_KINDS, build_scene, scene_builder, scene_parameters

__all__ = ["INSTANCE_KEY", "SITE_KEY", "Markers", "Scene", "SCENE_KINDS", "build_scene",
           "scene_builder", "scene_parameters"]
