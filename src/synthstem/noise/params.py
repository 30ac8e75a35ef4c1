"""The recorded random draws of one application of a condition (:class:`ConditionParams`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .stem_noise import NoiseParams

__all__ = ["ConditionParams"]


@dataclass(frozen=True)
class ConditionParams:
    """Every random draw of one :meth:`Condition.apply` (JSON-safe via :meth:`to_dict`).

    Attributes
    ----------
    noise : NoiseParams
        Scan-line shifts [px] and the Poisson/detector seed.
    drift : tuple[float, float] or None
        Specimen displacement over the frame ``(dx, dy)`` [px], if drift is on.
    line_gain : np.ndarray or None
        Per-row probe-current gain, if line_current is on.
    instrument : dict or None
        Draws of the instrument extras that are on (recorded only then): ``dose_factor``,
        ``field_seed`` (seed of the smooth background field), ``row_gain`` and
        ``row_offset`` (one value per row), ``drift_phases`` [rad].
    """

    noise: NoiseParams
    drift: tuple | None = None
    line_gain: np.ndarray | None = None
    instrument: dict | None = None

    def to_dict(self):
        d = self.noise.to_dict()
        d["drift"] = None if self.drift is None else [float(v) for v in self.drift]
        d["line_gain"] = None if self.line_gain is None else [float(v) for v in self.line_gain]
        if self.instrument is not None:  # absent key when off: older records keep their bytes
            d["instrument"] = {k: (np.asarray(v).tolist() if isinstance(v, np.ndarray) else v)
                               for k, v in self.instrument.items()}
        return d

    @classmethod
    def from_dict(cls, d):
        inst = d.get("instrument")
        if inst is not None:
            inst = {k: (np.asarray(v, dtype=np.float64) if isinstance(v, list) else v) for k, v in inst.items()}
        return cls(
            noise=NoiseParams.from_dict(d),
            drift=None if d.get("drift") is None else tuple(float(v) for v in d["drift"]),
            line_gain=None if d.get("line_gain") is None else np.asarray(d["line_gain"], dtype=np.float64),
            instrument=inst,
        )
