"""Command line: run, simulate, noise, validate, preview, config."""


import numpy as np
from PIL import Image

from synthstem.cli import main
from synthstem.io.hdf5 import read_item

SMALL = """
[run]
seed = 3
[simulation]
method = "incoherent"
pixels = 48
size = 10.0
[output]
conditions = ["raw", "clean", "blbk1"]
[[structures]]
prototype = "fcc"
elements = "Cu"
uvw = [[0, 0, 1], [1, 1, 0]]
"""


def test_config_show_and_check(tmp_path, capsys):
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "[microscope]" in out and "energy = 200000.0" in out and "[[structures]]" in out
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL)
    assert main(["config", "show", str(cfg)]) == 0
    assert 'method = "incoherent"' in capsys.readouterr().out
    assert main(["config", "check", str(cfg)]) == 0
    assert "2 items, 6 images" in capsys.readouterr().out


def test_bad_config_exits_2_naming_the_key(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[microscope]\nenergy = -5.0\n")
    assert main(["run", str(cfg), "--out", str(tmp_path / "x")]) == 2
    assert "microscope.energy" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_run_validate_preview(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL)
    out = tmp_path / "data"
    assert main(["run", str(cfg), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert f"dataset: {out.resolve()}" in text and f"preview: {out.resolve() / 'preview.png'}" in text
    assert (out / "preview.png").is_file()
    # the report is linked right after the preview
    lines = text.splitlines()
    at = lines.index(f"preview: {out.resolve() / 'preview.png'}")
    assert lines[at + 1] == f"report: {out.resolve() / 'report.html'}"
    assert "<h1>synthstem dataset report" in (out / "report.html").read_text()
    assert main(["validate", str(out)]) == 0
    assert "valid; 2 items, 8 files" in capsys.readouterr().out
    # a second run of the same command finds everything done
    (out / "report.html").unlink()
    assert main(["run", str(cfg), "--out", str(out), "--workers", "1", "--no-progress", "--no-report"]) == 0
    text = capsys.readouterr().out
    assert "0 made, 2 already there" in text and "preview: " in text and "report: " not in text
    assert not (out / "report.html").exists()
    # tampering is detected
    png = out / "items" / "000001.000001-raw.png"
    png.write_bytes(png.read_bytes()[:-10])
    assert main(["validate", str(out)]) == 1
    assert "sha256 differs" in capsys.readouterr().err
    sheet = tmp_path / "sheet.png"
    assert main(["preview", str(out), "--out", str(sheet), "-n", "2", "--tile", "64"]) == 0
    with Image.open(sheet) as im:
        assert im.size == (128, 64) and im.mode == "RGB"


def test_simulate_then_noise_reproduces(tmp_path, capsys):
    out = tmp_path / "one"
    args = ["simulate", "--prototype", "perovskite", "--elements", "A=Ba,B=Ti,X=O", "--uvw", "1", "1", "0",
            "--method", "incoherent", "--pixels", "48", "--size", "10", "--conditions", "raw", "clean",
            "--out", str(out), "--seed", "4"]
    assert main(args) == 0
    printed = capsys.readouterr().out.split()
    h5 = out / "000001.010100.h5"
    assert str(h5) in printed and str(out / "000001.010100-stem00-clean.png") in printed
    item = read_item(h5)
    assert item.attrs["chemical_formula"] == "'Ba Ti O3'" and item.attrs["uvw_direction"] == "(1.0, 1.0, 0.0)"
    clean = item.images["stem00-clean"].copy()
    # re-noising with the item's own seed gives the pipeline's image; new conditions are added
    assert main(["noise", str(h5), "--conditions", "clean", "blbk2", "--png"]) == 0
    again = read_item(h5)
    np.testing.assert_array_equal(again.images["stem00-clean"], clean)
    assert again.noise["stem00-clean"] == item.noise["stem00-clean"]  # same draws recorded
    assert again.noise["stem00-blbk2"]["draws"]["shifts"]
    assert again.images["stem00-blbk2"].dtype == np.float32
    assert (out / "000001.010100-stem00-blbk2.png").is_file()
    assert main(["noise", str(h5), "--conditions", "dfct1"]) == 2
    assert "defect" in capsys.readouterr().err


def test_noise_on_npy(tmp_path, capsys):
    raw = np.random.default_rng(0).random((32, 32)) + 0.1
    np.save(tmp_path / "img.npy", raw)
    assert main(["noise", str(tmp_path / "img.npy"), "--conditions", "clean", "--seed", "1"]) == 0
    out = np.load(tmp_path / "img-stem00-clean.npy")
    assert out.shape == (32, 32) and out.dtype == np.float32 and abs(out.mean() - 1) < 0.1


def test_run_with_exports_on_a_dask_scheduler(tmp_path, capsys):
    import json

    import distributed  # a test dependency: missing is a failure, not a skip

    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL.replace('conditions = ["raw", "clean", "blbk1"]',
                                 'conditions = ["raw", "clean", "dfct1"]\nexports = ["coco", "boxes"]\n'
                                 'augment = {variants = 1}'))
    out = tmp_path / "data"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        rc = main(["run", str(cfg), "--out", str(out), "--scheduler", cluster.scheduler_address,
                   "--no-progress", "--no-preview"])
    assert rc == 0, capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    exported = manifest["exports"]
    assert any(p.startswith("annotations/") for p in exported)
    assert any(p.startswith("augmented/") for p in exported)
    assert main(["validate", str(out)]) == 0
    capsys.readouterr()
    victim = out / sorted(exported)[0]
    victim.write_bytes(victim.read_bytes() + b" ")
    assert main(["validate", str(out)]) == 1
    assert "(export)" in capsys.readouterr().err
