"""2D materials: mono- and few-layers of graphene, hBN and MX2 (1H or 1T) with dopants,
vacancies and adatoms, the beam along the layer normal.

Materials (``MATERIALS``): ``graphene`` (prototype ``graphite``), ``hBN`` (``hBN``), and
every decoration of ``2H-MoS2`` (``MoS2``, ``WS2``, ``MoSe2``, ``WSe2``, ``MoTe2``,
``NbSe2``, ...). Lattice constant, layer spacing and chalcogen height come from
``structures/data/prototypes.json`` (one source of truth): a layer is the half of the
prototype's cell below c/2, the next layer the half above (AB graphite, AA' hBN, 2H
MX2), repeated. ``phase='1T'`` (MX2 only) inverts the entrance-side chalcogen through
the metal (octahedral coordination; layers stacked AA at the same spacing).

Roles: *metal* sites (Mo, W; B in hBN; every C in graphene) hold one atom; *chalcogen*
columns (S, Se, Te; N in hBN) hold two atoms along the beam in 1H MX2 and one atom in
1T MX2 and hBN.

Site classes (``atoms.arrays[SITE_KEY]``; each atom carries its column's class):

- ``'<M>'`` (``'Mo'``, ``'W'``, ``'B'``, ``'C'``): a metal site (hBN: ``'N'`` for its N).
- ``'<X><k>'`` (``'S2'``, ``'S1'``, ``'Se2'``): an MX2 chalcogen column holding k of its
  atoms of the host chalcogen: ``'S2'`` intact 1H column, ``'S1'`` a 1H column with a
  single vacancy (or with its other atom a dopant), and every 1T column.
- ``'<D>_dopant'`` (``'W_dopant'``, ``'Se_dopant'``, ``'N_dopant'``): a substituted atom.
- ``'adatom'``: an adatom (instance -1).

Markers (sites without an atom, instance = layer): ``'<M>_vacancy'`` (``'Mo_vacancy'``,
``'C_vacancy'``, ``'N_vacancy'`` in hBN) and ``'<X>_vacancy<m>'`` for an MX2 chalcogen
column emptied of its m atoms (``'S_vacancy2'``: double vacancy of 1H; ``'S_vacancy1'``:
a 1T column's vacancy).

Instances: the layer index (0 = entrance side); -1 for adatoms.

Defect amounts (per layer, drawn independently in each layer): an int is a count (more
than the eligible sites is an error), a float in [0, 1] a fraction of the eligible sites
(none eligible, e.g. chalcogen vacancies of graphene: none made), so that one config can
draw defects for every material. Metal vacancies are drawn first, then
metal-site dopants from the sites left; double vacancies, then single chalcogen
vacancies (the atom removed drawn from the column's atoms), then chalcogen-site dopants
(one atom of a column) from the columns left.

Tiling: ``boundary='cut'`` keeps the columns inside ``[0, size)^2`` of an infinite
layer rotated by ``rotation + k * twist`` degrees (layer k) about the field centre (not
seamless across the field's edges, like ``orient``'s cut: the simulators' periodic
images meet at a seam);
``'periodic'`` (no rotation or twist) tiles a rectangular ``n1 a x n2 a sqrt(3)`` cell
stretched to the square field (strain recorded; at most ``max_strain``), seamless
across the edges.
"""

from __future__ import annotations

import numpy as np

from ..random import as_rng
from ..structures.prototypes import check_element, decorations, prototype
from ._helpers import count, finish_scene, labelled_atoms, number, rotation_z
from .base import Markers

__all__ = ["MATERIALS", "PHASES", "layer_unit", "build_monolayer"]

PHASES = ("1H", "1T")
_MX2 = "2H-MoS2"


def _materials():
    out = {"graphene": ("graphite", "C"), "hBN": ("hBN", "BN")}
    for deco in decorations(_MX2):
        out[deco] = (_MX2, deco)
    return out


#: material name -> (prototype, decoration)
MATERIALS = _materials()


def layer_unit(material, phase="1H"):
    """The two layer units of ``material`` and the lattice.

    Returns
    -------
    dict
        ``a`` [Angstrom], ``spacing`` (layer to layer) [Angstrom], ``metal`` and ``chalcogen``
        element (chalcogen None for graphene), ``layers``: two lists (stacking A, B) of
        columns ``(role, element, (f1, f2), z offsets [Angstrom] from the layer's mid-plane)``.
    """
    if material not in MATERIALS:
        raise ValueError(f"unknown 2D material {material!r}; choose one of {', '.join(MATERIALS)}")
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES}, got {phase!r}")
    name, deco = MATERIALS[material]
    if phase == "1T" and name != _MX2:
        raise ValueError(f"phase '1T' applies to MX2 materials only, not {material!r}")
    crystal = prototype(name, deco)
    c = crystal.cell.cellpar()[2]
    frac = crystal.get_scaled_positions(wrap=True)
    symbols = crystal.get_chemical_symbols()
    if name == "graphite":
        metal, chalcogen = "C", None
    else:
        metal, chalcogen = symbols[0], next(s for s in symbols if s != symbols[0])
    layers = []
    for lo in (0.0, 0.5):
        sel = [i for i in range(len(crystal)) if lo <= frac[i, 2] < lo + 0.5]
        mid = (lo + 0.25) * c
        columns, where = {}, {}
        for i in sel:
            key = (symbols[i], round(frac[i, 0] % 1.0, 4) % 1.0, round(frac[i, 1] % 1.0, 4) % 1.0)
            columns.setdefault(key, []).append(float(frac[i, 2] * c - mid))
            where[key] = (float(frac[i, 0]), float(frac[i, 1]))
        layer = [("metal" if key[0] == metal else "chalcogen", key[0], where[key], sorted(zs))
                 for key, zs in sorted(columns.items())]
        if phase == "1T":
            m = next(col for col in layer if col[0] == "metal")
            x = next(col for col in layer if col[0] == "chalcogen")
            inv = (2 * m[2][0] - x[2][0], 2 * m[2][1] - x[2][1])
            layer = [m, (x[0], x[1], x[2], [max(x[3])]), (x[0], x[1], inv, [min(x[3])])]
        layers.append(layer)
    if phase == "1T":
        layers[1] = layers[0]
    a = float(crystal.cell.cellpar()[0])
    return {"a": a, "spacing": c / 2.0, "metal": metal, "chalcogen": chalcogen, "layers": layers}


def _lattice_points(a, size, angle, boundary):
    """Lattice translations (n, 2) covering the field, in the scene frame, and the (sx, sy) stretch."""
    a1, a2 = np.array([a, 0.0]), np.array([-a / 2.0, a * np.sqrt(3) / 2.0])
    if boundary == "periodic":
        n1, n2 = max(1, round(size / a)), max(1, round(size / (a * np.sqrt(3))))
        i, j = np.meshgrid(np.arange(-n2 - 1, n1 + n2 + 2), np.arange(-1, 2 * n2 + 2), indexing="ij")
        pts = i.reshape(-1, 1) * a1 + j.reshape(-1, 1) * a2
        return pts, (size / (n1 * a), size / (n2 * a * np.sqrt(3))), (n1 * a, n2 * a * np.sqrt(3))
    r = size / np.sqrt(2) + 2 * a
    n = int(np.ceil(2 * r / a)) + 2
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    pts = i.reshape(-1, 1) * a1 + j.reshape(-1, 1) * a2
    pts = pts[np.hypot(pts[:, 0], pts[:, 1]) < r]
    return pts @ rotation_z(angle)[:2, :2].T + size / 2.0, (1.0, 1.0), None


def _layer_columns(unit, k, size, angle, boundary):
    """Columns of layer k: list of (role, element, xy (2,), z offsets)."""
    a = unit["a"]
    cell = np.array([[a, 0.0], [-a / 2.0, a * np.sqrt(3) / 2.0]])
    pts, stretch, period = _lattice_points(a, size, angle, boundary)
    rot = rotation_z(angle)[:2, :2]
    cols = []
    for role, el, f, zs in unit["layers"][k % 2]:
        xy = pts + (np.asarray(f) @ cell) @ rot.T
        if period is not None:
            keep = (xy[:, 0] >= 0) & (xy[:, 0] < period[0] - 1e-9) & (xy[:, 1] >= 0) & (xy[:, 1] < period[1] - 1e-9)
            xy = xy[keep] * stretch
        xy = xy[(xy[:, 0] >= 0) & (xy[:, 0] < size) & (xy[:, 1] >= 0) & (xy[:, 1] < size)]
        cols += [(role, el, p, list(zs)) for p in xy]
    return cols, stretch


def _pick(rng, pool, n):
    """n entries drawn without replacement from the index list ``pool`` (which loses them)."""
    take = sorted(rng.choice(len(pool), size=n, replace=False).tolist()) if n else []
    chosen = [pool[t] for t in take]
    for t in reversed(take):
        pool.pop(t)
    return chosen


def build_monolayer(rng=None, *, size=60.0, material="MoS2", phase="1H", layers=1, twist=0.0, rotation=0.0,
                    boundary="cut", max_strain=0.02, dopant="", dopant_site="metal", dopants=0,
                    metal_vacancies=0, chalcogen_vacancies=0, double_vacancies=0, adatom="", adatoms=0,
                    adatom_height=2.0, margin=2.0):
    """A 2D material with defects (module docstring for classes and conventions).

    Parameters
    ----------
    rng : numpy.random.Generator or int, optional
        Random stream (defect sites, adatom places).
    size : float
        Field of view [Angstrom].
    material : str
        One of ``MATERIALS``.
    phase : {'1H', '1T'}
        MX2 polytype of each layer.
    layers : int
        Number of layers, 1-3.
    twist : float
        Rotation of each layer relative to the one above it about the beam [degrees].
    rotation : float
        In-plane rotation of the top layer [degrees].
    boundary : {'cut', 'periodic'}
        Cut from an infinite layer, or periodic (no rotation or twist).
    max_strain : float
        ``'periodic'``: largest stretch of the lattice to fit the square field.
    dopant : str
        Substituting element ('' = none).
    dopant_site : {'metal', 'chalcogen'}
        Sites the dopant replaces.
    dopants, metal_vacancies, chalcogen_vacancies, double_vacancies : int or float
        Per layer: an int count or a float fraction of the eligible sites.
    adatom : str
        Adatom element ('' = none).
    adatoms : int
        Number of adatoms on the entrance surface.
    adatom_height : float
        Height of adatoms above the top layer's outermost atoms [Angstrom].
    margin : float
        Vacuum above and below [Angstrom].

    Returns
    -------
    Scene
        ``params`` holds every input, the lattice constant, spacing, layer angles, strain
        and per layer the defect counts.
    """
    rng = as_rng(rng)
    size = number("size", size, 0.0, lo_open=True, unit="[Angstrom]")
    unit = layer_unit(material, phase)
    if isinstance(layers, bool) or not isinstance(layers, (int, np.integer)) or not 1 <= layers <= 3:
        raise ValueError(f"layers must be an int in [1, 3], got {layers!r}")
    twist = number("twist", twist, unit="[degrees]")
    rotation = number("rotation", rotation, unit="[degrees]")
    if boundary not in ("cut", "periodic"):
        raise ValueError(f"boundary must be 'cut' or 'periodic', got {boundary!r}")
    if boundary == "periodic" and (rotation != 0.0 or (twist != 0.0 and layers > 1)):
        raise ValueError("boundary 'periodic' needs rotation = 0 and twist = 0; use boundary 'cut'")
    if dopant:
        check_element(dopant, "dopant")
    if dopant_site not in ("metal", "chalcogen"):
        raise ValueError(f"dopant_site must be 'metal' or 'chalcogen', got {dopant_site!r}")
    host = unit["metal"] if dopant_site == "metal" else unit["chalcogen"]
    if dopant and host is None:
        raise ValueError(f"{material} has no chalcogen sites; use dopant_site 'metal'")
    if dopant and dopant == host:
        raise ValueError(f"dopant {dopant!r} is the host element of the {dopant_site} sites of {material}")
    if adatom:
        check_element(adatom, "adatom")
    if isinstance(adatoms, bool) or not isinstance(adatoms, (int, np.integer)) or adatoms < 0:
        raise ValueError(f"adatoms must be an int >= 0, got {adatoms!r}")
    height = number("adatom_height", adatom_height, 0.0, lo_open=True, unit="[Angstrom]")
    margin = number("margin", margin, 0.0, unit="[Angstrom]")
    mx2 = MATERIALS[material][0] == _MX2
    h_max = max(max(abs(z) for z in col[3]) for col in unit["layers"][0])
    z0 = margin + h_max + (height if adatom and adatoms else 0.0)

    symbols, pos, sites, inst, records = [], [], [], [], []
    mk_xyz, mk_label, mk_inst = [], [], []
    strain = None
    for k in range(int(layers)):
        angle = np.deg2rad(rotation + k * twist)
        cols, stretch = _layer_columns(unit, k, size, angle, boundary)
        if boundary == "periodic":
            strain = [float(stretch[0] - 1.0), float(stretch[1] - 1.0)]
            if max(abs(s) for s in strain) > max_strain:
                raise ValueError(f"periodic {material} in a {size} A field needs strain {strain} > max_strain "
                                 f"{max_strain}; change size or use boundary 'cut'")
        zmid = z0 + k * unit["spacing"]
        metal = [i for i, c in enumerate(cols) if c[0] == "metal"]
        chalc = [i for i, c in enumerate(cols) if c[0] == "chalcogen"]
        two = [i for i in chalc if len(cols[i][3]) == 2]
        if isinstance(double_vacancies, (int, np.integer)) and double_vacancies > 0 and not two:
            raise ValueError(f"double_vacancies need two-atom chalcogen columns (1H MX2), not {material} {phase}")
        n_mv = count("metal_vacancies", metal_vacancies, len(metal))
        mv = _pick(rng, metal, n_mv)
        n_dv = count("double_vacancies", double_vacancies, len(two))
        dv = _pick(rng, two, n_dv)
        chalc = [i for i in chalc if i not in set(dv)]
        n_sv = count("chalcogen_vacancies", chalcogen_vacancies, len(chalc))
        sv = _pick(rng, chalc, n_sv)
        pool = metal if dopant_site == "metal" else chalc
        n_dop = count("dopants", dopants, len(pool)) if dopant else 0
        dop = _pick(rng, pool, n_dop)
        # atoms per column: removed or substituted
        removed = {i: list(range(len(cols[i][3]))) for i in mv + dv}
        for i in sv:
            removed[i] = [int(rng.integers(len(cols[i][3])))]
        substituted = {}
        for i in dop:
            left = [j for j in range(len(cols[i][3])) if j not in removed.get(i, [])]
            substituted[i] = left[int(rng.integers(len(left)))]
        for i, (role, el, xy, zs) in enumerate(cols):
            gone = removed.get(i, [])
            if len(gone) == len(zs):
                mk_xyz.append([xy[0], xy[1], zmid + float(np.mean(zs))])
                suffix = str(len(zs)) if (mx2 and role == "chalcogen") else ""
                mk_label.append(f"{el}_vacancy{suffix}")
                mk_inst.append(k)
                continue
            host = [j for j in range(len(zs)) if j not in gone and j != substituted.get(i)]
            host_label = f"{el}{len(host)}" if (mx2 and role == "chalcogen") else el
            for j, z in enumerate(zs):
                if j in gone:
                    continue
                dop_here = substituted.get(i) == j
                symbols.append(dopant if dop_here else el)
                sites.append(f"{dopant}_dopant" if dop_here else host_label)
                pos.append([xy[0], xy[1], zmid + z])
                inst.append(k)
        records.append({"layer": k, "angle": float(np.rad2deg(angle)), "z": float(zmid), "columns": len(cols),
                        "metal_vacancies": n_mv, "double_vacancies": n_dv, "chalcogen_vacancies": n_sv,
                        "dopants": n_dop})
    ad = []
    if adatom and adatoms:
        top = z0 - h_max - height
        for _ in range(int(adatoms)):
            for _try in range(1000):
                xy = rng.uniform(margin, size - margin, size=2)
                if all(np.hypot(*(xy - p[:2])) >= 3.0 for p in ad):
                    break
            else:
                raise ValueError(f"could not place {adatoms} adatoms 3 A apart in a {size} A field")
            ad.append(np.array([xy[0], xy[1], top]))
        symbols += [adatom] * len(ad)
        pos += [p.tolist() for p in ad]
        sites += ["adatom"] * len(ad)
        inst += [-1] * len(ad)
    atoms = labelled_atoms(symbols, pos, sites, inst)
    thickness = z0 + (int(layers) - 1) * unit["spacing"] + h_max + margin
    markers = Markers(xyz=np.array(mk_xyz, dtype=float).reshape(-1, 3), label=mk_label,
                      instance=np.array(mk_inst, dtype=int))
    params = {"size": size, "material": material, "phase": phase, "layers": int(layers), "twist": twist,
              "rotation": rotation, "boundary": boundary, "strain": strain, "lattice_constant": unit["a"],
              "layer_spacing": unit["spacing"], "dopant": dopant, "dopant_site": dopant_site, "dopants": dopants,
              "metal_vacancies": metal_vacancies, "chalcogen_vacancies": chalcogen_vacancies,
              "double_vacancies": double_vacancies, "adatom": adatom, "adatoms": int(adatoms),
              "adatom_height": height, "margin": margin, "per_layer": records}
    return finish_scene(atoms, size, thickness, "monolayer", params, markers)
