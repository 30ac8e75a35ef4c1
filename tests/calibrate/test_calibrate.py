"""calibrate: recover known detector offset, gain, dose, spot width and row noise from synthetic images."""

import numpy as np
import pytest

from synthstem.calibrate import calibrate, calibration_toml
from synthstem.calibrate.statistics import fit_spots, row_statistics
from synthstem.cli import main
from synthstem.noise.conditions import Condition
import tomllib

OFFSET, GAIN, SIGMA = 2000.0, 40.0, 3.0


def _scene(rng, n=192, spots=12):
    yy, xx = np.mgrid[:n, :n].astype(float)
    img = 1.0 + 0.3 * xx / n
    xy = rng.uniform(15, n - 15, (spots, 2))
    for x, y in xy:
        img += 0.5 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * SIGMA**2))
    return img, xy


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cal")
    (folder / "labels").mkdir()
    rng = np.random.default_rng(0)
    truth = {}
    for k, counts in enumerate((15.0, 40.0, 120.0)):
        img, xy = _scene(rng)
        cond = Condition("t", counts=counts, quantise=True, detector_offset=OFFSET, detector_gain=GAIN,
                         row_gain=0.02)
        np.save(folder / f"im{k}.npy", cond.apply(img, rng=k))
        (folder / "labels" / f"im{k}.csv").write_text(",X,Y\n" + "".join(f"{i},{x},{y}\n" for i, (x, y) in enumerate(xy)))
        truth[f"im{k}"] = counts
    return folder, truth


def test_recovers_offset_gain_dose_spots(images):
    folder, truth = images
    paths = sorted(str(p) for p in folder.glob("*.npy"))
    r = calibrate(paths, str(folder / "labels"))
    assert r["detector"]["gain"] == pytest.approx(GAIN, rel=0.05)
    # the offset is where the fitted line crosses zero variance: known to ~1 electron (gain units)
    assert r["detector"]["offset"] == pytest.approx(OFFSET, abs=1.5 * GAIN)
    for name, counts in truth.items():
        stats = r["images"][name]
        # median electrons per pixel of a 1 .. 1.3 ramp normalised to mean 1 (+ sparse spots)
        # (mean - offset) / gain: the gain (5 %) and offset (~1 electron) errors add up
        assert stats["dose"] == pytest.approx(counts, rel=0.12)
        assert stats["spot_sigma"] == pytest.approx(SIGMA, rel=0.1)
        assert stats["spot_source"] == "labels"
    text = calibration_toml(r, paths)
    cfg = tomllib.loads(text)
    cond = cfg["conditions"]["calibrated"]
    assert cond["quantise"] is True and cond["detector_gain"] == pytest.approx(r["detector"]["gain"])
    Condition("calibrated", **cond)  # the written table is a valid condition


def test_row_statistics_recover_row_gain():
    rng = np.random.default_rng(1)
    c = Condition("rows", counts=200.0, row_gain=0.015)
    e = c.apply(np.ones((512, 512)), rng=rng) * 200.0
    s = row_statistics(e)
    assert s["row_gain"] == pytest.approx(0.015, rel=0.15)
    assert s["row_exponent"] < 0.5


def test_fit_spots_contrast():
    yy, xx = np.mgrid[:41, :41].astype(float)
    img = 100.0 + 25.0 * np.exp(-((xx - 20.3) ** 2 + (yy - 19.6) ** 2) / (2 * 3.5**2))
    f = fit_spots(img, [[20, 20]])
    assert f["sigma"][0] == pytest.approx(3.5, rel=1e-3) and f["contrast"][0] == pytest.approx(0.25, rel=1e-3)
    np.testing.assert_allclose(f["xy"][0], [20.3, 19.6], atol=1e-3)


def test_cli_writes_toml_and_errors(images, tmp_path, capsys):
    folder, _ = images
    out = tmp_path / "cond.toml"
    assert main(["calibrate", str(folder / "im0.npy"), str(folder / "im2.npy"), "--out", str(out)]) == 0
    assert "[conditions.calibrated]" in out.read_text()
    capsys.readouterr()
    assert main(["calibrate", str(tmp_path / "missing.tif"), "--out", str(tmp_path / "x.toml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.tif" in err
    bad = tmp_path / "notimage.txt"
    bad.write_text("hello")
    assert main(["calibrate", str(bad), "--out", str(tmp_path / "x.toml")]) == 2
    assert "not an image file" in capsys.readouterr().err
    fake = tmp_path / "fake.tif"
    fake.write_text("not a tiff")
    assert main(["calibrate", str(fake), "--out", str(tmp_path / "x.toml")]) == 2
    assert "cannot read as tif image" in capsys.readouterr().err
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "im0.csv").write_text("a,b\n1,2\n")
    assert main(["calibrate", str(folder / "im0.npy"), "--labels", str(labels), "--out", str(tmp_path / "x.toml")]) == 2
    assert "needs columns 'X' and 'Y'" in capsys.readouterr().err
    assert not (tmp_path / "x.toml").exists()
