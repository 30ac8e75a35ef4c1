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
