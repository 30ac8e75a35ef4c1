"""Which labelled atoms are in focus: the probe's depth of field.

The probe is focused at depth ``z_f = defocus`` [Angstrom] below the entrance plane z = 0
(``C10 = -defocus``: positive defocus = underfocus focuses inside the specimen; see
:mod:`synthstem.physics.optics`). An aberration-free probe of semi-angle ``alpha`` keeps its
axial intensity ``[sin(u)/u]^2`` with ``u = pi alpha^2 dz / (2 lambda)`` within a distance
``dz`` of its focus; we call a column *in focus* when its mean depth lies within

    ``|z - z_f| <= DOF_FACTOR * lambda / alpha^2``

(``DOF_FACTOR = 1``: the axial intensity there is ``4 / pi^2 = 0.41`` of the focus; the
common full depth of field ``1.77 lambda / alpha^2`` is +-0.89 of it). At 200 kV and
25 mrad this is +-40 Angstrom.
"""

from __future__ import annotations

import numpy as np

from ..physics.optics import Microscope

__all__ = ["DOF_FACTOR", "depth_of_field", "in_focus"]

#: half-width of the in-focus range in units of lambda / alpha^2
DOF_FACTOR = 1.0


def depth_of_field(microscope):
    """Half-width of the in-focus range [Angstrom] (module docstring)."""
    m = microscope if isinstance(microscope, Microscope) else Microscope(**microscope)
    alpha = m.convergence * 1e-3
    return DOF_FACTOR * m.wavelength / alpha**2


def in_focus(depth, microscope):
    """(M,) bool: columns whose mean depth ``depth`` [Angstrom] (``Columns.depth``) lies
    within the depth of field of the probe focus ``z_f = defocus``; NaN depth: False."""
    m = microscope if isinstance(microscope, Microscope) else Microscope(**microscope)
    depth = np.asarray(depth, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.abs(depth - m.defocus) <= depth_of_field(m)
