"""benchmarks/sim2real_data.py: the recipe's simulation (synthstem.simulate, incoherent) and
training-set writer on tiny scenes."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

_DIR = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(_DIR))
_spec = importlib.util.spec_from_file_location("sim2real_data", _DIR / "sim2real_data.py")
data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(data)

CAL = {"detector": {"gain": 50.0, "offset": 1000.0}, "pixel_size": 0.3, "spot_sigma_median": 3.0,
       "images": {"a": {"dose": 30.0, "spot_sigma": 3.0, "spot_contrast": 0.3, "row_gain": 0.02,
                        "row_exponent": 1.0, "texture_rms": 0.05, "texture_scale": 8.0}}}


def test_render_is_the_simulator_and_splits_linearly():
    """support + heavy = simulate(whole scene); the heavy image peaks at the labelled atoms."""
    from synthstem import simulate
    from synthstem.scenes.base import SITE_KEY

    scene = data.draw_scene(np.random.default_rng([0, 0, 0]), size=0.3 * 64)
    mic = data.draw_microscope(np.random.default_rng(1), 1.0, 40.0)
    assert mic.source_size == pytest.approx(np.sqrt(1.0 - data.PROBE_SIGMA**2))
    assert -20 <= mic.defocus <= 60
    support, heavy, xy = data.render_scene(scene, mic, 64)
    whole = simulate(scene.atoms, mic, pixels=64, method="incoherent", phonons=0).image
    np.testing.assert_allclose(support + heavy, whole, rtol=1e-9, atol=1e-12 * whole.max())
    n_heavy = int(np.count_nonzero(scene.atoms.arrays[SITE_KEY] != ""))
    assert len(xy) == n_heavy > 0
    peak = data.single_atom_peak(heavy, xy)
    assert 0.2 * heavy.max() < peak <= heavy.max()
    # the brightest heavy pixel is within 1.5 A of a labelled atom
    iy, ix = np.unravel_index(np.argmax(heavy), heavy.shape)
    d = np.hypot(*(((xy - [ix, iy]) + 32) % 64 - 32).T)
    assert d.min() * 0.3 < 1.5


def test_variants_and_points_folder(tmp_path):
    raws = data.render_all(2, 0, 0.3, 64, 1.0, cache=str(tmp_path / "cache"))
    again = data.render_all(2, 0, 0.3, 64, 1.0, cache=str(tmp_path / "cache"))  # read back
    fresh = data.render_all(2, 0, 0.3, 64, 1.0)  # seeded: the same without the cache
    for a, b, c in zip(raws, again, fresh):
        for x, y, z in zip(a[:3], b[:3], c[:3]):
            np.testing.assert_array_equal(x, y)
            np.testing.assert_array_equal(x, z)
        assert a[3] == b[3] == c[3] and a[3]["source_size"] > 0
    for variant in data.VARIANTS:
        img, rec = data.make_image(raws[0], variant, CAL, 0.3, np.random.default_rng(0))
        assert img.shape == (64, 64) and np.all(np.isfinite(img)) and rec["variant"] == variant
        if variant in ("noise", "full"):
            assert np.all(img == np.rint(img)) and img.mean() > 1000  # integer counts above the offset
    folder = data.write_points_folder(str(tmp_path / "set"), raws, "full", CAL, 0.3, seed=1)
    meta = json.loads((tmp_path / "set" / "dataset.json").read_text())
    assert meta["pixel_size"] == 0.3 and len(meta["records"]) == 2
    assert meta["records"]["gen0000"]["microscope"] == raws[0][3]
    lines = (tmp_path / "set" / "labels" / "gen0000.csv").read_text().splitlines()
    assert lines[0] == ",X,Y,class" and len(lines) - 1 == len(raws[0][2])
    assert folder == str(tmp_path / "set")


def test_deep_variant_moves_groups_and_labels_only_atoms_in_focus():
    """``deepen`` moves whole groups (one instance id) down by at most ``extra``; the deep
    render labels exactly the heavy atoms within the depth of field, and its heavy image is
    the simulator's image of the moved atoms."""
    from synthstem import simulate
    from synthstem.labels.focus import depth_of_field
    from synthstem.scenes.base import INSTANCE_KEY, SITE_KEY

    scene = data.draw_scene(np.random.default_rng([0, 0, 9]), size=0.3 * 160)  # 9 heavy atoms, 6 in focus
    a = scene.atoms
    heavy = a.arrays[SITE_KEY] != ""
    moved = data.deepen(a, heavy, np.random.default_rng(2), 300.0)
    dz = moved.positions[:, 2] - a.positions[:, 2]
    assert np.all(dz[~heavy] == 0) and np.all((dz >= 0) & (dz <= 300.0))
    ids = a.arrays[INSTANCE_KEY]
    for g in np.unique(ids[heavy]):
        assert np.ptp(dz[heavy & (ids == g)]) == 0  # a pair or cluster moves as one
    assert moved.cell.lengths()[2] >= moved.positions[:, 2].max()
    mic = data.draw_microscope(np.random.default_rng(1), 1.0, 40.0)
    deep, labelled = data.deep_scene(a, heavy, mic, np.random.default_rng(5))
    z = deep.positions[:, 2]
    np.testing.assert_array_equal(labelled, heavy & (np.abs(z - mic.defocus) <= depth_of_field(mic)))
    assert 0 < labelled.sum() < heavy.sum()  # some in focus, some blurred
    support, heavy_img, xy = data.render_scene(scene, mic, 160, np.random.default_rng(5))
    np.testing.assert_allclose(xy, deep.positions[labelled, :2] / 0.3)
    whole = simulate(deep[heavy], mic, pixels=160, method="incoherent", phonons=0).image
    np.testing.assert_allclose(heavy_img, whole, rtol=1e-9, atol=1e-12 * whole.max())
