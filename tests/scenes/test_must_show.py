"""Must show (issue 17): every labelled in-focus heavy atom lies on a local maximum of the
clean image. In focus: ``|depth - defocus| <= lambda / alpha^2`` (synthstem.labels.focus).
A column is on a local maximum when a pixel within 1 px of its position is the maximum of
its 5 x 5 neighbourhood (+-0.6 A: a 3 x 3 window is too weak a test, the noise-free carbon
film alone has a 3 x 3 maximum within 1 px of ~60 % of its pixels, 5 x 5: ~25 %). The
clean image is the noise-free simulation ('raw'); the 'clean' *condition* (stem00-clean)
adds Poisson noise (400 counts/px) and 0.75 px scan-line jitter, which labels do not follow
(as in atomagined), so a jittered row can move a peak by 2-3 px there. Columns closer than
``RESOLVABLE`` = 1.5 A in projection to another labelled column (tilted pairs, stacked
cluster atoms; 2.5x the probe's 0.61 lambda / alpha = 0.61 A at 25 mrad) may merge into one
peak and are left out: in the 512 px config's 4 items, 5 of 107 in-focus columns were
0.97-1.43 A from a neighbour and not separate maxima, 0 of the 93 resolvable ones failed. Pt on N-doped carbon at 0.293 A/px (the config's pixel size), on a
smaller field so that the test stays short."""

import numpy as np
import pytest
from scipy.ndimage import maximum_filter

from synthstem.exports.records import item_records
from synthstem.labels.focus import depth_of_field, in_focus
from synthstem.physics.optics import Microscope
from synthstem.runs.build import build_item
from synthstem.runs.config import load_config
from synthstem.runs.plan import plan

PIXELS, SIZE = 128, 37.5  # 0.293 A/px
RESOLVABLE = 1.5  # [Angstrom]
CONFIG = {"run": {"seed": 2}, "simulation": {"pixels": PIXELS, "size": SIZE, "phonons": 0},
          "microscope": {"convergence": 25.0, "defocus": {"uniform": [0, 30]}, "detector": [80.0, 200.0]},
          "output": {"conditions": ["raw", "clean"]},
          "scene": {"kind": "supported", "items": 3, "support": "CN", "thickness": {"uniform": [40, 80]},
                    "heavy": "Pt", "heavy_density": 1.5, "group_fractions": [0.6, 0.2, 0.2],
                    "label_groups": True}}


def test_depth_of_field_textbook_value():
    m = Microscope(energy=200e3, convergence=25.0)
    assert m.wavelength == pytest.approx(0.025079, rel=1e-4)  # 200 kV, relativistic
    assert depth_of_field(m) == pytest.approx(0.025079 / 0.025**2, rel=1e-4)  # 40.1 A
    assert in_focus([0.0, 39.0, 41.0, np.nan], Microscope(energy=200e3, convergence=25.0)).tolist() == \
        [True, True, False, False]


@pytest.mark.parametrize("index", range(3))
def test_in_focus_heavy_atoms_lie_on_local_maxima(index, tmp_path):
    task = plan(load_config(CONFIG), tmp_path)[index]  # nothing is written
    item, _ = build_item(task)
    cols = item.columns
    focus = in_focus(cols.depth, item.params["settings"]["microscope"])
    xy_a = cols.xy * SIZE / PIXELS
    nearest = np.sort(np.linalg.norm(xy_a[:, None] - xy_a[None], axis=-1), axis=1)[:, 1]
    focus &= nearest >= RESOLVABLE
    assert focus.sum() >= 5 and len(set(np.array(cols.label)[focus])) >= 2
    for record in item_records(item, ["raw"]):
        image = record.image
        local_max = image == maximum_filter(image, size=5, mode="wrap")
        near_max = maximum_filter(local_max, size=3, mode="wrap")
        ij = np.round(record.xy).astype(int) % PIXELS
        on_max = near_max[ij[:, 1], ij[:, 0]]
        assert [cols.label[i] for i in np.flatnonzero(focus & ~on_max)] == [], record.file_name
        # and the check can fail: a random position of the field is rarely near a maximum
        random_px = np.random.default_rng(index).integers(0, PIXELS, (400, 2))
        assert near_max[random_px[:, 1], random_px[:, 0]].mean() < 0.35
