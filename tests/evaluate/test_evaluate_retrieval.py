import json

import ml_data
import pytest

from synthstem.evaluate import score_retrieval


@pytest.fixture
def fake(tmp_path):
    (tmp_path / "retrieval.csv").write_text(
        "target,twin\ntargets/t1.h5,choices/c1.h5\ntargets/t2.h5,choices/c2.h5\n")
    return tmp_path


def test_top_k_by_hand(fake):
    pred = {"t1-stem00-clean": ["c1", "c9"],                       # top-1 hit
            "t1-stem00-blbk1": ["c9-stem00-clean", "c9-stem00-raw", "c3", "c1"],  # rank 3 (c9 once)
            "t2-stem00-clean": ["c1", "c3", "c4", "c5", "c6", "c2"]}  # rank 6: no top-5 hit
    r = score_retrieval(pred, fake)
    assert r["queries"] == 3 and r["top1"] == pytest.approx(1 / 3) and r["top5"] == pytest.approx(2 / 3)
    assert r["by_condition"]["stem00-clean"] == {"queries": 2, "top1": 0.5, "top5": 0.5}
    assert r["by_condition"]["stem00-blbk1"] == {"queries": 1, "top1": 0.0, "top5": 1.0}
    assert score_retrieval(pred, fake, ks=(6,))["top6"] == 1.0


@pytest.mark.parametrize("pred, message", [
    ({"t3-stem00-clean": ["c1"]}, "'t3' is not a target"),
    ({"t1-stem00-clean": "c1"}, "expected a list of choice names"),
    ({"t1-stem00-clean": [1]}, "expected a list of choice names"),
    ({}, "no queries"),
])
def test_malformed_rankings(fake, pred, message):
    with pytest.raises(ValueError, match=message):
        score_retrieval(pred, fake)


def test_needs_retrieval_csv(tmp_path):
    with pytest.raises(FileNotFoundError, match="no retrieval.csv"):
        score_retrieval({"t1": ["c1"]}, tmp_path)


def test_twin_ranked_first_scores_one_on_a_run(tiny_retrieval, tmp_path):
    rows = (tiny_retrieval / "retrieval.csv").read_text().splitlines()[1:]
    twins = {r.split(",")[0][8:-3]: r.split(",")[1][8:-3] for r in rows}
    others = sorted(p.stem for p in (tiny_retrieval / "choices").glob("*.h5"))
    pred = {f"{t}-stem00-clean": [c, *[o for o in others if o != c]] for t, c in twins.items()}
    path = tmp_path / "pred.json"
    path.write_text(json.dumps(pred))
    scores = json.loads(ml_data.run_cli("eval", "retrieval", path, "--truth", tiny_retrieval, "--json").stdout)
    assert scores["top1"] == scores["top5"] == 1.0 and scores["queries"] == 3
    out = ml_data.run_cli("eval", "retrieval", path, "--truth", tiny_retrieval, "--top", "1", "2").stdout
    assert out.splitlines()[0].split("\t") == ["", "queries", "top1", "top2"]
