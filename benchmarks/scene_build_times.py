"""Build time of scenes drawn from the ``[scene]`` tables of configs (builder only, no
simulation): every item's keywords drawn with ``synthstem.distributions.draw`` from one
stream per config, ``size`` from ``[simulation] size``.

    PYTHONPATH=src python3 benchmarks/scene_build_times.py nanoparticles 2d-materials interfaces --items 30
"""

import argparse
import time
import tomllib

import numpy as np

from synthstem.distributions import draw
from synthstem.scenes import build_scene


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("configs", nargs="+", help="names under configs/ (without .toml)")
    ap.add_argument("--items", type=int, default=30)
    args = ap.parse_args()
    for name in args.configs:
        with open(f"configs/{name}.toml", "rb") as fh:
            config = tomllib.load(fh)
        table = dict(config["scene"])
        kind = table.pop("kind")
        table.pop("items", None)
        rng = np.random.default_rng(0)
        seconds, atoms = [], []
        for i in range(args.items):
            params = {k: draw(v, rng) if isinstance(v, dict) else v for k, v in table.items()}
            params["size"] = float(config["simulation"]["size"])
            t0 = time.perf_counter()
            scene = build_scene(kind, params, rng=i)
            seconds.append(time.perf_counter() - t0)
            atoms.append(len(scene.atoms))
        print(f"{name}: {args.items} scenes built; seconds mean {np.mean(seconds):.2f} max {max(seconds):.2f}; "
              f"atoms mean {np.mean(atoms):.0f} max {max(atoms)}")


if __name__ == "__main__":
    main()
