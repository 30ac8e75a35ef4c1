import base64
import io
import os
import re
import shutil
import subprocess

import ml_data
import numpy as np
import pytest
from PIL import Image


from synthstem.report import write_report  # noqa: E402

IMG = re.compile(r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')


@pytest.fixture(scope="module")
def report(tiny):
    return write_report(tiny)


def test_page_is_self_contained_with_real_plots(report, tiny):
    assert report == tiny / "report.html"
    page = report.read_text()
    images = IMG.findall(page)
    alts = [a for a, _ in images]
    # a gallery per image dataset, the coverage, column counts, intensities, parameters, draws
    for expected in ("gallery raw", "gallery stem00-clean", "gallery stem00-dfct1", "gallery stem00-blbk1",
                     "coverage", "column counts", "intensity histograms", "draws stem00-blbk1"):
        assert expected in alts
    assert page.count("<img") == len(images)  # every image is embedded
    assert "http" not in page.replace("http-equiv", "")
    for alt, b64 in images:
        png = Image.open(io.BytesIO(base64.b64decode(b64)))
        pixels = np.asarray(png.convert("L"), dtype=float)
        assert png.format == "PNG" and pixels.std() > 1, alt  # not blank
    for text in ("Zone-axis", "Column counts", "Intensity histograms", "Item parameters",
                 "Noise conditions", "Sr", "Au"):
        assert text in page


def test_cli_writes_where_asked(tiny, tmp_path):
    out = tmp_path / "r.html"
    proc = ml_data.run_cli("report", tiny, "--out", out, "-n", "1")
    assert proc.stdout.strip() == str(out) and out.read_text().count("gallery ") == 5
    bad = ml_data.run_cli("report", tiny / "nope", check=False)
    assert bad.returncode == 2 and "dataset folder not found" in bad.stderr


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed (CI: apt-get install -y chromium)")
    pytest.skip("chromium is not installed")


CHECK = ("<script>window.addEventListener('load', () => {const all = [...document.images];"
         "const ok = all.filter(i => i.complete && i.naturalWidth > 0).length;"
         "document.body.setAttribute('data-loaded', ok + '/' + all.length);});</script>")


def test_page_renders_in_headless_chromium(report, tmp_path):
    browser = _chromium()
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text().replace("</body>", CHECK + "</body>"))
    dom = subprocess.run([*flags, "--virtual-time-budget=20000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=180).stdout
    n = report.read_text().count("<img")
    assert f'data-loaded="{n}/{n}"' in dom  # every image decoded by the browser
    shot = tmp_path / "report.png"
    subprocess.run([*flags, "--window-size=1200,1600", f"--screenshot={shot}", report.as_uri()],
                   capture_output=True, timeout=180)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape == (1600, 1200)
    assert (pixels < 128).mean() > 0.05  # dark gallery images and text, not a white page


def test_constants_are_only_keys_present_in_every_item():
    from synthstem.report.html import _split

    records = [{"a": 1, "b": "x", "note": "cut"}, {"a": 1, "b": "x"}, {"a": 1, "b": "x", "t": 2.0},
               {"a": 1, "b": "x", "t": 3.0}]
    numeric, categorical, constant = _split(records)
    assert constant == {"a": 1, "b": "x"}
    assert categorical["note"] == {"cut": 1, "(absent)": 3}
    assert numeric == {"t (2 of 4)": [2.0, 3.0]}


def test_a_parameter_appears_once():
    from synthstem.report.collect import dedupe

    flat = {"settings.drawn.microscope.defocus": 12.0, "settings.microscope.defocus": 12.0,
            "simulation.microscope.defocus": 12.0, "simulation.phonons": 8,
            "settings.simulation.phonons": 8, "simulation.n_beams": 69,
            "simulation.sampling[0]": 0.05, "settings.simulation.sampling": "detector",
            "simulation.microscope.energy": 3e5, "settings.microscope.energy": 2e5}
    assert dedupe(flat) == {"settings.microscope.defocus": 12.0, "settings.simulation.phonons": 8,
                            "simulation.n_beams": 69, "simulation.sampling[0]": 0.05,
                            "settings.simulation.sampling": "detector",
                            # different values are different facts: both kept
                            "simulation.microscope.energy": 3e5, "settings.microscope.energy": 2e5}


def test_report_lists_no_parameter_twice(tiny):
    from synthstem.report.collect import collect

    for item in collect(tiny, gallery=1)["items"]:
        assert not any(k.startswith(("settings.drawn.", "simulation.microscope.")) for k in item)
        assert "settings.microscope.energy" in item and "settings.simulation.phonons" in item
        assert not any(k == "simulation.phonons" for k in item)


def test_gallery_samples_the_dataset_and_titles_formula_and_zone_axis(tiny):
    from synthstem.report.collect import collect, gallery_items, title_of

    assert gallery_items(68, 12) == [0, 6, 12, 18, 24, 30, 37, 43, 49, 55, 61, 67]
    assert gallery_items(3, 12) == [0, 1, 2] and gallery_items(0, 12) == []
    assert title_of({"structure": {"formula": "Sr Ti O3"}}, {"uvw_direction": "(1.0, 1.0, 0.0)"}) == "SrTiO3 [110]"
    assert title_of({}, {"chemical_formula": "'Au'", "uvw_direction": "(-1.0, 1.0, 2.0)"}) == "Au [-1 1 2]"
    data = collect(tiny)  # default: up to 12 items, here both
    shown = data["gallery"]["stem00-clean"]
    assert len(shown) == data["n_items"] == 2
    assert [t["title"] for t in shown] == ["SrTiO3 [001]", "Au [110]"]
    assert [len(v) for v in collect(tiny, gallery=1)["gallery"].values()] == [1] * 5


def test_histograms_of_values_equal_to_rounding():
    """Numbers that differ only in the last bits (a 'varying' key that is constant to
    rounding) still make a histogram: numpy cannot make 5 finite bins of them."""
    from synthstem.report import plots

    png = plots.histograms({"x": [0.1 + 0.2, 0.3, 0.30000000000000004 + 1e-17]})
    assert isinstance(png, str) and len(png) > 100
