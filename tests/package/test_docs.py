"""Docs a new user follows: every extra they name exists, the repository stands alone,
one place for the shipped configs' run times, a loopback-only Dask recipe."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_named_extra_exists():
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    for doc in DOCS:
        for names in re.findall(r"synthstem\[([a-z0-9_,-]+)\]", doc.read_text()):
            for name in names.split(","):
                assert name in extras, f"{doc.name}: synthstem[{name}] is not an extra of pyproject.toml"
        for names in re.findall(r'-e "?\.\[([a-z0-9_,-]+)\]', doc.read_text()):
            assert set(names.split(",")) <= extras, f"{doc.name}: .[{names}]"


def test_docs_point_inside_the_repository():
    for doc in DOCS:
        text = doc.read_text()
        assert "../shared" not in text and "/work/" not in text, doc.name


def test_randomized_run_time_has_one_home():
    home = (ROOT / "benchmarks/DATASET.md").read_text()
    assert "## Shipped configs: run times" in home and "configs/randomized.toml" in home
    for path in (ROOT / "docs/datasets.md", ROOT / "configs/randomized.toml"):
        text = path.read_text()
        assert "Shipped configs: run times" in text, path.name
        assert not re.search(r"randomized[^\n]*\d+(\.\d+)? ?(min|minutes|s)\b", text), path.name


def test_the_local_dask_recipe_stays_on_loopback():
    text = (ROOT / "docs/datasets.md").read_text()
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("dask ")]
    local = [line for line in lines if "127.0.0.1" in line]
    assert any(line.startswith("dask scheduler") for line in local)
    workers = [line for line in local if line.startswith("dask worker")]
    assert workers and all("--dashboard-address 127.0.0.1:0" in w and "--host 127.0.0.1" in w
                           for w in workers)


def test_quickstart_report_time_is_not_the_old_claim():
    assert "13 s for the 68 quickstart items" not in (ROOT / "docs/datasets.md").read_text()
