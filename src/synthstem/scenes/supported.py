"""Supported single atoms and clusters: heavy atoms on and in an amorphous or crystalline support.

``build_supported(rng, size, support, ...)`` makes the support (an amorphous film from
:mod:`synthstem.scenes.film`, or a crystal at a zone axis from
:func:`synthstem.structures.orient.orient`), places the heavy atoms
(:func:`synthstem.scenes.placement.place_heavy_atoms`) and removes the support atoms that
would overlap them. The cell is ``diag(size, size, margin + max thickness + margin)``; the
support's mid-plane at half that depth (shifted down when a tall cluster on the top surface
needs room: ``params['heavy_summary']['z_mid']``); the beam enters at z = 0, the *top* surface.

Labels: every heavy atom has ``SITE_KEY`` = its class (the element, or with
``label_groups`` the element and its group kind: 'Pt', 'Pt_pair', 'Pt_cluster') and
``INSTANCE_KEY`` = its group id (an isolated atom is its own group); support atoms have
``''`` and -1. ``Scene.params["heavy_atoms"]`` lists the heavy atoms' group kind and site
(top/bottom/inside) in atom order of the labelled atoms.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

from ..random import as_rng
from .base import INSTANCE_KEY, SITE_KEY, Scene
from .film import film_atoms, thickness_map
from .placement import clear_around, place_heavy_atoms

__all__ = ["build_supported"]


def _crystal_support(crystal, crystal_elements, zone_axis, boundary, size, thickness):
    """(symbols, positions, thickness) of a crystal slab at a zone axis."""
    from ..structures.orient import orient
    from ..structures.prototypes import prototype
    from ..structures.readers import load_structure

    if str(crystal).lower().endswith(".cif"):
        bulk = load_structure(crystal)[0]
    else:
        bulk = prototype(crystal, crystal_elements)
    cell = orient(bulk, tuple(int(i) for i in zone_axis), size=size, thickness=thickness, boundary=boundary)
    atoms = cell.atoms
    pos = atoms.positions.copy()
    pos[:, :2] *= size / np.diag(atoms.cell)[:2]  # a periodic cell's edge may differ from size by its strain
    return np.array(atoms.get_chemical_symbols()), pos, float(atoms.cell[2, 2])


def build_supported(rng=None, size=150.0, support="C", density=None, thickness=100.0,
                    thickness_amplitude=0.15, correlation_length=30.0, vacuum_fraction=0.0,
                    edge_roughness=5.0, holes=0, hole_radius=(5.0, 15.0), texture_amplitude=0.1,
                    texture_length=10.0, min_distance=None, crystal=None, crystal_elements=None,
                    zone_axis=(0, 0, 1), boundary="periodic", heavy="Pt", heavy_density=0.5,
                    group_fractions=(0.7, 0.1, 0.2), cluster_fraction=None, sites=(0.45, 0.45, 0.1), cluster_size=(3, 12),
                    bond=None, height=2.0, min_separation=5.0, clearance=2.0, label_groups=False,
                    margin=6.0):
    """Heavy atoms and clusters on an amorphous or crystalline support (module docstring).

    Parameters
    ----------
    rng : numpy.random.Generator or int, optional
    size : float
        Field of view edge [Angstrom].
    support : str or dict
        Amorphous film material: 'C', 'CN' (N-doped carbon, 5 at.% N), 'SiO2', 'Si3N4',
        'Al2O3' (densities 2.0, 2.0, 2.2, 3.1, 3.0 g/cm^3), or any formula / ``{symbol: amount}``
        with ``density``. Ignored when ``crystal`` is set.
    density : float, optional
        Film mass density [g/cm^3]; default the support's.
    thickness : float
        Mean film thickness [Angstrom] (20-500); a crystal's thickness.
    thickness_amplitude : float
        Relative RMS thickness variation of the film (Gaussian random field).
    correlation_length : float
        Correlation length (Gaussian filter sigma) of the thickness map [Angstrom].
    vacuum_fraction : float
        Fraction of the field beyond a vacuum edge, [0, 1).
    edge_roughness : float
        RMS waviness of the vacuum edge [Angstrom].
    holes : int
        Number of holes in the film.
    hole_radius : (float, float)
        Hole radius range [Angstrom].
    texture_amplitude : float
        Relative RMS density fluctuation of the film (mid-scale texture), < 1.
    texture_length : float
        Correlation length of the texture [Angstrom] (5-30).
    min_distance : float, optional
        Smallest distance between film atoms [Angstrom] (default: 0.85 x twice the mean
        covalent radius).
    crystal : str, optional
        A crystalline support instead of the film: a prototype name or a CIF path.
    crystal_elements : str or dict, optional
        The prototype's decoration.
    zone_axis : (int, int, int)
        The crystal's zone axis [uvw] along the beam.
    boundary : {'periodic', 'cut'}
        The crystal's lateral boundary (synthstem.structures.orient).
    heavy : str or dict
        Heavy element(s): 'Pt' or ``{'Pt': 0.8, 'Au': 0.2}``.
    heavy_density : float
        Heavy atoms per nm^2 of supported area [atoms/nm^2].
    group_fractions : (float, float, float)
        Fractions of the heavy atoms in isolated atoms, close pairs, clusters.
    cluster_fraction : float, optional
        Fraction of the heavy atoms in clusters, in [0, 1]: overrides the third entry of
        ``group_fractions`` (the other two keep their ratio); one number to draw per item.
    sites : (float, float, float)
        Fractions of the groups on the top surface, bottom surface, inside.
    cluster_size : (int, int)
        Atoms per cluster, inclusive range (2-20).
    bond : float, optional
        Heavy-heavy distance in pairs and clusters [Angstrom]; default twice the covalent radius.
    height : float
        Height of surface heavy atoms above the support surface [Angstrom].
    min_separation : float
        Smallest lateral distance between groups [Angstrom].
    clearance : float
        Support atoms closer than this to a heavy atom are removed [Angstrom].
    label_groups : bool
        Class = element + group kind ('Pt', 'Pt_pair', 'Pt_cluster') instead of the element.
    margin : float
        Vacuum above and below the support [Angstrom] (>= height + cluster height).

    Returns
    -------
    Scene
    """
    rng = as_rng(rng)
    params = {k: v for k, v in locals().items() if k != "rng"}
    if cluster_fraction is not None:
        if isinstance(cluster_fraction, bool) or not isinstance(cluster_fraction, (int, float)) \
                or not 0 <= cluster_fraction <= 1:
            raise ValueError(f"cluster_fraction must be in [0, 1], got {cluster_fraction!r}")
        iso, pair = (float(f) for f in group_fractions[:2])
        rest = (1 - cluster_fraction) / (iso + pair) if iso + pair > 0 else 0.0
        group_fractions = (iso * rest if iso + pair > 0 else 1 - cluster_fraction, pair * rest, cluster_fraction)
    if not 20 <= thickness <= 500:
        raise ValueError(f"thickness must be in [20, 500] Angstrom, got {thickness!r}")
    if not 10 <= size <= 1000:
        raise ValueError(f"size must be in [10, 1000] Angstrom, got {size!r}")
    if crystal is not None:
        symbols, pos, thick = _crystal_support(crystal, crystal_elements, zone_axis, boundary, size, thickness)
        n = int(np.ceil(size))
        spacing = size / n
        tmap = np.full((n, n), thick)
        depth = thick + 2 * margin
        pos[:, 2] += margin
        z_mid = margin + thick / 2
    else:
        tmap, spacing = thickness_map(size, thickness, rng, amplitude=thickness_amplitude,
                                      correlation_length=correlation_length, vacuum_fraction=vacuum_fraction,
                                      edge_roughness=edge_roughness, holes=holes, hole_radius=hole_radius)
        tmax = float(tmap.max()) if tmap.size else 0.0
        depth = tmax + 2 * margin
        z_mid = depth / 2
        symbols, pos = film_atoms(tmap, spacing, z_mid, support=support, density=density,
                                  min_distance=min_distance, texture_amplitude=texture_amplitude,
                                  texture_length=texture_length, rng=rng)
    z_top, z_bottom = z_mid - tmap / 2, z_mid + tmap / 2
    heavy_atoms = place_heavy_atoms(z_top, z_bottom, spacing, rng, elements=heavy, density=heavy_density,
                                    group_fractions=group_fractions, sites=sites, cluster_size=cluster_size,
                                    bond=bond, height=height, min_separation=min_separation)
    keep = clear_around(pos, heavy_atoms.positions, clearance, size)
    symbols, pos = symbols[keep], pos[keep]
    hp = heavy_atoms.positions
    if len(hp):  # tall clusters may reach past the margin: grow the cell to hold them
        shift = max(0.0, 1.0 - float(hp[:, 2].min()))
        pos[:, 2] += shift
        hp = hp + [0.0, 0.0, shift]
        depth = max(depth + shift, float(hp[:, 2].max()) + 1.0)
        z_mid += shift
    classes = [f"{s}_{g}" if label_groups and g != "isolated" else str(s)
               for s, g in zip(heavy_atoms.symbols, heavy_atoms.group)]
    n_support = len(symbols)
    atoms = Atoms(symbols=list(symbols) + list(heavy_atoms.symbols), positions=np.vstack([pos, hp]),
                  cell=np.diag([size, size, depth]), pbc=True)
    atoms.positions[:, :2] = np.mod(atoms.positions[:, :2], size)
    atoms.positions[:, :2] = np.minimum(atoms.positions[:, :2], np.nextafter(size, 0))
    site = np.array([""] * n_support + classes, dtype=f"<U{max([8, *map(len, classes)])}")
    instance = np.r_[np.full(n_support, -1), heavy_atoms.instance].astype(int)
    atoms.set_array(SITE_KEY, site)
    atoms.set_array(INSTANCE_KEY, instance)
    params.update(heavy_summary={"count": len(hp), "groups": int(len(np.unique(heavy_atoms.instance))),
                                 "film_atoms": n_support, "depth": depth, "z_mid": z_mid},
                  heavy_atoms={"group": heavy_atoms.group.tolist(), "site": heavy_atoms.site.tolist()})
    return Scene(atoms=atoms, size=float(size), kind="supported", params=_jsonable(params))


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
