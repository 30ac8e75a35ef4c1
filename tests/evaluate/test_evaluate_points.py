"""eval points: box IoU rule and distance rule against an explicit slow implementation."""

import itertools
import json

import numpy as np
import pytest

from synthstem.cli import main
from synthstem.evaluate.points import box_iou, match_box, match_distance, score_points


def slow_iou(a, b, box=21.0):
    # boxes [x-10.5, x+10.5] etc., intersection by explicit interval overlap
    h = box / 2
    ix = max(0.0, min(a[0] + h, b[0] + h) - max(a[0] - h, b[0] - h))
    iy = max(0.0, min(a[1] + h, b[1] + h) - max(a[1] - h, b[1] - h))
    inter = ix * iy
    return inter / (box * box + box * box - inter)


def slow_match(truth, pred, score, accept):
    # brute force over all injective assignments: maximise total score, count accepted pairs
    best_total, best_count = -1.0, 0
    t, p = list(truth), list(pred)
    small, big, swap = (t, p, False) if len(t) <= len(p) else (p, t, True)
    for perm in itertools.permutations(range(len(big)), len(small)):
        pairs = [((big[j], small[i]) if swap else (small[i], big[j])) for i, j in enumerate(perm)]
        total = sum(score(a, b) for a, b in pairs)
        count = sum(accept(a, b) for a, b in pairs)
        if total > best_total + 1e-12:
            best_total, best_count = total, count
    return best_count


def test_box_iou_matches_slow():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 40, (5, 2)), rng.uniform(0, 40, (6, 2))
    fast = box_iou(a, b)
    for i, j in np.ndindex(fast.shape):
        assert fast[i, j] == pytest.approx(slow_iou(a[i], b[j]))
    assert box_iou([[0, 0]], [[0, 0]])[0, 0] == 1.0
    # 7 px shift along one axis: IoU = 14 / 28 = 0.5 exactly: not a match (> 0.5 needed)
    assert box_iou([[0, 0]], [[7, 0]])[0, 0] == pytest.approx(0.5)
    assert match_box([[0, 0]], [[7, 0]]) == 0 and match_box([[0, 0]], [[6.9, 0]]) == 1


@pytest.mark.parametrize("seed", range(6))
def test_matching_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    t, p = rng.uniform(0, 30, (rng.integers(1, 6), 2)), rng.uniform(0, 30, (rng.integers(1, 6), 2))
    expected = slow_match(t, p, slow_iou, lambda a, b: slow_iou(a, b) > 0.5)
    assert match_box(t, p) == expected
    d = lambda a, b: float(np.hypot(*(np.asarray(a) - b)))  # noqa: E731
    expected_d = slow_match(t, p, lambda a, b: 1e6 - d(a, b) if d(a, b) <= 5 else 0.0, lambda a, b: d(a, b) <= 5)
    assert match_distance(t, p, 5.0) == expected_d


def test_score_points_pooled_and_cli(tmp_path, capsys):
    truth = tmp_path / "labels"
    truth.mkdir()
    (truth / "a.csv").write_text(" ,X,Y\n1,10,10\n2,50,50\n")
    (truth / "b.csv").write_text(" ,X,Y\n1,20,20\n")
    pred = {"a": [[11, 10, "Pt", 0.9], [90, 90, "Pt", 0.8]], "b": [[20, 23, "Pt", 0.7]]}
    path = tmp_path / "pred.json"
    path.write_text(json.dumps(pred))
    s = score_points(str(path), str(truth))
    assert (s["box"]["tp"], s["box"]["fp"], s["box"]["fn"]) == (2, 1, 1)
    assert s["box"]["f1"] == pytest.approx(2 / 3)
    assert s["distance"]["tp"] == 2
    assert main(["eval", "points", str(path), "--truth", str(truth), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["box"]["tp"] == 2


def test_eval_points_errors(tmp_path, capsys):
    truth = tmp_path / "labels"
    truth.mkdir()
    (truth / "a.csv").write_text("A,B\n1,2\n")
    path = tmp_path / "pred.json"
    path.write_text(json.dumps({"a": [[1, 2, "Pt", 1.0]]}))
    assert main(["eval", "points", str(path), "--truth", str(truth)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs columns 'X' and 'Y'" in err
    path.write_text("{not json")
    assert main(["eval", "points", str(path), "--truth", str(truth)]) == 2
    assert "not JSON" in capsys.readouterr().err
    path.write_text(json.dumps({"zzz": []}))
    (truth / "a.csv").write_text("X,Y\n1,2\n")
    assert main(["eval", "points", str(path), "--truth", str(truth)]) == 2
    assert "without labels" in capsys.readouterr().err
