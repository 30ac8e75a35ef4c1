"""``key.csv``: one row per item of a dataset.

Columns (in order): ``item`` (item name = file stem), ``subset`` (folder inside the
dataset, '' for the top level), ``structure_id``, ``prototype`` (prototype / structure
type name, '' for a CIF), ``formula``, ``spacegroup_symbol``, ``spacegroup_number``,
``uvw``, ``hkl``, ``hdf5`` (path of the item file relative to the dataset folder),
``png`` (PNG paths, ';'-separated), ``source`` (prototype name or CIF path),
``citation`` (from the CIF, if present), ``role`` ('general', 'target', 'choice'),
``twin`` (retrieval: the item's twin in the other subset, else '').
"""

import csv
import io

from .files import write_text

FIELDS = ["item", "subset", "structure_id", "prototype", "formula", "spacegroup_symbol",
          "spacegroup_number", "uvw", "hkl", "hdf5", "png", "source", "citation", "role",
          "twin"]


def write_key_csv(path, rows):
    """Write ``rows`` (dicts with the :data:`FIELDS` keys) sorted by (subset, item)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n", extrasaction="raise")
    w.writeheader()
    for row in sorted(rows, key=lambda r: (str(r.get("subset", "")), str(r["item"]))):
        out = {k: row.get(k, "") for k in FIELDS}
        if isinstance(out["png"], (list, tuple)):
            out["png"] = ";".join(out["png"])
        w.writerow(out)
    return write_text(path, buf.getvalue())


def read_key_csv(path):
    """Rows of a key.csv as dicts of strings (``png`` split into a list)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if rows and set(rows[0]) != set(FIELDS):
        raise ValueError(f"{path}: unexpected columns {list(rows[0])}, expected {FIELDS}")
    for row in rows:
        row["png"] = [p for p in row["png"].split(";") if p]
    return rows
