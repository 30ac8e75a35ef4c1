import itertools
import json

import h5py
import ml_data
import numpy as np
import pytest

from synthstem.evaluate import match_points, score_columns
from synthstem.loaders import open_dataset

IMAGE = "000001.000001-stem00-clean"  # SrTiO3 [001], 12 A, 64 px: 0.1875 A per pixel


def _brute_force(pred, true, thr):
    """Most pairs within thr, then least summed distance: every partial injection tried."""
    best = (0, 0.0)
    slots = list(range(len(true))) + [None] * len(pred)
    for perm in set(itertools.permutations(slots, len(pred))):
        d = [np.hypot(*(pred[i] - true[j])) for i, j in enumerate(perm) if j is not None]
        if any(v > thr for v in d):
            continue
        key = (len(d), -sum(d))
        best = max(best, key)
    return best[0], -best[1]


def test_matching_equals_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(40):
        pred, true = rng.uniform(0, 3, (rng.integers(0, 5), 2)), rng.uniform(0, 3, (rng.integers(0, 5), 2))
        pi, ti, d = match_points(pred, true, 1.0)
        n, total = _brute_force(pred, true, 1.0)
        assert len(pi) == n and len(set(pi)) == len(pi) and len(set(ti)) == len(ti)
        assert d.sum() == pytest.approx(total, abs=1e-9)
        np.testing.assert_allclose(d, np.hypot(*(pred[pi] - true[ti]).T))


def _truth(tiny, conditions="clean"):
    ds = open_dataset(tiny, conditions=conditions, target=["columns", "peaks"])
    return {ds[i]["name"]: ds[i] for i in range(len(ds))}


def _pred(truth, classes=True):
    return {n: [[float(x), float(y), lab] if classes else [float(x), float(y)]
                for (x, y), lab in zip(s["xy"], s["labels"])] for n, s in truth.items()}


def test_perfect_predictions_score_one(tiny):
    truth = _truth(tiny, ["clean", "dfct1", "blbk1"])
    r = score_columns(_pred(truth), tiny)
    n = sum(len(s["xy"]) for s in truth.values())
    assert r["images"] == 6 and r["all"]["tp"] == n and r["all"]["fp"] == r["all"]["fn"] == 0
    assert r["all"]["precision"] == r["all"]["recall"] == r["all"]["f1"] == 1.0
    assert set(r["classes"]) == {"Au", "O", "O+Ti", "Sr"}
    assert all(c["f1"] == 1.0 for c in r["classes"].values()) and r["macro_f1"] == 1.0
    assert r["all"]["mean_error_angstrom"] < 1e-5
    assert set(r["by_condition"]) == {"stem00-clean", "stem00-dfct1", "stem00-blbk1"}


def test_shifted_predictions_lose_exactly_those_matches(tiny):
    truth = _truth(tiny)
    pred = _pred(truth)
    px = 12.0 / 64
    entries = pred[IMAGE]
    true_xy = truth[IMAGE]["xy"].astype(np.float64)
    n = len(entries)
    moved = [0, 5, 9]
    for k in moved:  # 1 A along x: more than the 0.5 A threshold from every true column
        entries[k][0] += 1.0 / px
        assert np.min(np.hypot(*(true_xy - entries[k][:2]).T)) > 0.5 / px
    r = score_columns({IMAGE: entries}, tiny, threshold_angstrom=0.5)
    assert (r["all"]["tp"], r["all"]["fp"], r["all"]["fn"]) == (n - 3, 3, 3)
    assert r["all"]["precision"] == r["all"]["recall"] == pytest.approx((n - 3) / n)
    # with a 1.1 A threshold the moved predictions match again: nothing is lost
    assert score_columns({IMAGE: entries}, tiny, threshold_angstrom=1.1)["all"]["tp"] == n


def test_shift_within_threshold_gives_the_mean_error(tiny):
    truth = _truth(tiny)
    px = 12.0 / 64
    shift = np.array([0.6, 0.8]) * 0.3 / px  # 0.3 A
    pred = {IMAGE: [[float(x + shift[0]), float(y + shift[1])] for x, y in truth[IMAGE]["xy"]]}
    r = score_columns(pred, tiny, threshold_angstrom=0.5)
    assert r["all"]["f1"] == 1.0 and "classes" not in r
    assert r["all"]["mean_error_angstrom"] == pytest.approx(0.3, abs=1e-5)
    assert r["all"]["mean_error_px"] == pytest.approx(0.3 / px, abs=1e-4)


def test_wrong_class_costs_one_match_of_that_class(tiny):
    truth = _truth(tiny)
    entries = _pred(truth)[IMAGE]
    k = next(i for i, e in enumerate(entries) if e[2] == "Sr")
    entries[k][2] = "Au"
    n_sr = sum(e[2] == "Sr" for e in entries) + 1
    r = score_columns({IMAGE: entries}, tiny)
    assert r["all"]["f1"] == 1.0  # position-only matching is unaffected
    sr, au = r["classes"]["Sr"], r["classes"]["Au"]
    assert (sr["tp"], sr["fp"], sr["fn"]) == (n_sr - 1, 0, 1)
    assert (au["tp"], au["fp"], au["fn"]) == (0, 1, 0)
    assert r["classes"]["O"]["f1"] == 1.0


def test_visible_only_ignores_unresolved_columns(tiny):
    truth = _truth(tiny)
    s = truth[IMAGE]
    ij = np.rint(s["xy"]).astype(int)
    visible = s["peak_map"][ij[:, 1], ij[:, 0]]
    assert 0 < visible.sum() < len(visible)  # some columns (O) are not resolved
    pred = {IMAGE: [[float(x), float(y)] for (x, y), v in zip(s["xy"], visible) if v]}
    assert score_columns(pred, tiny, visible_only=True)["all"]["f1"] == 1.0
    r = score_columns(pred, tiny)
    assert r["all"]["recall"] == pytest.approx(visible.sum() / len(visible))
    # a prediction on an unresolved column is neither a true nor a false positive
    x, y = s["xy"][np.flatnonzero(~visible)[0]]
    pred[IMAGE].append([float(x), float(y)])
    r = score_columns(pred, tiny, visible_only=True)["all"]
    assert (r["tp"], r["fp"], r["fn"]) == (visible.sum(), 0, 0)


@pytest.mark.parametrize("pred, message", [
    ([1, 2], "expected a JSON object keyed by image name"),
    ({IMAGE: 3}, "expected a list of"),
    ({IMAGE: [[1.0]]}, r"\[0\]: expected \[x, y\] or \[x, y, class\]"),
    ({IMAGE: [[1.0, "a"]]}, r"\[0\]\[1\]: expected a finite number"),
    ({IMAGE: [[1.0, float("nan")]]}, "finite number"),
    ({IMAGE: [[1.0, 2.0, "Sr"], [1.0, 2.0]]}, "every prediction must have a class or none"),
    ({IMAGE: [[1.0, 2.0, 7]]}, "class must be a non-empty string"),
    ({"999999.000001-stem00-clean": []}, "no item '999999.000001'"),
    ({"000001.000001-stem00-cnts9": []}, "has no image 'stem00-cnts9'"),
    ({"junk": []}, "is not '<item>-<dataset>'"),
    ({}, "no images"),
])
def test_malformed_predictions_are_one_line_errors(tiny, tmp_path, pred, message):
    path = tmp_path / "pred.json"
    path.write_text(json.dumps(pred))
    with pytest.raises(ValueError, match=message):
        score_columns(path, tiny)
    proc = ml_data.run_cli("eval", "columns", path, "--truth", tiny, check=False)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "error:" in proc.stderr


def test_cli_json_and_table(tiny, tmp_path):
    path = tmp_path / "pred.json"
    path.write_text(json.dumps(_pred(_truth(tiny))))
    proc = ml_data.run_cli("eval", "columns", path, "--truth", tiny, "--json")
    scores = json.loads(proc.stdout)
    assert scores["all"]["f1"] == 1.0 and scores["threshold_angstrom"] == 0.5
    proc = ml_data.run_cli("eval", "columns", path, "--truth", tiny, "--threshold", "0.3")
    assert "threshold 0.3 A" in proc.stdout and proc.stdout.splitlines()[2].startswith("all\t")
    assert ml_data.run_cli("eval", "columns", tmp_path / "none.json", "--truth", tiny,
                           check=False).returncode == 2


def test_truth_uses_the_defected_structure(tiny):
    """A dfct1 image is scored against the columns of its defected structure."""
    with h5py.File(tiny / "items" / "000001.000001.h5") as f:
        dfct, clean = f["synthstem/columns_dfct1/xy"][()], f["synthstem/columns/xy"][()]
    assert dfct.shape != clean.shape or not np.allclose(dfct, clean)
    np.testing.assert_allclose(_truth(tiny, "dfct1")["000001.000001-stem00-dfct1"]["xy"], dfct, atol=1e-5)
    pred = {"000001.000001-stem00-dfct1": dfct.tolist()}
    assert score_columns(pred, tiny, threshold_angstrom=0.01)["all"]["f1"] == 1.0
