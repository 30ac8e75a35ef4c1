"""The export registry: names, defaults and option checks."""

import pytest

from synthstem.exports import registry


def test_names_and_defaults_agree_with_what_runs_use():
    assert registry.NAMES == ("coco", "cvat", "masks", "heatmaps", "boxes", "store", "hspy", "tiff", "hf")
    d = registry.defaults()
    # runs export nothing, augment nothing and split nothing unless asked
    assert d["exports"] == () and d["augment"]["variants"] == 0 and d["splits"]["by"] == "none"
    d["augment"]["variants"] = 5  # a copy: the table is unchanged
    assert registry.AUGMENT_DEFAULTS["variants"] == 0


def test_option_checks():
    assert registry.check_exports(["coco", "boxes"]) == ("coco", "boxes")
    with pytest.raises(ValueError, match=r"unknown exports \['yolo'\]"):
        registry.check_exports(("coco", "yolo"))
    assert registry.augment_options(None) is None
    assert registry.augment_options({}) is None  # variants 0: no augmentation
    assert registry.augment_options({"variants": 3})["n_transforms"] == (2, 4)
    with pytest.raises(ValueError, match="unknown augment options"):
        registry.augment_options({"variant": 3})
    with pytest.raises(ValueError, match="variants"):
        registry.augment_options({"variants": -1})
    assert registry.split_options({"test_fraction": 0.3}) is None  # by 'none'
    assert registry.split_options({"by": "prototype"})["test_fraction"] == 0.2
    with pytest.raises(ValueError, match="splits\\['by'\\]"):
        registry.split_options({"by": "element"})


def test_every_format_loads_and_the_docs_table_lists_the_registry():
    import re
    from pathlib import Path

    from synthstem.exports.base import Format

    for name in registry.NAMES:
        cls = registry.format_class(name)
        assert issubclass(cls, Format) and cls.name == name
    docs = (Path(__file__).parents[2] / "docs" / "exports.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| `exports/(\w+)\.py` \|", docs, flags=re.M)
    assert rows == [(n, registry.FORMATS[n].rsplit(".", 1)[1]) for n in registry.NAMES]
    options = set(re.findall(r"^\| `(\w+)`(?: / `(\w+)`)?", docs, flags=re.M))
    assert set(registry.EXPORT_DEFAULTS) <= {o for row in options for o in row}


def test_reading_the_registry_imports_no_format():
    # the run config reads the registry: it must not pull in scipy, pycocotools or numba
    import os
    import subprocess
    import sys
    from pathlib import Path

    import synthstem

    env = dict(os.environ, PYTHONPATH=str(Path(synthstem.__file__).parents[1]))
    code = ("import sys, synthstem.exports.registry; "
            "print(sorted(m for m in ('scipy', 'pycocotools', 'numba', 'synthstem.exports.dataset') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"
