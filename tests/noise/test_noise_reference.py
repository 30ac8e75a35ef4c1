"""The noise model against atomagined reference statistics (small committed fixture).

The fixture holds 96 rows of one reference raw image and the statistics of the
reference's noisy images on those rows (benchmarks/compare_reference_noise.py
--make-fixture); the full comparison on whole images is the benchmark itself.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from synthstem.noise.conditions import CONDITIONS
from synthstem.noise.stats import (
    BASIC,
    NEGATIVE_CONTROLS,
    TOLERANCES,
    band_power,
    compare_stats,
    crop_equivalent_input,
    model_stats,
    noise_stats,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "atomagined_020790_rows80"


@pytest.fixture(scope="module")
def reference():
    meta = json.loads(FIXTURE.with_suffix(".json").read_text())
    raw = np.load(FIXTURE.with_suffix(".npz"))["raw"].astype(np.float64)
    return raw, meta


def _case(reference, name):
    raw, meta = reference
    c = CONDITIONS[name]
    x, mu = crop_equivalent_input(raw, meta["full_mean"], c.background)
    assert mu == pytest.approx(meta["conditions"][name]["mu"], rel=1e-9)
    params = dict(blur=c.blur, counts=c.counts * mu, scan=c.scan, background=c.background)
    return x, params, meta["conditions"][name]["stats"]


@pytest.mark.parametrize("name", ["clean", "blbk1"])
def test_model_matches_reference_statistics(reference, name):
    x, params, ref = _case(reference, name)
    ok, diff, failed = compare_stats(model_stats(x, n_draws=8, seed=0, **params), ref)
    assert ok, (failed, diff)


@pytest.mark.parametrize("control", sorted(NEGATIVE_CONTROLS))
def test_broken_models_fail(reference, control):
    """No scan jitter, blur 30 % off, counts doubled: each fails in at least one condition."""
    failures = {}
    for name in ("clean", "blbk1"):
        x, params, ref = _case(reference, name)
        _, _, failed = compare_stats(model_stats(x, n_draws=8, seed=7, **NEGATIVE_CONTROLS[control](params)), ref)
        failures[name] = failed
    assert failures["clean"] or failures["blbk1"], failures
    # on blbk1 every broken model already fails on the five basic statistics
    assert set(failures["blbk1"]) & set(BASIC), failures


def test_tolerances_cover_the_draw_to_draw_spread(reference):
    """Two independent draws of the model agree within the tolerances (blbk1, the
    noisier comparison), so a correct model passes; the controls above show they are
    tight enough to catch a wrong one."""
    x, params, _ = _case(reference, "blbk1")
    a = model_stats(x, n_draws=1, seed=11, **params)
    b = model_stats(x, n_draws=1, seed=12, **params)
    ok, diff, failed = compare_stats(a, b)
    assert ok, (failed, diff)


def test_statistics_on_known_images():
    flat = np.ones((64, 64))
    s = noise_stats(flat)
    assert s["std"] == 0 and s["zero_fraction"] == 0 and s["quantum"] == 0
    k = np.arange(64) / 64
    stripes = 1 + 0.5 * np.cos(2 * np.pi * 12 * k)[None, :].repeat(64, axis=0)
    bp = band_power(stripes)
    # radial frequency 12 lies in the third of six bands over [1, 32] (edges 1, 6.2, 11.3, 16.5, ...)
    assert bp[2] == pytest.approx(1.0) and bp.sum() == pytest.approx(1.0)
    noisy = np.random.default_rng(0).poisson(400, size=(64, 64)) / 400
    assert noise_stats(noisy)["quantum"] == pytest.approx(1 / 400)
    with_zero = noisy.copy()
    with_zero[0, :4] = 0
    assert noise_stats(with_zero)["zero_fraction"] == pytest.approx(4 / 4096)
    assert set(TOLERANCES) >= set(BASIC)


def _load_benchmark():
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "compare_reference_noise.py"
    spec = importlib.util.spec_from_file_location("compare_reference_noise", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reference_style_file(folder, raw, scan=None):
    import h5py

    from synthstem import add_stem_noise

    folder.mkdir(exist_ok=True)
    with h5py.File(folder / "000001.000001.h5", "w") as h:
        h["haadf/raw"] = raw
        for name in ("clean", "blbk1"):
            c = CONDITIONS[name]
            img = add_stem_noise(raw, c.blur, c.counts, c.scan if scan is None else scan,
                                 c.background, rng=99)
            h[f"haadf/stem00-{name}"] = img.astype(np.float32)
    return folder


def test_benchmark_script_passes_its_own_model_and_fails_a_broken_one(tmp_path, reference, capsys):
    """benchmarks/compare_reference_noise.py on files written like the reference ones.

    With our model standing in for the stored noisy images, the model must pass every
    case and every negative control must fail (exit 0). With 'reference' images made
    without scan-line jitter, our model (which has it) must fail (exit 1)."""
    raw, _ = reference
    bench = _load_benchmark()
    good = _reference_style_file(tmp_path / "good", raw)
    rc = bench.main([str(good), "--draws", "2", "--pairs", "2", "--json", str(tmp_path / "out.json")])
    out = capsys.readouterr().out
    assert "## summary" in out and "control 'no scan jitter'" in out
    result = json.loads((tmp_path / "out.json").read_text())["000001.000001"]
    assert set(result) == {"clean", "blbk1"}
    assert set(result["clean"]["controls"]) == set(NEGATIVE_CONTROLS)
    assert all(r["ok"] for r in result.values()), {k: r["failed"] for k, r in result.items()}
    assert rc == 0

    broken = _reference_style_file(tmp_path / "broken", raw, scan=0.0)
    rc = bench.main([str(broken), "--draws", "2", "--pairs", "2", "--json", str(tmp_path / "b.json")])
    result = json.loads((tmp_path / "b.json").read_text())["000001.000001"]
    assert not all(r["ok"] for r in result.values())
    assert rc == 1
    assert bench.main([str(tmp_path / "missing")]) == 2
