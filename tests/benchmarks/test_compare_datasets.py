"""benchmarks/compare_datasets.py: differences of arrays (max abs / rel) and JSON keys."""

import importlib.util
import json
from pathlib import Path

import h5py
import numpy as np

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "compare_datasets.py"
_spec = importlib.util.spec_from_file_location("compare_datasets", _PATH)
compare_datasets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_datasets)


def _item(folder, raw, params):
    folder.mkdir()
    with h5py.File(folder / "x.h5", "w") as f:
        f["haadf/raw"] = raw
        f["haadf/mask"] = raw > 0.5
        f.create_group("synthstem").attrs["params"] = json.dumps(params)


def test_reports_max_differences_and_json_keys(tmp_path, capsys):
    raw = np.linspace(0, 2, 12).reshape(3, 4)
    changed = raw.copy()
    changed[1, 2] += 3e-3
    _item(tmp_path / "a", raw, {"sim": {"slice": 2.0}, "seed": 1})
    _item(tmp_path / "b", changed, {"sim": {"slice": 2.0, "projection": "infinite"}, "seed": 1})
    numeric = {}
    diffs, counts = compare_datasets.compare(tmp_path / "a", tmp_path / "b", attrs=True,
                                             numeric=numeric)
    assert counts["h5_files"] == 1 and len(diffs) == 2
    raw_line = next(d for d in diffs if "/haadf/raw:" in d)
    assert "max abs diff 0.003," in raw_line and "max rel 0.0015 " in raw_line
    assert "1/12 elements differ" in raw_line
    assert numeric["/haadf/raw"][0] == 1
    np.testing.assert_allclose(numeric["/haadf/raw"][1:], [3e-3, 1.5e-3], rtol=1e-9)
    assert any("params: JSON added 1: sim.projection" in d for d in diffs)
    assert compare_datasets.main([str(tmp_path / "a"), str(tmp_path / "a"), "--attrs"]) == 0
    assert compare_datasets.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    assert "summary /haadf/raw: differs in 1 file(s)" in capsys.readouterr().out
