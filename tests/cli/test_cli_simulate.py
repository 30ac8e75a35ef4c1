"""`synthstem simulate` options (microscope with units, zone-axis syntax, default folder,
progress), `noise --out DIR`, the unit and zone-axis parsers, the NaN message."""

import numpy as np
import pytest

from synthstem.cli import main
from synthstem.io.hdf5 import read_item
from synthstem.noise.conditions import CONDITIONS
from synthstem.parsing import parse_energy, parse_length, parse_uvw

FAST = ["simulate", "--prototype", "fcc/Cu", "--method", "incoherent", "--pixels", "32", "--size", "8",
        "--phonons", "0", "--conditions", "raw", "clean"]


@pytest.mark.parametrize("text, angstrom", [
    ("1.2mm", 1.2e7), ("-15um", -1.5e5), ("-15µm", -1.5e5), ("50nm", 500.0), ("2A", 2.0), ("2 Å", 2.0),
    ("3.5", 3.5), ("-40", -40.0), ("1e3nm", 1e4), ("0.5 Angstrom", 0.5), ("10pm", 0.1), ("1m", 1e10),
    (7, 7.0), ("+2.5nm", 25.0), (".5mm", 5e6),
])
def test_parse_length(text, angstrom):
    assert parse_length(text) == pytest.approx(angstrom, rel=1e-12)


@pytest.mark.parametrize("text, match", [
    ("3furlong", "unknown unit 'furlong'"), ("mm", "expected a number"), ("", "expected a number"),
    ("1.2.3mm", "unknown unit"), ("nan", "expected a number"), ("1e400", "finite"), ("1 2 mm", "expected a number"),
])
def test_parse_length_rejects(text, match):
    with pytest.raises(ValueError, match=match) as info:
        parse_length(text, "--cs")
    assert str(info.value).startswith("--cs: ")


def test_parse_energy():
    assert parse_energy("200kV") == parse_energy("200 keV") == parse_energy(200e3) == 200e3
    assert parse_energy("80000") == 80e3
    with pytest.raises(ValueError, match="positive"):
        parse_energy("-5kV")


@pytest.mark.parametrize("text", ["1,-1,0", "1 -1 0", "[1,-1,0]", "[1 -1 0]", "[1-10]", "1-10", " 1, -1, 0 ",
                                  ["1", "-1", "0"], ["1,-1,0"], (1, -1, 0)])
def test_parse_uvw_spellings(text):
    assert parse_uvw(text) == (1, -1, 0)


def test_parse_uvw_more():
    assert parse_uvw("[001]") == parse_uvw("001") == parse_uvw("0 0 1") == (0, 0, 1)
    assert parse_uvw("-1-1-1") == (-1, -1, -1) and parse_uvw("12,0,1") == (12, 0, 1)
    for bad in ["1,2", "1,2,3,4", "a,b,c", "[12]", "1.5,0,0", "", "[]"]:
        with pytest.raises(ValueError, match="expected three integers"):
            parse_uvw(bad, "--uvw")
    with pytest.raises(ValueError, match=r"\[0, 0, 0\] is not a direction"):
        parse_uvw("0,0,0")


def test_microscope_options_are_recorded(tmp_path, capsys):
    out = tmp_path / "sim"
    argv = [*FAST, "--uvw", "[110]", "--energy", "300kV", "--convergence", "25", "--defocus", "-5nm",
            "--cs", "1.2mm", "--c5", "5mm", "--source-size", "0.3A", "--detector", "80", "200", "--out", str(out),
            "--no-progress"]
    assert main(argv) == 0
    item = read_item(out / "000001.010100.h5")
    m = item.params["settings"]["microscope"]
    assert m["energy"] == 300e3 and m["convergence"] == 25.0 and m["defocus"] == pytest.approx(-50.0)
    assert m["Cs"] == pytest.approx(1.2e7) and m["C5"] == pytest.approx(5e7)
    assert m["source_size"] == pytest.approx(0.3) and m["detector"] == [80.0, 200.0]
    assert item.attrs["uvw_direction"] == "(1.0, 1.0, 0.0)"
    # a bad microscope value is a config error naming the key, and nothing is written
    assert main([*FAST, "--detector", "200", "80", "--out", str(tmp_path / "bad"), "--no-progress"]) == 2
    assert "microscope.detector" in capsys.readouterr().err and not (tmp_path / "bad").exists()


def test_default_folder_and_progress(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main([*FAST, "--uvw", "0", "0", "1"]) == 0
    captured = capsys.readouterr()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["synthstem-simulate"]
    assert (tmp_path / "synthstem-simulate" / "000001.000001.h5").is_file()
    # tqdm bar on stderr: the item, its settings and both steps done
    assert "000001.000001: incoherent 32px, 0 phonon configuration(s), 2 condition(s)" in captured.err
    assert "2/2" in captured.err and "writing" in captured.err
    assert "synthstem-simulate/000001.000001.h5" in captured.out


def test_noise_out_folder_is_created(tmp_path, capsys):
    np.save(tmp_path / "img.npy", np.random.default_rng(0).random((24, 24)) + 0.2)
    out = tmp_path / "new" / "deeper"
    assert main(["noise", str(tmp_path / "img.npy"), "--conditions", "clean", "blbk1", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["img-stem00-blbk1.npy", "img-stem00-clean.npy"]
    assert np.load(out / "img-stem00-clean.npy").shape == (24, 24)


def test_noise_on_an_image_with_nan_names_the_count(tmp_path, capsys):
    img = np.random.default_rng(0).random((16, 16)) + 0.2
    img[2, 3] = np.nan
    img[5, 5] = np.inf
    img[6, 6] = np.nan
    with pytest.raises(ValueError, match=r"image contains 2 NaN and 1 infinite values \(of 256 pixels\)"):
        CONDITIONS["raw"].apply(img)
    with pytest.raises(ValueError, match="2-D"):
        CONDITIONS["raw"].apply(np.ones(5))
    np.save(tmp_path / "bad.npy", img)
    assert main(["noise", str(tmp_path / "bad.npy"), "--conditions", "clean"]) == 2
    err = capsys.readouterr().err
    assert "bad.npy: image contains 3 NaN or infinite values" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.npy"]


def test_negative_values_on_the_command_line(tmp_path, capsys):
    # argparse would read '-1,1,0' and '-15nm' as options; both commands take them as values
    out = tmp_path / "neg"
    assert main([*FAST, "--uvw", "-1,1,0", "--defocus", "-15nm", "--cs", "-.5um", "--out", str(out),
                  "--no-progress"]) == 0
    item = read_item(out / "000001.110100.h5")
    assert item.attrs["uvw_direction"] == "(-1.0, 1.0, 0.0)"
    m = item.params["settings"]["microscope"]
    assert m["defocus"] == pytest.approx(-150.0) and m["Cs"] == pytest.approx(-5000.0)
    png = tmp_path / "s.png"
    assert main(["structure", "preview", "fcc/Cu", "--uvw", "-1,1,0", "--uvw", "[1-10]", "--pixels", "32",
                 "--out", str(png)]) == 0
    assert "(1 x 2 tiles)" in capsys.readouterr().out and png.is_file()


def test_help_lists_every_default_as_the_config_has_it():
    import inspect
    from pathlib import Path

    from synthstem.commands.simulate import DEFAULTS_HELP
    from synthstem.physics.simulate import DATASET_DEFAULTS, simulate
    from synthstem.runs.config import load_config

    c = load_config(None).to_dict()
    sim, mic = c["simulation"], c["microscope"]
    text = " ".join(DEFAULTS_HELP.split())
    assert f"--method {sim['method']} (f={sim['interpolation']}" in text
    assert f"accuracy '{sim['accuracy']}'" in text
    assert f"--pixels {sim['pixels']}," in text and f"--size {sim['size']:g} A" in text
    assert f"--phonons {sim['phonons']} " in text and f"--preset {sim['preset']}" in text
    assert c["output"]["conditions"] == "all" and "all 16 conditions" in text
    assert f"--seed {c['run']['seed']}" in text
    assert f"--energy {mic['energy'] / 1e3:g}kV" in text and f"--convergence {mic['convergence']:g} mrad" in text
    assert all(mic[k] == 0 for k in ("defocus", "Cs", "C5", "source_size"))
    assert "--defocus 0, --cs 0, --c5 0, --source-size 0" in text
    assert f"--detector {mic['detector'][0]:g} {mic['detector'][1]:g} mrad" in text
    # simulate() itself: a static lattice unless asked, and said so where users read
    assert inspect.signature(simulate).parameters["phonons"].default == 0
    assert sim["phonons"] == DATASET_DEFAULTS["phonons"] == 8
    assert "static lattice" in simulate.__doc__ and "NOT converged" in simulate.__doc__
    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text().split())
    assert "`phonons=0` is a **static lattice**, which is not converged" in readme
