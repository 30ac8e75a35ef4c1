"""The export registry: names, defaults and option checks."""

import pytest

from synthstem.exports import registry


def test_names_and_defaults_agree_with_what_runs_use():
    assert registry.NAMES == ("coco", "cvat", "masks", "heatmaps", "boxes")
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
