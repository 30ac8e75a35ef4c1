"""condition_boxes: the defect boxes of one image, shared by the exports and the loaders."""

import numpy as np

from synthstem.labels.boxes import condition_boxes, condition_suffix


def test_condition_suffix():
    assert condition_suffix("stem00-dfct1") == "dfct1"
    assert condition_suffix("stem01-comb-x") == "comb-x"
    assert condition_suffix("raw") == "raw" and condition_suffix("dfct2") == "dfct2"


def test_boxes_of_one_image_by_name_or_condition_clipped():
    defects = [
        {"bbox_px": [2.5, 3.5, 4.0, 5.0], "condition": "dfct1"},
        {"bbox_px": [-3.5, 6.5, 5.0, 2.0], "conditions": ["stem00-dfct2", "stem00-comb1"]},
        {"bbox_px": [10.5, 10.5, 3.0, 3.0], "conditions": "dfct2"},
        {"bbox_px": None, "condition": "dfct1"},
        "not a record",
    ]
    np.testing.assert_array_equal(condition_boxes(defects, "stem00-dfct1", (12, 12)), [[3.0, 4.0, 4.0, 5.0]])
    # x0 -3.5 + 0.5 = -3 clipped to 0, width 5 - 3 = 2; the box at 11..14 keeps 1 px of 12
    np.testing.assert_array_equal(condition_boxes(defects, "dfct2", (12, 12)),
                                  [[0.0, 7.0, 2.0, 2.0], [11.0, 11.0, 1.0, 1.0]])
    assert condition_boxes(defects, "clean", (12, 12)).shape == (0, 4)
    assert condition_boxes(None, "dfct1", (12, 12)).shape == (0, 4)
    assert condition_boxes(defects, "dfct2", (11, 11)).shape == (1, 4)  # the last box falls outside
