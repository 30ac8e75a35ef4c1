"""benchmarks/PRISM_F.md: the measured spread table, and the f rule's predictions vs checked errors.

Inputs: the spread table (src/synthstem/physics/data/prism_spread.json, from
benchmarks/prism_f_table.py), the checked errors of config items (JSON files of
benchmarks/prism_f_check.py) and the SrTiO3 [001] cases of benchmarks/PRISM_WINDOW.md
(static rows; 200 kV, 20 mrad, no aberrations). For every case and every tabulated leak
eps: the predicted spread (synthstem.physics.prism_f.spread), whether the rule at that eps
allows the case's f (window half-width >= spread), against whether its check passed each
level's tolerance. The eps of each level is the largest with no allowed case failing.

    python3 benchmarks/prism_f_report.py --checks a.json b.json --out benchmarks/PRISM_F_tables.md
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from synthstem.physics.optics import Microscope
from synthstem.physics.prism_f import LEVELS, spread, spread_table

ROOT = Path(__file__).resolve().parent


def window_cases():
    """Static SrTiO3 [001] rows of PRISM_WINDOW.md as cases."""
    cases = []
    for line in (ROOT / "PRISM_WINDOW.md").read_text().splitlines():
        m = re.match(r"\| ([\d.]+) \| (\d+) \| (\d) \| ([\d.]+) \| (\d+) \| [-\d.]+ \| [\d.]+ \| "
                     r"([\d.]+) \| ([\d.]+) \|", line)
        if not m or m.group(2) != "0":
            continue
        cell, f, thick, check = float(m.group(1)), int(m.group(3)), float(m.group(5)), float(m.group(7))
        cases.append({"source": "PRISM_WINDOW.md", "label": f"SrTiO3 [001] {cell:.1f} A",
                      "z": 38, "microscope": {}, "thickness": thick, "f": f,
                      "half_window": cell / (2 * f), "error": check,
                      "commensurate": abs(cell / f / 3.905 - round(cell / f / 3.905)) < 1e-3})
    return cases


def check_cases(paths):
    cases = []
    for p in paths:
        for r in json.loads(Path(p).read_text()):
            cases.append({"source": Path(p).name, "label": f"item {r['item']} {r['formula']}",
                          "z": r["z"], "microscope": r["microscope"], "thickness": r["thickness"],
                          "f": r["f"], "half_window": r["half_window"], "error": r["error"],
                          "commensurate": False})
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checks", nargs="*", default=[])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    data = spread_table()
    cases = window_cases() + check_cases(args.checks)
    eps_values = data["eps"]
    for c in cases:
        scope = Microscope(**c["microscope"])
        c["spread"] = {e: spread(scope, c["thickness"], c["z"], e) for e in eps_values}
    lines = ["## Measured spread (excerpt of prism_spread.json)", "",
             f"Half-width [A] of the square window holding all but eps of the exit-wave intensity, "
             f"200 kV, 20 mrad, no aberrations (largest over fcc [001]/[011], on/between columns; "
             f"the full table: {len(data['z'])} elements x {len(data['energies'])} energies x "
             f"{len(data['convergences'])} convergences x {len(eps_values)} eps x "
             f"{int(data['depth'] / data['step']) + 1} depths; {data['seconds']:.0f} s on "
             f"{data['machine']}).", "",
             "| Z | eps | 0 A | 10 A | 20 A | 40 A | 60 A | 100 A | 150 A |",
             "|---|---|---|---|---|---|---|---|---|"]
    for z in data["z"]:
        for e in (0.1, 0.05, 0.02):
            w = data["table"][str(z)]["200000:20"][eps_values.index(e)]
            lines.append(f"| {z} | {e:g} | " + " | ".join(
                f"{w[int(t / data['step'])]:.2f}" for t in (0, 10, 20, 40, 60, 100, 150)) + " |")
    lines += ["", "## Composition check: aberrated probes (Au [011], 200 kV, 20 mrad)", "",
              "Measured half-width through the crystal with the aberrated probe against the rule's "
              "table + (aberrated - ideal vacuum half-width) + t tan(tilt); eps = 0.02.", "",
              "| aberrations | depth [A] | measured | rule |", "|---|---|---|---|"]
    e = eps_values.index(0.02)
    for chk in data.get("composition_check", []):
        ab = chk["aberrations"]
        scope = Microscope(**ab)
        for t in (0, 20, 40, 60):
            i = int(t / data["step"])
            lines.append(f"| {ab} | {t} | {chk['measured'][e][i]:.2f} | "
                         f"{spread(scope, float(t), 79, 0.02):.2f} |")
    lines += ["", "## Predicted vs checked (every case)", "",
              "`allowed(eps)`: the rule at that eps allows this f (half-window >= spread). "
              "A case allowed at the level's eps whose check exceeds the level's tolerance would be "
              "a miss.", "",
              "| case | source | Z | thickness [A] | f | half-window [A] | " +
              " | ".join(f"spread eps={x:g}" for x in eps_values) + " | check error |",
              "|---|---|---|---|---|---|" + "---|" * len(eps_values) + "---|"]
    for c in sorted(cases, key=lambda c: (c["source"], c["label"], c["f"])):
        lines.append(f"| {c['label']}{' (commensurate)' if c['commensurate'] else ''} | "
                     f"{c['source']} | {c['z']} | {c['thickness']:.0f} | {c['f']} | "
                     f"{c['half_window']:.2f} | " +
                     " | ".join(f"{c['spread'][x]:.2f}" for x in eps_values) +
                     f" | {c['error']:.3f} |")
    lines += ["", "## Choice of eps per level", "",
              "The rule allows f where half-window >= cover x spread(eps).", "",
              "| level | tolerance | eps | cover | allowed & passed | allowed & failed (misses) | "
              "refused & passed (cost) | refused & failed |", "|---|---|---|---|---|---|---|---|"]
    for level, spec in LEVELS.items():
        tol = spec["tolerance"]
        for x in eps_values:
            for cover in (1.0, 0.9, 0.8, 0.7, 0.6):
                allowed = [c for c in cases if c["half_window"] >= cover * c["spread"][x]]
                refused = [c for c in cases if c["half_window"] < cover * c["spread"][x]]
                ok = sum(c["error"] <= tol for c in allowed)
                mark = " **(used)**" if (x, cover) == (spec["eps"], spec["cover"]) else ""
                lines.append(f"| {level} | {tol:g} | {x:g} | {cover:g}{mark} | {ok} | "
                             f"{len(allowed) - ok} | {sum(c['error'] <= tol for c in refused)} | "
                             f"{sum(c['error'] > tol for c in refused)} |")
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
