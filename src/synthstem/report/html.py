"""``write_report``: one self-contained HTML page describing a dataset folder.

Every figure is a PNG embedded as base64 (``<img src="data:image/png;base64,...">``), so
the page is a single file that opens anywhere, offline.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path

from synthstem.io.files import write_text

from synthstem.physics.accuracy import summarize, summary_line

from . import plots
from .collect import collect

__all__ = ["write_report"]

_CSS = """body{font-family:sans-serif;margin:1.5em;max-width:1400px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}
img{max-width:100%;display:block;margin:.4em 0}h2{border-bottom:1px solid #999}
.g{display:inline-block;width:49.5%;vertical-align:top}.g h3{margin:.3em 0;font-size:14px}"""


def _img(b64, alt):
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'


def _table(rows, head=None):
    out = ["<table>"]
    if head:
        out.append("<tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in head) + "</tr>")
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>")
    return "".join(out) + "</table>"


def _split(records):
    """(numeric varying {key: values}, categorical varying {key: Counter}, constants {key: value}).

    A constant is a key present in every record with one value; a key missing from some
    records varies ('(absent)' counted among its categories, or 'key (k of n)' for numbers).
    """
    keys = sorted({k for r in records for k in r})
    numeric, categorical, constant = {}, {}, {}
    for k in keys:
        vals = [r[k] for r in records if k in r]
        distinct = {json.dumps(v) for v in vals}
        missing = len(records) - len(vals)
        if missing:
            if len(distinct) > 1 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
                numeric[f"{k} ({len(vals)} of {len(records)})"] = vals
            else:
                categorical[k] = Counter(str(v) for v in vals) + Counter({"(absent)": missing})
        elif len(distinct) == 1:
            constant[k] = vals[0]
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            numeric[k] = vals
        else:
            categorical[k] = Counter(str(v) for v in vals)
    return numeric, categorical, constant


def _manifest(dataset_dir):
    path = Path(dataset_dir) / "manifest.json"
    try:
        m = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    run = (m.get("config") or {}).get("run") or {}
    return {"run name": run.get("name"), "run seed": m.get("run_seed", run.get("seed")),
            "synthstem version": m.get("version"), "complete": m.get("complete")}


def _fmt(value, spec=".3g"):
    return "-" if value is None else format(value, spec)


def _accuracy_section(records):
    """The accuracy section: a summary line, then per item method, f, check error, retries;
    flagged items first, then retried ones, then by error (largest first)."""
    if not records:
        return []
    summary = summarize(records)
    out = ["<h2>Accuracy (PRISM check per item: max |PRISM - multislice| at the checked "
           "probe positions / image contrast)</h2>",
           f"<p><b>{html.escape(summary_line(summary))}</b></p>"]

    def key(r):
        return (r["passed"] is not False, r["retries"] == 0, -(r["error"] or 0.0))

    rows = []
    for r in sorted(records, key=key):
        status = {False: "FLAGGED", True: "ok", None: "not checked"}[r["passed"]]
        uvw = str(r.get("uvw", "")).strip("()[]").split(",")
        uvw = "[" + " ".join(str(round(float(u))) for u in uvw if u.strip()) + "]" if uvw != [""] else ""
        rows.append([status, r["item"], str(r.get("formula", "")).strip("'\""), uvw,
                     _fmt(r.get("thickness"), ".1f"), r["method"],
                     "-" if r["interpolation"] is None else r["interpolation"], _fmt(r["error"]),
                     _fmt(r["tolerance"], "g"), r["retries"], r["level"] or "none"])
    out.append(_table(rows, ["status", "item", "formula", "uvw", "thickness [A]", "method",
                             "f", "check error", "tolerance", "retries", "accuracy"]))
    return out


def write_report(dataset_dir, out=None, gallery=12):
    """Write the report of a dataset folder.

    Parameters
    ----------
    dataset_dir : path
    out : path, optional
        HTML file (default ``dataset_dir/report.html``), written atomically.
    gallery : int
        Items in the gallery, spread over the dataset (one image each per image dataset).

    Returns
    -------
    pathlib.Path of the page.
    """
    if not (isinstance(gallery, int) and gallery >= 1):
        raise ValueError(f"gallery must be a positive integer, got {gallery!r}")
    data = collect(dataset_dir, gallery=gallery)
    out = Path(out) if out is not None else Path(dataset_dir) / "report.html"
    classes = sorted(data["column_classes"])
    body = [f"<h1>synthstem dataset report: {html.escape(str(dataset_dir))}</h1>"]
    summary = {"items": data["n_items"], "images": data["n_images"],
               "image datasets": " ".join(data["intensities"]), "column classes": " ".join(classes),
               **{k: v for k, v in _manifest(dataset_dir).items() if v is not None}}
    body.append(_table(summary.items()))

    body.extend(_accuracy_section(data["accuracy"]))

    body.append("<h2>Gallery (items spread over the dataset; columns coloured by class, "
                "defect boxes in red)</h2>")
    for name, truths in data["gallery"].items():
        body.append(f"<div class='g'><h3>{html.escape(name)}</h3>"
                    + _img(plots.gallery(truths, classes), f"gallery {name}") + "</div>")

    numeric, categorical, constant = _split(data["items"])
    coverage = {k: categorical.pop(k) for k in list(categorical)
                if k in ("attrs.uvw_direction", "attrs.chemical_formula", "structure.prototype")}
    for key in ("attrs.uvw_direction", "attrs.chemical_formula"):
        if key in constant:
            coverage[key] = Counter({str(constant[key]): data["n_items"]})
    thickness = {k: numeric.pop(k) for k in list(numeric) if k == "simulation.extent[2]"}
    body.append("<h2>Zone-axis, structure and thickness coverage</h2>")
    if coverage:
        body.append(_img(plots.bars(coverage), "coverage"))
    if thickness:
        body.append(_img(plots.histograms(thickness, "thickness [A] "), "thickness"))
    elif "simulation.extent[2]" in constant:
        body.append(f"<p>Thickness (cube depth): {constant['simulation.extent[2]']} A for every item.</p>")

    body.append("<h2>Column counts (clean structures, all items)</h2>")
    body.append(_img(plots.bars({"columns per class": data["column_classes"],
                                 "columns containing each element": data["column_elements"]}), "column counts"))

    body.append("<h2>Intensity histograms (sampled pixels, per image dataset)</h2>")
    body.append(_img(plots.intensity_histograms(data["intensities"]), "intensity histograms"))

    body.append("<h2>Item parameters</h2>")
    if numeric:
        body.append(_img(plots.histograms(numeric), "item parameters"))
    if categorical:
        body.append(_img(plots.bars(categorical), "item categories"))
    body.append("<p>Equal for every item:</p>" + _table(sorted(constant.items()), ["parameter", "value"]))

    body.append("<h2>Noise conditions: recorded draws and settings</h2>")
    for name, records in data["draws"].items():
        num, cat, const = _split(records)
        body.append(f"<h3>{html.escape(name)}</h3>")
        if num:
            body.append(_img(plots.histograms(num), f"draws {name}"))
        if cat:
            body.append(_img(plots.bars(cat), f"draws {name} categories"))
        body.append(_table(sorted(const.items()), ["setting", "value"]))

    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>synthstem report</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>")
    write_text(out, page)
    return out
