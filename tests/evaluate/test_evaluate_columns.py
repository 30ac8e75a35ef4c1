import itertools
import json
import shutil

import h5py
import ml_data
import numpy as np
import pytest

from synthstem.evaluate import match_points, score_columns, visible_columns
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


def _visible_slow(xy, peak_map, radius=2.5):
    """The peak-map rule written out: a column is visible when some peak pixel lies within
    ``radius`` of it and no other column position is nearer to that pixel."""
    visible = [False] * len(xy)
    for y, x in zip(*np.nonzero(peak_map)):
        d = [float(np.hypot(x - cx, y - cy)) for cx, cy in xy]
        best = min(d)
        if best <= radius:
            for k, dk in enumerate(d):
                if dk == best:  # columns at the same position share the peak
                    visible[k] = True
    return np.array(visible, bool)


def test_visible_columns_equal_the_slow_rule():
    rng = np.random.default_rng(3)
    for _ in range(30):
        n = int(rng.integers(0, 25))
        xy = rng.uniform(-2, 20, (n, 2))
        if n > 3:
            xy[1] = xy[0]  # a repeated position
        pm = rng.random((18, 18)) < 0.04
        np.testing.assert_array_equal(visible_columns(xy, pm), _visible_slow(xy, pm))


def test_visible_columns_find_a_peak_away_from_the_rounded_position():
    xy = np.array([[4.4, 4.4], [12.0, 12.0]])
    pm = np.zeros((16, 16), bool)
    pm[6, 5] = True  # 1.8 px from the first column, not at rint(xy) = (4, 4)
    assert visible_columns(xy, pm).tolist() == [True, False]
    pm[6, 5], pm[9, 9] = False, True  # 4.2 px from both: nobody's peak
    assert visible_columns(xy, pm).tolist() == [False, False]


def test_visible_columns_of_the_dataset_follow_find_peaks(tiny):
    """The column each stored peak was assigned to by find_peaks is the visible one."""
    from synthstem.labels.peaks import find_peaks
    s = _truth(tiny)[IMAGE]
    raw = open_dataset(tiny, conditions="raw", target=["columns"])[0]["image"]
    peaks, column = find_peaks(raw, s["xy"])
    cols = np.unique(s["xy"], axis=0)
    expected = np.zeros(len(cols), bool)
    expected[column] = True
    np.testing.assert_array_equal(visible_columns(cols, s["peak_map"]), expected)


def test_visible_only_ignores_unresolved_columns(tiny, tmp_path):
    s = _truth(tiny)[IMAGE]
    visible = visible_columns(s["xy"], s["peak_map"])
    np.testing.assert_array_equal(visible, _visible_slow(s["xy"], s["peak_map"]))
    assert visible.all()  # every column of this clean SrTiO3 [001] image is resolved
    # a copy of the dataset whose peak map lost the peaks of 5 columns (as if unresolved)
    data = tmp_path / "data"
    shutil.copytree(tiny, data)
    gone = [0, 3, 7, 20, 30]
    item_file = next(data.rglob(IMAGE.partition("-")[0] + ".h5"))
    with h5py.File(item_file, "r+") as f:
        pm = f["haadf/peak_map_clean"][()]
        cols = np.unique(s["xy"], axis=0)
        ys, xs = np.nonzero(pm)
        owner = np.argmin(np.hypot(xs[:, None] - cols[None, :, 0], ys[:, None] - cols[None, :, 1]), axis=1)
        for k in np.flatnonzero(np.isin(owner, [np.flatnonzero((cols == s["xy"][g]).all(1))[0] for g in gone])):
            pm[ys[k], xs[k]] = 0
        f["haadf/peak_map_clean"][...] = pm
    s = _truth(data)[IMAGE]
    visible = visible_columns(s["xy"], s["peak_map"])
    assert np.flatnonzero(~visible).tolist() == gone
    pred = {IMAGE: [[float(x), float(y)] for (x, y), v in zip(s["xy"], visible) if v]}
    assert score_columns(pred, data, visible_only=True)["all"]["f1"] == 1.0
    r = score_columns(pred, data)
    assert r["all"]["recall"] == pytest.approx(visible.sum() / len(visible))
    # a prediction on an unresolved column is neither a true nor a false positive
    x, y = s["xy"][gone[0]]
    pred[IMAGE].append([float(x), float(y)])
    r = score_columns(pred, data, visible_only=True)["all"]
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
