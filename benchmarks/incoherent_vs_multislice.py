"""The incoherent model against frozen-phonon PRISM f=1 (= multislice to 5e-9) on small
thin specimens built here with ase (no scene modules), and the cost of a 512 px image.

    nice -n 10 python3 benchmarks/incoherent_vs_multislice.py --cases all --configs 4
    python3 benchmarks/incoherent_vs_multislice.py --timing

References are cached in ``--cache`` (npz per case and settings); the table is printed as
Markdown and written to ``benchmarks/incoherent_vs_multislice.json``. Results:
benchmarks/INCOHERENT.md.

Metrics per case (both images on the same scan grid, no source size):
- ``peak/support``: image maximum within 0.6 A of each heavy atom over the mean of the
  pixels farther than 3 A from every heavy atom (both methods; the image mean where fewer
  than 5 % of the pixels are that far, i.e. crystals);
- ``heavy peak inc/ref``: mean over the heavy atoms of the ratio of their peaks;
- ``pos err``: distance [A] from each heavy atom to the quadratic-fit peak near it (mean);
- ``NCC``: normalised cross-correlation incoherent vs reference;
- ``mean ratio``: mean(incoherent) / mean(reference).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.build import mx2
from ase.cluster import Octahedron

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from synthstem.physics.optics import Microscope  # noqa: E402
from synthstem.physics.simulate import simulate  # noqa: E402
from synthstem.structures.amorphous import rsa_positions  # noqa: E402

HERE = Path(__file__).resolve().parent
#: the measured table, read by synthstem.physics.incoherent_rule
DATA = HERE.parent / "src" / "synthstem" / "physics" / "data" / "incoherent_validation.json"
REF = dict(method="prism", interpolation=1, sampling="detector", slice_thickness=1.0,
           projection="finite", prism_check=0)
VAC = 2.0  # vacuum above and below [A]
PIXELS = 128  # both images (scan grid at the Nyquist rate, Fourier interpolated)


def carbon_film(lx, ly, thickness, rng, z0=VAC, density=2.0):
    """Random amorphous carbon (RSA, min distance 1.3 A) of ``density`` [g/cm^3]."""
    n = int(round(density / 12.011 * 0.6022 * lx * ly * thickness))
    pos = rsa_positions(n, (lx, ly), (z0, z0 + thickness), 1.3, rng)
    return Atoms("C%d" % n, positions=pos)


def heavy_on_film(elements, thickness, size=16.0, seed=0):
    """One heavy atom per element on the top (entrance) surface of a carbon film."""
    rng = np.random.default_rng(seed)
    film = carbon_film(size, size, thickness, rng, z0=VAC + 2.0)
    spots = ([(0.25, 0.25), (0.75, 0.75)] if len(elements) == 2 else
             [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)])
    heavy = Atoms([e for e in elements],
                  positions=[(fx * size, fy * size, VAC) for (fx, fy), _ in zip(spots, elements)])
    atoms = heavy + film
    atoms.set_cell([size, size, thickness + 2 * VAC + 2.0])
    atoms.pbc = True
    return atoms, len(heavy)


def pt_particle(size=16.0, film=20.0, seed=1):
    """A truncated-octahedral Pt particle (~2 nm, 79 atoms) on a carbon film."""
    rng = np.random.default_rng(seed)
    p = Octahedron("Pt", 5, cutoff=1)
    p.rotate(25, "x")
    p.rotate(15, "y")
    pos = p.positions - p.positions.mean(0)
    h = pos[:, 2].max() - pos[:, 2].min()
    pos += (size / 2, size / 2, VAC - pos[:, 2].min())
    heavy = Atoms(p.get_chemical_symbols(), positions=pos)
    sub = carbon_film(size, size, film, rng, z0=VAC + h + 2.0)
    atoms = heavy + sub
    atoms.set_cell([size, size, VAC + h + 2.0 + film + VAC])
    atoms.pbc = True
    return atoms, len(heavy)


def mos2_w(nx=5, ny=3):
    """MoS2 monolayer (orthogonal a x a sqrt(3) cells, nx x ny) with one W on a Mo site."""
    a = 3.18
    hexa = mx2("MoS2", "2H", a=a, thickness=3.19, size=(1, 1, 1), vacuum=None)
    pos = np.r_[hexa.positions, hexa.positions + (a / 2, a * np.sqrt(3) / 2, 0.0)]
    rect = Atoms(hexa.get_chemical_symbols() * 2, positions=pos,
                 cell=[a, a * np.sqrt(3), 10.0], pbc=(True, True, False))
    rect.wrap()
    rect.pbc = True
    atoms = rect.repeat((nx, ny, 1))
    atoms.positions[:, 2] += VAC - atoms.positions[:, 2].min()
    atoms.set_cell([a * nx, a * np.sqrt(3) * ny, atoms.positions[:, 2].max() + VAC])
    mo = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Mo"]
    centre = np.array([a * nx / 2, a * np.sqrt(3) * ny / 2])
    i = mo[int(np.argmin(np.linalg.norm(atoms.positions[mo, :2] - centre, axis=1)))]
    atoms[i].symbol = "W"
    return atoms, [i]


def srtio3(n_cells, lateral=3):
    """SrTiO3 [001], ``lateral`` x ``lateral`` x ``n_cells`` unit cells (a = 3.905 A)."""
    a = 3.905
    cell = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (.5, .5, .5), (.5, .5, 0),
                                             (.5, 0, .5), (0, .5, .5)],
                 cell=[a, a, a], pbc=True)
    atoms = cell.repeat((lateral, lateral, n_cells))
    atoms.positions += (a / 4, a / 4, VAC)
    atoms.set_cell([a * lateral, a * lateral, a * n_cells + 2 * VAC])
    first = atoms.positions[:, 2] < VAC + 0.1
    return atoms, [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Sr" and first[i]]


def pt_depths(depths=(0.0, 20.0, 40.0, 60.0), size=16.0):
    """Four Pt atoms at different depths in vacuum (the depth of field), defocus 30 A."""
    spots = [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)]
    atoms = Atoms("Pt4", positions=[(fx * size, fy * size, VAC + d)
                                    for (fx, fy), d in zip(spots, depths)],
                  cell=[size, size, max(depths) + 2 * VAC], pbc=True)
    return atoms, [0, 1, 2, 3]


#: scene kind and specimen thickness [A] of each case (the lookup keys of
#: ``synthstem.physics.incoherent_rule``)
META = {
    "Si,Fe,Mo,Pt on 20 A a-C": ("atoms on amorphous film", 20.0),
    "Si,Fe,Mo,Pt on 50 A a-C": ("atoms on amorphous film", 50.0),
    "Fe,Pt on 100 A a-C": ("atoms on amorphous film", 100.0),
    "Pt79 particle on 20 A a-C": ("particle on amorphous film", 34.0),
    "MoS2 + W dopant": ("monolayer", 3.2),
    "SrTiO3 [001] 3 cells (12 A)": ("crystal on zone axis", 11.7),
    "SrTiO3 [001] 10 cells (39 A)": ("crystal on zone axis", 39.1),
    "Pt at depth 0/20/40/60 A, defocus 30 A": ("atoms in vacuum", 60.0),
}


def cases():
    """name -> (builder, microscope)."""
    scope = Microscope()  # 200 kV, 20 mrad, 100-150 mrad
    out = {}
    for t in (20, 50):
        out[f"Si,Fe,Mo,Pt on {t} A a-C"] = (
            lambda t=t: _first(heavy_on_film(["Si", "Fe", "Mo", "Pt"], t, seed=t)), scope)
    # 12 A field (the cost goes as the field^4): two atoms on the diagonal, 8.5 A apart
    out["Fe,Pt on 100 A a-C"] = (
        lambda: _first(heavy_on_film(["Fe", "Pt"], 100, size=12.0, seed=100)), scope)
    out["Pt79 particle on 20 A a-C"] = (lambda: _first(pt_particle()), scope)
    out["MoS2 + W dopant"] = (mos2_w, scope)
    out["SrTiO3 [001] 3 cells (12 A)"] = (lambda: srtio3(3), scope)
    out["SrTiO3 [001] 10 cells (39 A)"] = (lambda: srtio3(10), scope)
    from dataclasses import replace
    out["Pt at depth 0/20/40/60 A, defocus 30 A"] = (pt_depths, replace(scope, defocus=30.0))
    return out


def _first(built):
    atoms, n = built
    return atoms, list(range(n))


def _peak(image, extent, xy, radius=0.6):
    """Maximum near ``xy`` and its quadratic-fit position [A]."""
    ny, nx = image.shape
    ly, lx = extent
    big = _upsample(image, 4)
    py, px = ly / big.shape[0], lx / big.shape[1]
    yy, xx = np.mgrid[0:big.shape[0], 0:big.shape[1]]
    dx = (xx * px - xy[0] + lx / 2) % lx - lx / 2
    dy = (yy * py - xy[1] + ly / 2) % ly - ly / 2
    mask = np.hypot(dx, dy) <= radius
    j, i = np.unravel_index(np.argmax(np.where(mask, big, -np.inf)), big.shape)
    def fit(m, c, p):
        d = m - 2 * c + p
        return 0.0 if d == 0 else 0.5 * (m - p) / d
    ox = fit(big[j, i - 1], big[j, i], big[j, (i + 1) % big.shape[1]])
    oy = fit(big[j - 1, i], big[j, i], big[(j + 1) % big.shape[0], i])
    err = np.hypot(dx[j, i] + ox * px, dy[j, i] + oy * py)
    return big[j, i], err


def _upsample(image, f):
    from scipy.signal import resample
    return resample(resample(image, image.shape[0] * f, axis=0), image.shape[1] * f, axis=1)


def metrics(inc, ref, atoms, heavy, extent):
    ly, lx = extent
    ny, nx = ref.shape
    yy, xx = np.mgrid[0:ny, 0:nx]
    far = np.ones(ref.shape, bool)
    for i in heavy:
        x, y = atoms.positions[i, :2]
        dx = (xx * lx / nx - x + lx / 2) % lx - lx / 2
        dy = (yy * ly / ny - y + ly / 2) % ly - ly / 2
        far &= np.hypot(dx, dy) > 3.0
    row = {}
    for name, img in (("inc", inc), ("ref", ref)):
        peaks = [_peak(img, extent, atoms.positions[i, :2]) for i in heavy]
        # crystals (every pixel near a heavy column): the image mean
        support = img[far].mean() if far.sum() > 0.05 * far.size else img.mean()
        row[f"peak_support_{name}"] = float(np.mean([p[0] for p in peaks]) / support)
        row[f"pos_err_{name}"] = float(np.mean([p[1] for p in peaks]))
        row[f"peak_{name}"] = [float(p[0]) for p in peaks]
    a, b = inc - inc.mean(), ref - ref.mean()
    row["ncc"] = float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))
    row["mean_ratio"] = float(inc.mean() / ref.mean())
    peak_ratio = np.array(row["peak_inc"]) / np.array(row["peak_ref"])
    row["heavy_peak_ratio"] = [float(v) for v in peak_ratio]
    return row


def cache_path(name, atoms, scope, configs, cache):
    """Reference image file: case name, configurations, digest of atoms and microscope."""
    import hashlib
    digest = hashlib.sha1(np.ascontiguousarray(atoms.positions).tobytes()
                          + str(atoms.numbers.tolist()).encode()
                          + repr(sorted(scope.to_dict().items())).encode()).hexdigest()[:10]
    return cache / ("".join(c if c.isalnum() else "_" for c in name)
                    + f"_c{configs}_{digest}.npz")


def run_case(name, builder, scope, configs, cache):
    atoms, heavy = builder()
    lx, ly = atoms.cell[0, 0], atoms.cell[1, 1]
    path = cache_path(name, atoms, scope, configs, cache)
    t0 = time.perf_counter()
    if path.exists():
        ref = np.load(path)["image"]
        ref_s = float(np.load(path)["seconds"])
    else:
        r = simulate(atoms, scope, pixels=PIXELS, phonons=configs, seed=1, workers=2, **REF)
        ref, ref_s = r.image, time.perf_counter() - t0
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(path, image=ref, seconds=ref_s)
    t1 = time.perf_counter()
    inc = simulate(atoms, scope, pixels=ref.shape[0], method="incoherent", workers=2)
    inc_s = time.perf_counter() - t1
    if inc.image.shape != ref.shape:
        raise SystemExit(f"{name}: grid mismatch {inc.image.shape} vs {ref.shape}")
    row = metrics(inc.image, ref, atoms, heavy, (ly, lx))
    tds = simulate(atoms, scope, pixels=ref.shape[0], method="incoherent", workers=2,
                   incoherent_damping="tds")
    row["tds"] = metrics(tds.image, ref, atoms, heavy, (ly, lx))
    row.update(case=name, atoms=len(atoms), field=[float(lx), float(ly)],
               thickness=float(np.ptp(atoms.positions[:, 2])), ref_seconds=ref_s,
               inc_seconds=inc_s, pixels=int(ref.shape[0]))
    return row


def timing(repeat=3):
    """512 px, 150 A field: ~250,000 C atoms (111 A film) plus 200 Pt atoms, 2 workers."""
    rng = np.random.default_rng(0)
    n, size = 250_000, 150.0
    pos = np.c_[rng.uniform(0, size, n), rng.uniform(0, size, n), rng.uniform(2, 113, n)]
    heavy = np.c_[rng.uniform(0, size, 200), rng.uniform(0, size, 200), np.full(200, 1.0)]
    atoms = Atoms(["C"] * n + ["Pt"] * 200, positions=np.r_[pos, heavy],
                  cell=[size, size, 115.0], pbc=True)
    simulate(atoms[:10], pixels=64, method="incoherent")  # numba compile
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = simulate(atoms, pixels=512, method="incoherent", workers=2)
        times.append(time.perf_counter() - t)
    return {"atoms": len(atoms), "pixels": 512, "field": size, "seconds": times,
            "n_planes": r.params["incoherent"]["n_planes"], "timings": r.timings}


def merge(paths, out, info):
    """Rows of earlier runs (last wins per case) with their kind and thickness -> ``out``."""
    rows = {}
    built = cases()
    for p in paths:
        data = json.loads(Path(p).read_text())
        for r in data["rows"]:
            kind, thickness = META[r["case"]]
            builder, scope = built[r["case"]]
            atoms = builder()[0]
            simulate(atoms, scope, pixels=512, method="incoherent", workers=2)  # warm
            t = time.perf_counter()
            simulate(atoms, scope, pixels=512, method="incoherent", workers=2)
            rows[r["case"]] = dict(r, kind=kind, specimen_thickness=thickness,
                                   inc_seconds_512=time.perf_counter() - t,
                                   machine=data.get("machine"), date=data.get("date"),
                                   configs=data.get("configs"))
    order = list(META)
    table = dict(info, rows=sorted(rows.values(), key=lambda r: order.index(r["case"])))
    out.write_text(json.dumps(table, indent=1) + "\n")
    print(f"{len(rows)} cases -> {out}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="all", help="'all' or comma list of indices")
    parser.add_argument("--configs", type=int, default=4, help="frozen-phonon configurations")
    parser.add_argument("--cache", default="/tmp/synthstem-incoherent-ref")
    parser.add_argument("--timing", action="store_true", help="only the 512 px timing")
    parser.add_argument("--out", default=str(DATA))
    parser.add_argument("--merge", nargs="*", help="JSON outputs of earlier runs to merge into --out")
    args = parser.parse_args(argv)
    info = {"machine": f"{platform.node()} {os.cpu_count()} cpus", "date":
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "reference": REF,
            "configs": args.configs}
    if args.timing:
        t = timing()
        print(json.dumps(t, indent=1))
        return 0
    if args.merge:
        return merge(args.merge, Path(args.out), info)
    all_cases = list(cases().items())
    chosen = range(len(all_cases)) if args.cases == "all" else [int(c) for c in args.cases.split(",")]
    rows = []
    print("| case | atoms | peak/support inc | peak/support ref | heavy peak inc/ref | "
          "pos err inc / ref [A] | NCC | mean inc/ref | ref s | inc s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for k in chosen:
        name, (builder, scope) = all_cases[k]
        row = run_case(name, builder, scope, args.configs, Path(args.cache))
        rows.append(row)
        print(f"| {name} | {row['atoms']} | {row['peak_support_inc']:.2f} | "
              f"{row['peak_support_ref']:.2f} | "
              f"{np.mean(row['heavy_peak_ratio']):.2f} | "
              f"{row['pos_err_inc']:.2f} / {row['pos_err_ref']:.2f} | {row['ncc']:.3f} | "
              f"{row['mean_ratio']:.3f} | {row['ref_seconds']:.0f} | {row['inc_seconds']:.2f} |",
              flush=True)
    out = Path(args.out)
    old = json.loads(out.read_text()) if out.exists() else {"rows": []}
    names = {r["case"] for r in rows}
    merged = [r for r in old.get("rows", []) if r["case"] not in names] + rows
    out.write_text(json.dumps(dict(info, rows=merged), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
