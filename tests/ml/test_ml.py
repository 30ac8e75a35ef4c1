"""ml: train / detect on tiny generated data; data helpers against their definitions."""

import json
import sys

import numpy as np
import pytest

from synthstem.cli import main
from synthstem.ml.data import from_model_coords, heatmap, normalise, peaks, resample, to_model_coords


def _points_folder(root, n=4, size=64, seed=0):
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    yy, xx = np.mgrid[:size, :size].astype(float)
    for k in range(n):
        xy = rng.uniform(6, size - 6, (5, 2))
        img = 100 + sum(60 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 2.0**2)) for x, y in xy)
        np.save(root / "images" / f"im{k}.npy", rng.poisson(img).astype(np.float32))
        (root / "labels" / f"im{k}.csv").write_text(",X,Y\n" + "".join(f"{i},{x},{y}\n" for i, (x, y) in enumerate(xy)))
    (root / "dataset.json").write_text(json.dumps({"pixel_size": 0.3}))
    return root


def test_data_helpers():
    img = np.arange(36, dtype=float).reshape(6, 6)
    np.testing.assert_allclose(resample(img, 0.5), img.reshape(3, 2, 3, 2).mean(axis=(1, 3)))
    xy = np.array([[0.0, 0.0], [3.5, 1.0]])
    np.testing.assert_allclose(from_model_coords(to_model_coords(xy, 0.5), 0.5), xy)
    # block mean: input pixels 0 and 1 (centres 0, 1) -> output pixel 0 (centre 0.5 in input units)
    np.testing.assert_allclose(to_model_coords([[0.5, 0.5]], 0.5), [[0.0, 0.0]])
    h = heatmap([[5.0, 7.0]], [0], (12, 12), 1, 1.5)
    assert h.shape == (1, 12, 12) and h[0, 7, 5] == 1.0 and np.unravel_index(h[0].argmax(), (12, 12)) == (7, 5)
    p, s = peaks(h[0], 0.5)
    np.testing.assert_array_equal(p, [[5, 7]])
    z = normalise(np.random.default_rng(0).normal(5, 2, (200, 200)))
    assert abs(np.median(z)) < 1e-6 and np.median(np.abs(z)) * 1.4826 == pytest.approx(1.0, rel=1e-3)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    pytest.importorskip("torch")
    root = _points_folder(tmp_path_factory.mktemp("ml") / "data")
    model = root.parent / "model.pt"
    args = ["train", str(root), "--out", str(model), "--epochs", "2", "--batch", "2", "--tile", "32",
            "--width", "4", "--depth", "2", "--threads", "1", "--seed", "3"]
    assert main(args) == 0
    return root, model, args


def test_train_is_deterministic_and_records_config(trained, tmp_path):
    import torch

    root, model, args = trained
    again = tmp_path / "again.pt"
    assert main(args[:3] + [str(again)] + args[4:]) == 0
    a, b = torch.load(model, weights_only=True), torch.load(again, weights_only=True)
    for k in a["state_dict"]:
        assert torch.equal(a["state_dict"][k], b["state_dict"][k]), k
    assert a["config"]["pixel_size"] == 0.3 and a["config"]["classes"] == ["atom"]
    assert a["config"]["width"] == 4 and a["training"]["epochs"] == 2 and a["training"]["seed"] == 3
    assert len(a["training"]["losses"]) == 2


def test_detect_any_format_and_size(trained, tmp_path, capsys):
    import h5py
    import imageio.v3 as iio

    tifffile = pytest.importorskip("tifffile")

    _, model, _ = trained
    img = np.random.default_rng(1).poisson(100, (150, 90)).astype(np.float32)
    np.save(tmp_path / "a.npy", img)
    tifffile.imwrite(tmp_path / "b.tif", img.astype(np.uint32))
    iio.imwrite(tmp_path / "c.png", (img / img.max() * 255).astype(np.uint8))
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["image"] = img
    out = tmp_path / "pred.json"
    assert main(["detect", str(model), str(tmp_path), "--pixel-size", "0.15", "--threshold", "0.0",
                 "--out", str(out)]) == 0
    pred = json.loads(out.read_text())
    assert sorted(pred) == ["a", "b", "c", "d"]
    for dets in pred.values():
        assert dets and all(len(d) == 4 and d[2] == "atom" for d in dets)
        xy = np.array([d[:2] for d in dets])
        # rescaled 0.15 -> 0.3 A: coordinates come back in the input's pixels
        assert xy[:, 0].max() > 60 and xy[:, 1].max() > 100 and xy.min() >= -0.5
        assert xy[:, 0].max() <= 89.5 and xy[:, 1].max() <= 149.5


def test_tiled_heatmaps_cover_the_image(trained):
    from synthstem.ml.detect import heatmaps, load_model

    _, model, _ = trained
    m, cfg = load_model(model)
    img = normalise(np.random.default_rng(2).normal(size=(100, 76)))
    whole = heatmaps(m, cfg, img, tile=512)
    tiled = heatmaps(m, cfg, img, tile=64, margin=16)
    assert whole.shape == tiled.shape == (1, 100, 76)
    # the tiles' centres agree with the whole image away from the tile edges' influence
    assert np.corrcoef(whole.ravel(), tiled.ravel())[0, 1] > 0.95


def test_detect_errors(trained, tmp_path, capsys):
    _, model, _ = trained
    np.save(tmp_path / "a.npy", np.ones((32, 32)))
    assert main(["detect", str(model), str(tmp_path / "a.npy"), "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pass --pixel-size" in err
    bad = tmp_path / "bad.pt"
    bad.write_text("nope")
    assert main(["detect", str(bad), str(tmp_path / "a.npy"), "--pixel-size", "1", "--out", str(tmp_path / "p.json")]) == 2
    assert "not a synthstem detector model" in capsys.readouterr().err
    assert not (tmp_path / "p.json").exists()


def test_train_errors(tmp_path, capsys):
    assert main(["train", str(tmp_path / "nothing"), "--out", str(tmp_path / "m.pt")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    (tmp_path / "d" / "images").mkdir(parents=True)
    (tmp_path / "d" / "labels").mkdir()
    np.save(tmp_path / "d" / "images" / "x.npy", np.ones((8, 8)))
    (tmp_path / "d" / "labels" / "x.csv").write_text("X,Y\n1,oops\n")
    assert main(["train", str(tmp_path / "d"), "--out", str(tmp_path / "m.pt")]) == 2
    assert "X and Y must be numbers" in capsys.readouterr().err


def test_without_torch_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    assert main(["train", str(tmp_path), "--out", str(tmp_path / "m.pt")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "PyTorch is not installed" in err
    assert main(["detect", "m.pt", str(tmp_path), "--out", str(tmp_path / "p.json")]) == 2
    assert "PyTorch is not installed" in capsys.readouterr().err


def test_train_on_a_run_dataset(tiny, tmp_path):
    """A synthstem run dataset trains too: its column positions and classes are the points."""
    pytest.importorskip("torch")
    from synthstem.ml.data import load_points_dataset

    samples = load_points_dataset(str(tiny))
    assert samples and all(s["pixel_size"] > 0 and len(s["xy"]) == len(s["classes"]) for s in samples)
    model = tmp_path / "m.pt"
    assert main(["train", str(tiny), "--out", str(model), "--epochs", "1", "--batch", "2", "--tile", "32",
                 "--width", "4", "--depth", "2", "--threads", "1"]) == 0
    import torch

    cfg = torch.load(model, weights_only=True)["config"]
    assert cfg["classes"] == sorted({c for s in samples for c in s["classes"]})


def _slow_normalise(image, method, sigma=8.0, local_sigma=16.0):
    """Explicit twin of ``normalise``: the Gaussian background by direct weighted sums with
    reflected edges (scipy's 'reflect' = half-sample symmetric), then the definitions."""
    x = np.asarray(image, float)

    def blur(a, s):
        r = int(4.0 * s + 0.5)  # scipy's truncate=4
        k = np.exp(-np.arange(-r, r + 1) ** 2 / (2 * s * s))
        k /= k.sum()
        out = a
        for axis in (0, 1):
            pad = [(0, 0), (0, 0)]
            pad[axis] = (r, r)
            p = np.pad(out, pad, mode="symmetric")
            out = sum(k[j] * np.take(p, np.arange(j, j + a.shape[axis]), axis=axis) for j in range(2 * r + 1))
        return out

    r = x - blur(x, sigma)
    if method == "highpass":
        med = np.median(r)
        return (r - med) / (1.4826 * np.median(np.abs(r - med)))
    rms = np.sqrt(blur(r * r, local_sigma))
    return r / np.maximum(rms, 0.25 * np.median(rms))


@pytest.mark.parametrize("method", ["highpass", "local"])
def test_normalisations_against_slow_twin_and_their_purpose(method):
    rng = np.random.default_rng(4)
    noise = rng.normal(0, 1, (96, 80))
    np.testing.assert_allclose(normalise(noise, method), _slow_normalise(noise, method), atol=1e-4)
    # what they are for: a smooth gradient and an offset/gain change do not change the input
    yy, xx = np.mgrid[:96, :80]
    ramp = 5.0 * xx / 80 + 3.0 * np.sin(yy / 40.0)
    a, b = normalise(noise, method), normalise(7.0 + 3.0 * (noise + ramp), method)
    assert np.abs(a - b)[20:-20, 20:-20].max() < 0.1  # (the sine's curvature leaks ~0.07)
    # the global normalisation is scaled by the gradient instead
    assert np.abs(normalise(noise) - normalise(noise + ramp)).max() > 1.0


def test_local_normalisation_equalises_regions_of_different_noise():
    """``local``: a region with 4x the fluctuation comes out with about the same spread as
    the quiet one; ``highpass`` keeps the 4x."""
    rng = np.random.default_rng(5)
    img = rng.normal(0, 1, (128, 128))
    img[:, 64:] *= 4.0
    for method, ratio in (("local", 1.0), ("highpass", 4.0)):
        z = normalise(img, method)
        assert z[:, 96:].std() / z[:, :32].std() == pytest.approx(ratio, rel=0.15), method
    with pytest.raises(ValueError, match="unknown normalisation 'sobel'"):
        normalise(img, "sobel")


def test_crops_normalisation_recorded_and_ensemble(trained, tmp_path, capsys):
    import torch

    from synthstem.ml.detect import detect_image, load_ensemble, load_model

    root, model, args = trained
    other = tmp_path / "local.pt"
    assert main(args[:3] + [str(other)] + args[4:] + ["--normalisation", "local", "--crops", "3"]) == 0
    ck = torch.load(other, weights_only=True)
    assert ck["config"]["normalisation"] == "local" and ck["training"]["crops"] == 3
    # 4 images x 3 crops / batch 2 = 6 steps per epoch: the losses are means over them, and
    # the model differs from the one-crop model trained with the same seed
    base = torch.load(model, weights_only=True)
    assert any(not torch.equal(base["state_dict"][k], ck["state_dict"][k]) for k in base["state_dict"])
    # ensemble: the heatmap is the members' mean; mixed normalisations are refused
    m1, _ = load_model(model)
    second = tmp_path / "second.pt"
    assert main(args[:3] + [str(second)] + args[4:-1] + ["5"]) == 0
    m2, _ = load_model(second)
    ens, cfg = load_ensemble([model, second])
    img = np.load(root / "images" / "im0.npy")
    from synthstem.ml.detect import heatmaps

    z = normalise(resample(img, 1.0), cfg["normalisation"])
    np.testing.assert_allclose(heatmaps(ens, cfg, z), (heatmaps(m1, cfg, z) + heatmaps(m2, cfg, z)) / 2, atol=1e-6)
    assert detect_image(ens, cfg, img, 0.3, threshold=0.0)
    with pytest.raises(ValueError, match="normalisation 'local' differs"):
        load_ensemble([model, other])
    out = tmp_path / "p.json"
    assert main(["detect", str(model), str(root / "images"), "--ensemble", str(second), "--pixel-size", "0.3", "--out", str(out)]) == 0
    assert sorted(json.loads(out.read_text())) == ["im0", "im1", "im2", "im3"]
    assert main(["detect", str(model), str(root / "images"), "--ensemble", str(other), "--pixel-size", "0.3", "--out", str(out)]) == 2
    assert "not one ensemble" in capsys.readouterr().err


def test_models_of_0_2_still_load(trained, tmp_path):
    """Model files of 0.2 recorded the global formula as text: they load as 'global'."""
    import torch

    from synthstem.ml.detect import load_model

    _, model, _ = trained
    ck = torch.load(model, weights_only=True)
    ck["config"]["normalisation"] = "(x - median) / (1.4826 MAD)"
    old = tmp_path / "old.pt"
    torch.save(ck, old)
    assert load_model(old)[1]["normalisation"] == "global"
