"""The physics tables of a run configuration: ``[microscope]`` and ``[simulation]``.

Defaults and presets come from :mod:`synthstem.physics.simulate` (``DATASET_DEFAULTS``,
``FAST``); every ``[microscope]`` key may be a distribution drawn per item.
"""

from __future__ import annotations

import math
from typing import Literal, Optional, Union

from pydantic import Field, field_validator, model_validator

from ..distributions import Spec
from ..physics.prism_check import DEFAULT_PROBES as PRISM_CHECK_PROBES
from ..physics.simulate import DATASET_DEFAULTS, FAST
from ..variation import check_specs
from .model import DRAWN, Model, checked_spec


class MicroscopeSection(Model):
    """``[microscope]``: probe optics and detector (fields of synthstem.Microscope).

    Every key but ``detector`` takes a value or a distribution drawn per item
    (``synthstem.distributions``); ``detector`` is ``[inner, outer]``, each one either.
    """

    energy: Spec = Field(200e3, description="acceleration voltage [eV]" + DRAWN)
    convergence: Spec = Field(20.0, description="probe semi-angle [mrad]" + DRAWN)
    defocus: Spec = Field(0.0, description="defocus [Angstrom], positive = underfocus" + DRAWN)
    Cs: Spec = Field(0.0, description="spherical aberration C30 [Angstrom]" + DRAWN)
    C5: Spec = Field(0.0, description="fifth-order spherical aberration [Angstrom]" + DRAWN)
    astigmatism: Spec = Field(0.0, description="two-fold astigmatism C12 [Angstrom]" + DRAWN)
    astigmatism_angle: Spec = Field(0.0, description="its azimuth [rad]" + DRAWN)
    coma: Spec = Field(0.0, description="axial coma C21 [Angstrom]" + DRAWN)
    coma_angle: Spec = Field(0.0, description="its azimuth [rad]" + DRAWN)
    C23: Spec = Field(0.0, description="three-fold astigmatism [Angstrom]" + DRAWN)
    C23_angle: Spec = Field(0.0, description="its azimuth [rad]" + DRAWN)
    source_size: Spec = Field(0.0, description="Gaussian source sigma [Angstrom]" + DRAWN)
    focal_spread: Spec = Field(
        0.0, description="defocus standard deviation [Angstrom] (partial temporal coherence)" + DRAWN)
    tilt_x: Spec = Field(0.0, description="specimen mistilt about y [mrad], |tilt| <= 50" + DRAWN)
    tilt_y: Spec = Field(0.0, description="specimen mistilt about x [mrad], |tilt| <= 50" + DRAWN)
    detector: list[Spec] = Field([100.0, 150.0], description="annular detector [inner, outer] [mrad]")

    @field_validator("*")
    @classmethod
    def _drawable(cls, v, info):
        if info.field_name == "detector":
            if len(v) != 2:
                raise ValueError(f"must be [inner, outer] in mrad, got {v}")
            specs = {"microscope.detector_inner": v[0], "microscope.detector_outer": v[1]}
            try:
                check_specs(specs)
            except ValueError as err:
                raise ValueError(str(err).removeprefix("microscope.detector: ")
                                 .removeprefix("microscope.")) from None
            return v
        return checked_spec("microscope", info.field_name, v)

    def specs(self):
        """{'microscope.key': spec} of every key (detector as detector_inner/_outer)."""
        out = {f"microscope.{k}": getattr(self, k) for k in type(self).model_fields if k != "detector"}
        out["microscope.detector_inner"], out["microscope.detector_outer"] = self.detector
        return out


#: ``[simulation] preset``: values of slice_thickness, projection and sampling where unset
PRESETS = {"converged": {"slice_thickness": DATASET_DEFAULTS["slice_thickness"],
                         "projection": DATASET_DEFAULTS["projection"], "sampling": None},
           "fast": dict(FAST)}
#: ``preset = 'converged'`` leaves slice_thickness and sampling unset (None): ``simulate``
#: then picks them per item with ``physics.numerics_rule`` (thickness, heaviest element,
#: energy; benchmarks/THICKNESS.md). Finite projection is not converged above this slice
#: thickness (0.5 A: ~4 % low, benchmarks/CONVERGENCE.md): ``config check`` warns
FINITE_SLICE_LIMIT = 0.3


class SimulationSection(Model):
    """``[simulation]``: field of view, sampling and algorithm."""

    method: Literal["prism", "multislice", "incoherent"] = Field(
        "prism", description="'prism' (default), 'multislice' or 'incoherent' (fast approximation)")
    pixels: int = Field(256, ge=16, le=4096, description="output image edge [pixels]")
    size: float = Field(26.0, gt=0, le=500, description="field of view edge [Angstrom]")
    thickness: Optional[Spec] = Field(
        None, description="specimen thickness along the beam [Angstrom]; none = size (a cube)" + DRAWN)
    boundary: Spec = Field(
        "cut", description="'cut' (atomagined's cube), 'periodic' (seamless, strained <= 1 %) or "
                           "'auto' (periodic where such a cell exists at this size, else cut)" + DRAWN)
    focal_points: int = Field(7, ge=1, le=64, description="Gauss-Hermite points of the focal-spread average")
    interpolation: Union[int, Literal["auto"]] = Field(
        "auto", description="PRISM interpolation factor (1-64), or 'auto': per item, the largest "
                            "f whose window holds the probe's measured spread through the item "
                            "(needs accuracy; benchmarks/PRISM_F.md)")
    accuracy: Literal["dataset", "converged", "none"] = Field(
        "dataset", description="what every image must pass: 'dataset' (PRISM check error <= 0.1 "
                               "of the image contrast), 'converged' (<= 0.02); an item that fails "
                               "is recomputed once at a safer setting (smaller f, then "
                               "multislice) and recorded; 'none': settings as given, the check "
                               "only warns")
    preset: Literal["converged", "fast"] = Field(
        "converged", description="fills slice_thickness, projection, sampling where unset: "
                                 "'converged' (physics.simulate defaults) or 'fast' (preview, "
                                 "10-23x cheaper, HAADF up to ~35 % off; docs/physics.md)")
    slice_thickness: Optional[float] = Field(
        None, gt=0, le=50, description="multislice slice thickness [Angstrom]; unset = the preset's "
                                       "(converged: per item from the thickness rule, "
                                       "benchmarks/THICKNESS.md)")
    projection: Optional[Literal["finite", "infinite"]] = Field(
        None, description="'finite' (atoms split across slices, converges at 0.25 A) or "
                          "'infinite' (each atom in one slice); unset = the preset's")
    sampling: Union[float, Literal["detector"], None] = Field(
        None, description="potential sampling [Angstrom] (> 0), or 'detector' (the coarsest the "
                          "detector allows); unset = the preset's (converged: the thickness rule's, "
                          "0.035 or finer, and at most the detector's)")
    tolerance: float = Field(
        0.02, gt=0, le=1, description="HAADF-mean tolerance of the thickness rule that picks "
                                      "unset slice_thickness / sampling per item (fraction; "
                                      "benchmarks/THICKNESS.md)")
    device: Literal["cpu", "gpu"] = Field(
        "cpu", description="'cpu' or 'gpu' (PRISM/multislice on CUDA, needs synthstem[gpu])")
    phonons: int = Field(
        8, ge=0, le=1000,
        description="frozen-phonon configurations (0: static lattice, which overestimates column "
                    "contrast ~3x; 8 keeps the per-pixel scatter near 15 %, docs/physics.md)")
    phonon_rms: Union[float, dict[str, float]] = Field(
        0.08, description="RMS displacement per axis [Angstrom], one value or {element: value}")
    prism_check: int = Field(
        PRISM_CHECK_PROBES, ge=0, le=64,
        description="PRISM: probe positions recomputed by exact multislice to measure PRISM's "
                    "error, recorded in every item (params['simulation']['prism_check']); "
                    "warns above the tolerance (0: off; docs/physics.md)")
    prism_strict: bool = Field(
        False, description="PRISM: fail the item (instead of warning) when the measured "
                           "error exceeds the tolerance")

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data):
        # unset slice_thickness / projection / sampling take the preset's values, which live
        # in synthstem.physics.simulate (DATASET_DEFAULTS, FAST); an unknown preset is left to
        # the field check
        if not isinstance(data, dict):
            return data
        values = PRESETS.get(data.get("preset", "converged"))
        if values is None:
            return data
        data = dict(data)
        for key, value in values.items():
            if data.get(key) is None:
                data[key] = value
        return data

    @field_validator("interpolation")
    @classmethod
    def _check_interpolation(cls, v):
        if isinstance(v, int) and not 1 <= v <= 64:
            raise ValueError(f"must be an integer in 1-64 or 'auto', got {v}")
        return v

    @model_validator(mode="after")
    def _auto_needs_accuracy(self):
        if self.interpolation == "auto" and self.accuracy == "none" and self.method == "prism":
            raise ValueError("interpolation = 'auto' needs an accuracy ('dataset' or "
                             "'converged'); with accuracy = 'none' give an integer f")
        if self.accuracy != "none" and self.method == "prism" and self.prism_check == 0:
            raise ValueError(f"accuracy = {self.accuracy!r} needs the PRISM check: "
                             "prism_check >= 1 (or accuracy = 'none')")
        return self

    @field_validator("sampling")
    @classmethod
    def _check_sampling(cls, v):
        if isinstance(v, float) and not (math.isfinite(v) and v > 0):
            raise ValueError(f"must be > 0 Angstrom or 'detector', got {v}")
        return v

    def warnings(self):
        """Lines about allowed settings that are not converged (``config check`` prints them)."""
        if (self.projection == "finite" and self.slice_thickness is not None
                and self.slice_thickness > FINITE_SLICE_LIMIT):
            return [f"warning: simulation: finite projection with slice_thickness = "
                    f"{self.slice_thickness} A is not converged (0.5 A: ~4 % low, 2 A: up to 38 % "
                    "low, benchmarks/CONVERGENCE.md); use 0.25 A, or preset = 'fast' for previews"]
        if self.projection == "infinite":
            return ["note: simulation: infinite projection is the preview setting (preset 'fast'): "
                    "HAADF mean up to ~35 % off the converged result (benchmarks/CONVERGENCE.md)"]
        return []

    @field_validator("thickness", "boundary")
    @classmethod
    def _drawable(cls, v, info):
        return None if v is None else checked_spec("simulation", info.field_name, v)

    def specs(self):
        """{'simulation.key': spec} of the drawable keys (thickness only when set)."""
        out = {"simulation.boundary": self.boundary}
        if self.thickness is not None:
            out["simulation.thickness"] = self.thickness
        return out

    @field_validator("phonon_rms")
    @classmethod
    def _check_phonon_rms(cls, value):
        values = value.values() if isinstance(value, dict) else [value]
        for v in values:
            if not (math.isfinite(v) and 0 <= v <= 1.0):
                raise ValueError(f"RMS displacement must be in [0, 1] Angstrom, got {v}")
        return value
