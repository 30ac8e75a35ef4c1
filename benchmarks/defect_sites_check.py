"""Place every planned defect of a config's items (structure only, no simulation).

    PYTHONPATH=src python3 benchmarks/defect_sites_check.py CONFIG FIRST LAST

Builds each item's specimen (``runs.build.structure_of``) and places its defect levels as a
run would (``runs.build._defects``), for the planned items FIRST..LAST-1; prints how many fail
and why (benchmarks/ESTIMATES.md: the atomagined configs).
"""
import sys, time
from synthstem.runs.config import load_config
from synthstem.runs.plan import plan
from synthstem.runs.build import structure_of, _defects
cfg = load_config(sys.argv[1]); tasks = plan(cfg, "/tmp/nowhere")
lo, hi = int(sys.argv[2]), int(sys.argv[3])
bad = []
for t in tasks[lo:hi]:
    conds = t.condition_objects()
    levels = sorted({c.defect_level for c in conds.values() if c.defect_level})
    crystal = structure_of(t)[0]
    for level in levels:
        try:
            _defects(crystal, t, level, t.physics["simulation"]["pixels"])
        except ValueError as e:
            bad.append((t.index, t.name, t.structure.get("prototype"), t.uvw, level, str(e)[:80]))
print(len(tasks), "tasks;", len(bad), "failing of", hi - lo)
for b in bad[:20]: print(b)
