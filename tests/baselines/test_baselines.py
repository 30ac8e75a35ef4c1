import numpy as np
import pytest

from synthstem.baselines import descriptor, find_columns, predict_columns, predict_retrieval
from synthstem.evaluate import score_columns, score_retrieval
from synthstem.loaders import open_dataset


def _lattice(shape=(96, 96), spacing=12.0, offset=(5.3, 6.7), sigma=2.0, angle=0.0):
    """Gaussian peaks on a square lattice; returns the image and the exact peak positions."""
    c, s = np.cos(angle), np.sin(angle)
    pts = []
    for i in range(-10, 20):
        for j in range(-10, 20):
            x, y = offset[0] + spacing * (i * c - j * s), offset[1] + spacing * (i * s + j * c)
            pts.append((x, y))
    pts = np.array(pts)
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    img = np.zeros(shape)
    for x, y in pts:
        img += np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (2 * sigma**2))
    inside = np.all((pts >= 2) & (pts <= np.array(shape[::-1]) - 3), axis=1)
    return img, pts[inside]


def test_finds_every_peak_to_sub_pixel_accuracy():
    img, truth = _lattice()
    found = find_columns(img, pixel_size=0.1, sigma=0.0, min_distance=0.5, contrast=0.1)
    d = np.hypot(*(found[:, None, :] - truth[None, :, :]).transpose(2, 0, 1))
    assert len(found) == len(truth)
    assert d.min(axis=1).max() < 0.1  # [px]; the pixel grid alone would give up to 0.71
    # noise: positions degrade gracefully, nothing spurious
    noisy = img + np.random.default_rng(0).normal(0, 0.05, img.shape)
    found = find_columns(noisy, pixel_size=0.1, sigma=0.15, min_distance=0.5, contrast=0.2)
    assert len(found) == len(truth)


def test_bad_arguments():
    with pytest.raises(ValueError, match="pixel_size must be > 0"):
        find_columns(np.zeros((8, 8)), 0.0)
    with pytest.raises(ValueError, match="2D"):
        find_columns(np.zeros(8), 0.1)


def test_column_baseline_on_a_run_beats_chance(tiny):
    ds = open_dataset(tiny, conditions="clean", target=None)
    pred = predict_columns(ds)
    r = score_columns(pred, tiny, visible_only=True)["all"]
    rng = np.random.default_rng(1)
    chance = {n: rng.uniform(0, 63, (len(p), 2)).tolist() for n, p in pred.items()}
    r0 = score_columns(chance, tiny, visible_only=True)["all"]
    # every column of these clean images owns a peak-map pixel (the peak-map rule, issue
    # 20): the resolved-column scores are the all-column ones, where the finder misses
    # the O columns (recall ~0.5; 0.7 held only on the wrongly shrunk rint subset); the
    # measured incoherent model (cross-sections ~Z^1.9) keeps O columns faint beside Sr
    assert r == score_columns(pred, tiny)["all"]
    assert r["precision"] == 1.0 and r["f1"] > 0.6 and r0["f1"] < 0.4
    assert r["mean_error_angstrom"] < 0.1 < r0["mean_error_angstrom"]


def test_descriptor_is_translation_and_rotation_tolerant():
    a, _ = _lattice(shape=(128, 128), spacing=16.0, offset=(3.0, 4.0))
    shifted, _ = _lattice(shape=(128, 128), spacing=16.0, offset=(11.0, 9.5))
    rotated, _ = _lattice(shape=(128, 128), spacing=16.0, offset=(3.0, 4.0), angle=np.deg2rad(30))
    other, _ = _lattice(shape=(128, 128), spacing=11.0, offset=(3.0, 4.0))
    da, ds, dr, do = (descriptor(x) for x in (a, shifted, rotated, other))
    assert np.linalg.norm(da) == pytest.approx(1.0)
    assert da @ ds > 0.99 and da @ dr > 0.95
    assert da @ do < min(da @ ds, da @ dr) - 0.2  # another lattice is clearly farther


def test_retrieval_baseline_on_a_run(tiny_retrieval):
    targets = open_dataset(tiny_retrieval, subset="targets", target=None)
    choices = open_dataset(tiny_retrieval, subset="choices", target=None)
    pred = predict_retrieval(targets, choices, top=6)
    assert set(pred) == set(targets.names) and all(len(v) == 6 for v in pred.values())
    r = score_retrieval(pred, tiny_retrieval)
    # a random ranking of 6 choices expects top-1 = 1/6, top-5 = 5/6
    assert r["top1"] > 1 / 6 and r["top5"] == 1.0


def test_baseline_command_writes_what_eval_reads(tiny, tmp_path, capsys):
    import json

    from synthstem.baselines import predict_columns
    from synthstem.cli import main
    from synthstem.evaluate import score_columns
    from synthstem.loaders import open_dataset

    out = tmp_path / "pred.json"
    assert main(["baseline", "columns", str(tiny), "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    pred = json.loads(out.read_text())
    assert pred == predict_columns(open_dataset(tiny, target=None))
    assert main(["eval", "columns", str(out), "--truth", str(tiny), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(score_columns(pred, tiny), sort_keys=True))
    assert main(["baseline", "columns", str(tiny / "nope"), "--out", str(tmp_path / "x.json")]) == 2
    assert "not found" in capsys.readouterr().err and not (tmp_path / "x.json").exists()
