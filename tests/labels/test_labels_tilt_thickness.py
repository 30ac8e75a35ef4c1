"""Column labels stay on image maxima when the specimen is thick and mistilted: the
peak-map rule finds every cation column of SrTiO3 [001] at its projected position."""

import numpy as np
import pytest

from synthstem.labels.peaks import find_peaks
from synthstem.physics.optics import Microscope
from synthstem.physics.simulate import FAST, simulate
from synthstem.structures.columns import merge_columns
from synthstem.structures.orient import orient
from synthstem.structures.prototypes import prototype


@pytest.mark.parametrize("thickness, tilt", [(80.0, (0.0, 0.0)), (80.0, (6.0, -4.0))])
def test_cation_columns_are_found_on_their_maxima(thickness, tilt):
    """80 A and (6, -4) mrad move the wave by (0.48, -0.32) A = (2.0, -1.3) px relative to
    the atoms between entrance and exit; the maxima stay within a pixel of the columns'
    (entrance) positions, where the labels are."""
    cell = orient(prototype("perovskite/SrTiO3"), (0, 0, 1), size=11.7, thickness=thickness,
                  boundary="periodic")
    pixels = 48
    scope = Microscope(tilt_x=tilt[0], tilt_y=tilt[1])
    # preview settings: positions, not intensities (PRISM's intensity error on these thick
    # 1.5-cell windows is what prism_check reports; not the subject here)
    image = simulate(cell, scope, pixels=pixels, method="prism", interpolation=2,
                     workers=1, prism_check=0, **FAST).image
    columns = merge_columns(cell, pixels)
    cations = np.array([lab != "O" for lab in columns.label])
    peaks, column = find_peaks(image, columns.xy)
    unique = np.unique(columns.xy, axis=0)
    found = {tuple(np.round(unique[c], 6)) for c in column}
    for xy in columns.xy[cations]:
        assert tuple(np.round(xy, 6)) in found
    # each peak is the pixel nearest its column (within one pixel)
    d = np.linalg.norm(peaks - unique[column], axis=1)
    assert d.max() <= 1.0
