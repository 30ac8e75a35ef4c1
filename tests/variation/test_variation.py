"""Per-item draws: validation of specs per key, reproducibility, independence."""

import pytest

from synthstem.physics.optics import Microscope
from synthstem.variation import check_specs, draw_item, microscope_kwargs

SPECS = {
    "microscope.defocus": {"uniform": [-40, 40]},
    "microscope.Cs": {"normal": [0, 2e4], "clip": [-5e4, 5e4]},
    "microscope.convergence": [18.0, 20.0, 25.0],
    "microscope.focal_spread": {"uniform": [0, 50]},
    "microscope.tilt_x": {"uniform": [-5, 5]},
    "microscope.detector_inner": {"uniform": [60, 100]},
    "microscope.detector_outer": 180.0,
    "simulation.thickness": {"uniform": [25, 100]},
    "simulation.boundary": ["cut", "periodic"],
    "defects.count": {"randint": [0, 3]},
}


def test_draws_are_reproducible_and_independent_of_other_keys():
    specs = check_specs(SPECS)
    a = draw_item(specs, 7, 3)
    assert a == draw_item(check_specs(SPECS), 7, 3)
    assert a != draw_item(specs, 7, 4) and a != draw_item(specs, 8, 3)
    # dropping or reordering keys leaves the other draws unchanged
    fewer = {k: v for k, v in reversed(list(specs.items())) if k != "microscope.Cs"}
    b = draw_item(fewer, 7, 3)
    assert all(b[k] == a[k] for k in b)
    assert a["microscope.detector_outer"] == 180.0
    assert isinstance(a["defects.count"], int) and a["simulation.boundary"] in ("cut", "periodic")


def test_drawn_values_build_a_valid_microscope():
    for index in range(20):
        values = draw_item(check_specs(SPECS), 1, index)
        scope = Microscope(**microscope_kwargs(values))
        assert scope.detector[1] == 180 and 60 <= scope.detector[0] <= 100
        assert -40 <= scope.defocus <= 40 and scope.convergence in (18, 20, 25)


@pytest.mark.parametrize("key, spec, message", [
    ("microscope.energy", {"normal": [2e5, 1e3]}, r"microscope.energy: draws must lie in \(0"),
    ("microscope.tilt_y", {"uniform": [0, 80]}, "microscope.tilt_y: draws must lie"),
    ("microscope.source_size", -1.0, "microscope.source_size"),
    ("simulation.boundary", ["cut", "seamless"], "simulation.boundary: must be one of"),
    ("defects.count", {"uniform": [0, 3]}, "defects.count: draws must be integers"),
    ("defects.count", [1, 2.5], "defects.count: draws must be integers"),
    ("microscope.defocus", {"uniform": [3, 1]}, "microscope.defocus: .*lo <= hi"),
    ("simulation.size", 20.0, "simulation.size cannot be drawn"),
])
def test_bad_specs_name_the_key(key, spec, message):
    with pytest.raises(ValueError, match=message):
        check_specs({key: spec})


def test_detector_angles_must_not_cross():
    with pytest.raises(ValueError, match="largest inner angle"):
        check_specs({"microscope.detector_inner": {"uniform": [60, 160]},
                     "microscope.detector_outer": {"uniform": [150, 200]}})
