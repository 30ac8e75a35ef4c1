import json

import ml_data
import numpy as np
import pytest

from synthstem.evaluate import box_ap, score_defects
from synthstem.loaders import open_dataset


def test_ap_equals_a_hand_count():
    """Two true boxes; detections by score: hit, miss (no overlap), hit.

    Every IoU is 1 or 0, so AP is the same at all ten IoU thresholds. Precision after each
    detection: 1/1 (recall 0.5), 1/2 (0.5), 2/3 (1.0). COCO's interpolated precision is 1
    at the 51 recall points 0.00..0.50 and 2/3 at the 50 points 0.51..1.00:
    AP = (51 * 1 + 50 * 2/3) / 101.
    """
    truth = {"a": [[10, 10, 40, 40]], "b": [[100, 100, 40, 40]]}
    pred = {"a": np.array([[10, 10, 40, 40, 0.9], [200, 200, 40, 40, 0.8]]),
            "b": np.array([[100, 100, 40, 40, 0.7]])}
    stats = box_ap(truth, pred)
    hand = (51 + 50 * 2 / 3) / 101
    assert stats["AP"] == pytest.approx(hand, abs=1e-12)
    assert stats["AP50"] == stats["AP75"] == pytest.approx(hand, abs=1e-12)
    assert stats["AR100"] == 1.0
    # the miss scored highest: precision 0, 1/2 (0.5), 2/3 (1.0) -> (51 * 2/3 + 50 * 2/3) / 101
    pred["a"][1, 4] = 0.95
    assert box_ap(truth, pred)["AP"] == pytest.approx(2 / 3, abs=1e-12)


def test_ap_iou_threshold_counted_by_hand():
    """One detection with IoU 0.62: a hit at thresholds 0.50, 0.55, 0.60 (3 of 10)."""
    truth = {"a": [[0, 0, 100, 100]]}
    pred = {"a": np.array([[0, 0, 62, 100, 1.0]])}  # IoU = 6200 / 10000
    stats = box_ap(truth, pred)
    assert stats["AP50"] == pytest.approx(1.0, abs=1e-12) and stats["AP75"] == 0.0
    assert stats["AP"] == pytest.approx(3 / 10, abs=1e-12)


def test_nothing_detected_scores_zero():
    assert box_ap({"a": [[0, 0, 10, 10]]}, {"a": np.zeros((0, 5))})["AP"] == 0.0


def _truth_boxes(tiny):
    ds = open_dataset(tiny, conditions=["clean", "dfct1"], target="boxes")
    return {ds[i]["name"]: ds[i]["boxes"] for i in range(len(ds))}


def test_dataset_truth_as_prediction_scores_one(tiny, tmp_path):
    truth = _truth_boxes(tiny)
    assert sum(len(b) for b in truth.values()) == 2
    pred = {n: [[*map(float, b), 1.0] for b in boxes] for n, boxes in truth.items()}
    r = score_defects(pred, tiny)
    assert r["AP"] == 1.0 and r["truth_boxes"] == 2 and r["images"] == 4
    # a shifted box (IoU 0.62 with its truth): AP over 0.5:0.95 drops to 3/10 for that image
    name = next(n for n, b in truth.items() if len(b))
    x, y, w, h = map(float, truth[name][0])
    s = w * 0.38 / 1.62
    only = {name: [[x + s, y, w, h, 1.0]]}
    assert (w - s) / (w + s) == pytest.approx(0.62)
    assert score_defects(only, tiny)["AP"] == pytest.approx(0.3, abs=1e-9)
    path = tmp_path / "pred.json"
    path.write_text(json.dumps(pred))
    scores = json.loads(ml_data.run_cli("eval", "defects", path, "--truth", tiny, "--json").stdout)
    assert scores["AP"] == 1.0


@pytest.mark.parametrize("pred, message", [
    ({"000001.000001-stem00-clean": [[1, 2, 3, 4]]}, r"expected \[x, y, w, h, score\]"),
    ({"000001.000001-stem00-clean": [[1, 2, 0, 4, 0.5]]}, "width and height must be > 0"),
    ({"000001.000001-stem00-clean": [[1, 2, 3, 4, None]]}, r"\[4\]: expected a finite number"),
    ({"000001.000001-stem00-xxx": []}, "has no image"),
])
def test_malformed_boxes(tiny, pred, message):
    with pytest.raises(ValueError, match=message):
        score_defects(pred, tiny)
