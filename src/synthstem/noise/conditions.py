"""Named distortion conditions (the atomagined table) and user-defined ones.

``CONDITIONS`` maps a condition name to a frozen :class:`Condition`. The reference
conditions (atomagined README: blur [px], counts [per px], scan [px], background, defect
level, dataset name; 'raw' is the simulated image itself) are built from the one table in
:mod:`synthstem.noise.reference`, which also holds their fixed noise streams
(``noise_seed_sequence``, re-exported here).

User conditions come from a dict (a config table) through :func:`condition_from_dict`,
optionally starting from a named condition (``base``); unknown keys are errors.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from ..random import as_rng
from . import extras, instrument
from .params import ConditionParams
from .reference import REFERENCE_TABLE, REFERENCE_CONDITIONS, SEED_CHILDREN, noise_seed_sequence
from .stem_noise import check_scalar, draw_noise_params, poisson_counts, prepare_image, shift_rows

__all__ = [
    "CONDITIONS",
    "Condition",
    "ConditionParams",
    "condition_from_dict",
    "REFERENCE_CONDITIONS",
    "SEED_CHILDREN",
    "get_condition",
    "noise_seed_sequence",
    "register_condition",
]

_FLOAT_FIELDS = {
    # name: (minimum, strict, allow_inf)
    "blur": (0.0, False, False),
    "counts": (0.0, True, True),
    "scan": (0.0, False, False),
    "background": (0.0, False, False),
    "drift": (0.0, False, False),
    "flyback": (0.0, False, False),
    "flyback_tau": (0.0, True, False),
    "line_current": (0.0, False, False),
    "detector_gain": (0.0, True, False),
    "gain_cv": (0.0, False, False),
    "dark_noise": (0.0, False, False),
    "detector_offset": (0.0, False, False),
    "background_field": (0.0, False, False),
    "background_scale": (0.0, True, False),
    "row_gain": (0.0, False, False),
    "row_offset": (0.0, False, False),
    "row_exponent": (0.0, False, False),
    "current_drift": (0.0, False, False),
    "dose_spread": (0.0, False, False),
}

#: instrument extras (noise/instrument.py); drawn after every older draw, only when on
_INSTRUMENT_FIELDS = ("detector_offset", "quantise", "background_field", "background_scale", "row_gain",
                      "row_offset", "row_exponent", "current_drift", "dose_spread")
_INSTRUMENT_DRAWS = ("dose_spread", "background_field", "row_gain", "row_offset", "current_drift")


def _number(name, value, minimum, strict, allow_inf):
    # configs are strict about types: "1.0" or true is not a number here
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"condition parameter {name!r} must be a number, got {value!r}")
    return check_scalar(f"condition parameter {name!r}", value, minimum, allow_inf=allow_inf, strict=strict)


@dataclass(frozen=True)
class Condition:
    """One distortion condition: noise parameters, defect level and output name.

    Attributes
    ----------
    name : str
        Condition name, e.g. 'clean', 'blbk1'.
    blur : float
        Gaussian blur sigma [px].
    counts : float
        Electron counts per pixel at mean intensity (``inf``: no shot noise).
    scan : float
        Standard deviation of the per-row horizontal scan offsets [px].
    background : float
        Background added to the mean-1 image before renormalising.
    defect_level : int
        0 (none), 1 or 2: point defect added to the structure before simulation.
    stem_index : int
        Dataset prefix index: 'stem00-' (0), 'stem01-' (1), 'stem02-' (2).
    dose : float or None
        Extra. Electron dose [e-/Angstrom^2]; when set it replaces ``counts`` by
        ``dose * pixel_size**2`` (``apply`` then needs ``pixel_size``).
    drift : float
        Extra. Standard deviation of the specimen drift over one frame, per axis [px].
    flyback : float
        Extra. Probe lag at the first column of each line [px] (``< flyback_tau``).
    flyback_tau : float
        Extra. Settling length of the flyback lag [px].
    line_current : float
        Extra. Relative standard deviation of the probe current from line to line.
    detector_gain : float
        Extra. Detector units per electron (matters only relative to ``dark_noise``).
    gain_cv : float
        Extra. Relative spread of the single-electron detector gain.
    dark_noise : float
        Extra. Gaussian dark/read noise [detector units rms].
    detector_offset : float
        Instrument. Detector baseline [detector units] (used when ``quantise``).
    quantise : bool
        Instrument. Output integer detector counts ``rint(detector_offset + detector_gain * N)``
        instead of the mean-1 image.
    background_field : float
        Instrument. Rms of a smooth random background field added to the mean-1 image
        [fraction of the mean].
    background_scale : float
        Instrument. Correlation length of that field [px].
    row_gain : float
        Instrument. Rms of the per-row multiplicative gain (scan streaks) [fraction].
    row_offset : float
        Instrument. Rms of the per-row additive offset after shot noise [fraction of the mean].
    row_exponent : float
        Instrument. Spectral exponent of both row series (``P(f) ~ f**-row_exponent``; 0 white).
    current_drift : float
        Instrument. Rms of the slow probe-current drift along the scan [fraction].
    dose_spread : float
        Instrument. Log-normal sigma of the counts per pixel from image to image.
    """

    name: str
    blur: float = 0.0
    counts: float = math.inf
    scan: float = 0.0
    background: float = 0.0
    defect_level: int = 0
    stem_index: int = 0
    dose: float | None = None
    drift: float = 0.0
    flyback: float = 0.0
    flyback_tau: float = 8.0
    line_current: float = 0.0
    detector_gain: float = 1.0
    gain_cv: float = 0.0
    dark_noise: float = 0.0
    detector_offset: float = 0.0
    quantise: bool = False
    background_field: float = 0.0
    background_scale: float = 32.0
    row_gain: float = 0.0
    row_offset: float = 0.0
    row_exponent: float = 0.0
    current_drift: float = 0.0
    dose_spread: float = 0.0

    def __post_init__(self):
        if not isinstance(self.quantise, (bool, np.bool_)):
            raise ValueError(f"condition parameter 'quantise' must be true or false, got {self.quantise!r}")
        if not isinstance(self.name, str) or not self.name or not self.name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"condition name must be a non-empty string of letters, digits, '_' or '-', got {self.name!r}")
        for key, (minimum, strict, allow_inf) in _FLOAT_FIELDS.items():
            object.__setattr__(self, key, _number(key, getattr(self, key), minimum, strict, allow_inf))
        if self.dose is not None:
            object.__setattr__(self, "dose", _number("dose", self.dose, 0.0, True, False))
        for key, allowed in (("defect_level", (0, 1, 2)), ("stem_index", None)):
            v = getattr(self, key)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
                raise ValueError(f"condition parameter {key!r} must be an integer, got {v!r}")
            if (allowed is not None and v not in allowed) or v < 0:
                raise ValueError(f"condition parameter {key!r} must be in {allowed or '>= 0'}, got {v!r}")
            object.__setattr__(self, key, int(v))
        if self.flyback >= self.flyback_tau:
            raise ValueError(
                f"condition parameter 'flyback' must be < flyback_tau={self.flyback_tau} [px], got {self.flyback!r}"
            )

    @property
    def is_raw(self):
        """True for the 'raw' condition: the simulated image itself, no noise."""
        return self.name == "raw"

    @property
    def dataset_name(self):
        """Image name in the item: 'raw' or 'stemNN-<name>' (e.g. 'stem01-comb1')."""
        return "raw" if self.is_raw else f"stem{self.stem_index:02d}-{self.name}"

    @property
    def extras_on(self):
        """Names of the extras that are switched on."""
        on = []
        if self.dose is not None:
            on.append("dose")
        if self.quantise:
            on.append("quantise")
        for key in ("drift", "flyback", "line_current", "gain_cv", "dark_noise", *_INSTRUMENT_DRAWS):
            if getattr(self, key) > 0:
                on.append(key)
        return on

    def to_dict(self):
        """JSON-safe dictionary of every field (``counts`` inf as the string 'inf'); the
        instrument fields only when they differ from their defaults (so older records keep
        their bytes)."""
        d = asdict(self)
        for f in fields(self):
            if f.name in _INSTRUMENT_FIELDS and d[f.name] == f.default:
                del d[f.name]
        if math.isinf(d["counts"]):
            d["counts"] = "inf"
        return d

    def counts_per_pixel(self, pixel_size=None):
        """Counts per pixel: ``counts``, or ``dose * pixel_size**2`` when ``dose`` is set."""
        if self.dose is None:
            return self.counts
        return extras.counts_from_dose(self.dose, pixel_size)

    def draw_params(self, shape, rng=None):
        """Draw every random parameter (scan shifts and Poisson seed first, then extras)."""
        rng = as_rng(rng)
        noise = draw_noise_params(shape, self.scan, rng)
        drift = tuple(rng.normal(0.0, self.drift, size=2)) if self.drift > 0 else None
        gains = extras.line_gains(shape[0], self.line_current, rng) if self.line_current > 0 else None
        return ConditionParams(noise=noise, drift=drift, line_gain=gains, instrument=instrument.draw_instrument(self, shape, rng))

    def apply_params(self, image, params, pixel_size=None, background_map=None):
        """Apply the condition with drawn parameters (pure function of its inputs).

        Parameters
        ----------
        image : np.ndarray
            ``(rows, cols)`` noise-free image.
        params : ConditionParams
            From :meth:`draw_params`.
        pixel_size : float, optional
            Scan step [Angstrom]; needed only when ``dose`` is set.
        background_map : np.ndarray, optional
            Image-sized map (e.g. a support's thickness [Angstrom]); the ``background``
            is then spatially varying, ``background * map / mean(map)``.

        Returns
        -------
        np.ndarray
            float64 image (mean close to 1, or integer detector counts when
            ``quantise``; the raw image unchanged for 'raw').
        """
        if self.is_raw:
            img = np.array(image, dtype=np.float64)
            if img.ndim != 2:
                raise ValueError(f"image must be a 2-D array (rows, cols), got shape {img.shape}")
            if not np.all(np.isfinite(img)):
                n_nan, n_inf = int(np.count_nonzero(np.isnan(img))), int(np.count_nonzero(np.isinf(img)))
                raise ValueError(f"image contains {n_nan} NaN and {n_inf} infinite values "
                                 f"(of {img.size} pixels)")
            return img
        counts = self.counts_per_pixel(pixel_size)
        inst = params.instrument or {}
        if background_map is None:
            img = prepare_image(image, self.blur, self.background)
        else:
            img = instrument.prepare_with_map(image, background_map, self.blur, self.background)
        if "field_seed" in inst:
            field = instrument.smooth_field(img.shape, self.background_scale, np.random.default_rng(inst["field_seed"]))
            img = np.clip(img + self.background_field * field, 0.0, None)
        if params.drift is not None:
            img = extras.drift_distortion(img, params.drift)
        if self.flyback > 0:
            img = extras.flyback_distortion(img, self.flyback, self.flyback_tau)
        img = shift_rows(img, params.noise.shifts)
        if params.line_gain is not None:
            img = img * params.line_gain[:, None]
        if "row_gain" in inst:
            img = img * np.clip(1.0 + np.asarray(inst["row_gain"]), 0.0, None)[:, None]
        if "drift_phases" in inst:
            img = img * instrument.current_drift(img.shape, self.current_drift, inst["drift_phases"])
        if "dose_factor" in inst:
            counts = counts * inst["dose_factor"]
        rng = np.random.default_rng(params.noise.poisson_seed)
        img = poisson_counts(img, counts, rng)
        if self.quantise:
            return instrument.quantise(img, counts, inst, rng, self.detector_gain, self.gain_cv, self.dark_noise,
                                       self.detector_offset)
        if (self.gain_cv > 0 or self.dark_noise > 0) and not math.isinf(counts):
            signal = extras.detector_response(img * counts, self.detector_gain, self.gain_cv, self.dark_noise, rng)
            img = signal / (self.detector_gain * counts)
        if "row_offset" in inst:
            img = img + np.asarray(inst["row_offset"])[:, None]
        return np.clip(img, 0.0, None)

    def apply(self, image, rng=None, pixel_size=None, return_params=False, background_map=None):
        """Draw the random parameters and apply the condition.

        Parameters
        ----------
        image : np.ndarray
            ``(rows, cols)`` noise-free image.
        rng : numpy.random.Generator or int, optional
            Random stream or seed.
        pixel_size : float, optional
            Scan step [Angstrom]; needed only when ``dose`` is set.
        return_params : bool
            Also return the :class:`ConditionParams` (to record them).
        background_map : np.ndarray, optional
            Spatially varying background (see :meth:`apply_params`).
        """
        if self.is_raw:
            out = self.apply_params(image, None)
            return (out, None) if return_params else out
        params = self.draw_params(np.shape(image), rng)
        out = self.apply_params(image, params, pixel_size=pixel_size, background_map=background_map)
        return (out, params) if return_params else out

    def map_coords(self, xy, shape, params):
        """Move ground-truth pixel coordinates (x, y) through this condition's geometric
        extras (drift, flyback); scan-line jitter is not applied (as in atomagined)."""
        xy = np.asarray(xy, dtype=np.float64)
        if params is not None and params.drift is not None:
            xy = extras.drift_coords(xy, params.drift, shape)
        if self.flyback > 0:
            xy = extras.flyback_coords(xy, self.flyback, self.flyback_tau, shape)
        return xy


def _reference_conditions():
    out = {"raw": Condition("raw")}
    for name, _, blur, counts, scan, bg, level, stem in REFERENCE_TABLE:
        out[name] = Condition(name, blur=blur, counts=counts, scan=scan, background=bg, defect_level=level, stem_index=stem)
    return out


#: The named conditions of the atomagined table (plus any registered by the user).
CONDITIONS: dict[str, Condition] = _reference_conditions()

_KEYS = {f.name for f in fields(Condition)} - {"name"}


def get_condition(name):
    """The registered condition called ``name`` (ValueError listing the known names)."""
    try:
        return CONDITIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown condition {name!r}; known: {', '.join(CONDITIONS)}") from None


def condition_from_dict(name, d):
    """Build a :class:`Condition` from a config table.

    Parameters
    ----------
    name : str
        Name of the new condition.
    d : dict
        Any :class:`Condition` field except ``name``, plus an optional ``base`` naming a
        registered condition whose values are the defaults (otherwise the field defaults:
        no blur, no noise, no background). Unknown keys raise ``ValueError`` naming them.

    Examples
    --------
    >>> c = condition_from_dict("drifty", {"base": "clean", "drift": 2.0})
    >>> (c.blur, c.counts, c.drift)
    (0.8, 400.0, 2.0)
    """
    if not isinstance(d, dict):
        raise ValueError(f"condition {name!r} must be a table/dict, got {type(d).__name__}")
    unknown = sorted(set(d) - _KEYS - {"base"})
    if unknown:
        raise ValueError(
            f"condition {name!r}: unknown key(s) {', '.join(map(repr, unknown))}; allowed: base, {', '.join(sorted(_KEYS))}"
        )
    values = dict(d)
    base = values.pop("base", None)
    if isinstance(values.get("counts"), str) and values["counts"].strip().lower() == "inf":
        values["counts"] = math.inf
    if base is None:
        return Condition(name, **values)
    if base == "raw":
        raise ValueError(f"condition {name!r}: base 'raw' has no noise parameters to start from")
    return replace(get_condition(base), name=name, **values)


def register_condition(condition, overwrite=False):
    """Add a condition to ``CONDITIONS`` (ValueError if the name exists, unless ``overwrite``)."""
    if not isinstance(condition, Condition):
        raise ValueError(f"expected a Condition, got {type(condition).__name__}")
    if condition.name == "raw":
        raise ValueError("the name 'raw' is reserved for the noise-free image")
    if condition.name in CONDITIONS and not overwrite:
        raise ValueError(f"condition {condition.name!r} is already registered (pass overwrite=True to replace it)")
    CONDITIONS[condition.name] = condition
    return condition
