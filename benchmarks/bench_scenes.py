"""Scene generation speed: the amorphous film (vectorised RSA, synthstem.scenes.film) next
to the layer RSA of synthstem.structures.amorphous (the baseline: what a hand-built
supported scene used), and the structure / simulate / labels split of a 512 px
supported-atom item of configs/supported-atoms.toml.

    nice python3 benchmarks/bench_scenes.py film        # film vs baseline, same atoms
    nice python3 benchmarks/bench_scenes.py item [N]    # build items 0..N-1 of the config

Prints wall and CPU (process) seconds: the machine is shared, CPU time is the steadier number.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def film(size=150.0, thickness=100.0):
    from synthstem.scenes.film import film_atoms, thickness_map
    from synthstem.structures.amorphous import rsa_positions

    rng = np.random.default_rng(0)
    tmap, spacing = thickness_map(size, thickness, rng, amplitude=0.0)
    (sym, pos), wall, cpu = _timed(lambda: film_atoms(tmap, spacing, z_mid=thickness / 2 + 5, support="C", rng=rng))
    print(json.dumps({"what": "scenes.film.film_atoms", "atoms": len(pos), "wall_s": round(wall, 2),
                      "cpu_s": round(cpu, 2)}), flush=True)
    _, wall, cpu = _timed(lambda: rsa_positions(len(pos), (size, size), (0.0, thickness), 1.29,
                                                np.random.default_rng(0)))
    print(json.dumps({"what": "structures.amorphous.rsa_positions (baseline)", "atoms": len(pos),
                      "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}), flush=True)


def item(n=1):
    from synthstem.runs.build import build_item
    from synthstem.runs.config import load_config
    from synthstem.runs.plan import plan

    config = Path(__file__).resolve().parents[1] / "configs" / "supported-atoms.toml"
    for task in plan(load_config(config), "/tmp/bench-scenes")[:n]:
        (it, timings), wall, cpu = _timed(lambda: build_item(task))
        s = it.params["structure"]["scene"]["params"]
        print(json.dumps({"item": task.name, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                          **{k: round(v, 2) for k, v in timings.items()}, "atoms": len(it.numbers),
                          "thickness": round(s["thickness"], 1), "heavy": s["heavy_summary"]["count"]}), flush=True)


if __name__ == "__main__":
    {"film": film, "item": item}[sys.argv[1]](*[int(a) for a in sys.argv[2:]])
