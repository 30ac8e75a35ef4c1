"""Record ``baseline_digests.json``: the exports of ``exports_testdata.RUNS`` made by a
synthstem tree (run with that tree's ``src`` on PYTHONPATH; it was made with v0.1's
``synthstem.labels.export``, commit 1b25791, before the exports registry).

    PYTHONPATH=<old tree>/src:tests/exports python3 tests/exports/make_export_fixture.py
"""

import json
import shutil
import tempfile
from pathlib import Path

from exports_testdata import RUNS, digests, write_items

try:
    from synthstem.exports import export_dataset
except ImportError:  # the v0.1 tree
    from synthstem.labels.export import export_dataset


def main():
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        items = Path(tmp) / "items"
        write_items(items)
        for name, options in RUNS.items():
            d = Path(tmp) / name
            shutil.copytree(items, d / "items")
            export_dataset(d, **options)
            out[name] = digests(d)
    path = Path(__file__).with_name("baseline_digests.json")
    path.write_text(json.dumps(out, indent=0, sort_keys=True) + "\n")
    print(f"{path}: {sum(len(v) for v in out.values())} files")


if __name__ == "__main__":
    main()
