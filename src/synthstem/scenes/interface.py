"""Interfaces parallel to the beam: two crystals (an epitaxial interface) or two
orientations of one crystal (a tilt grain boundary) joined on a plane.

Geometry: each grain is a crystal (prototype name such as ``'perovskite/SrTiO3'`` or a
structure file, read by :func:`synthstem.structures.readers.load_structure`) cut with
its zone axis along the beam (:func:`synthstem.structures.orient.orient`, ``thickness``
deep), then rotated about the beam through the field centre: grain 0 by
``rotation + tilt/2``, grain 1 by ``rotation - tilt/2`` [degrees]. So ``tilt`` is the
misorientation about the beam, and with one crystal and ``plane_angle`` = 0 the
boundary is a symmetric tilt grain boundary. The plane contains the beam; it turns with
the grains: its normal in the image is at ``rotation + plane_angle`` degrees,
``n = (cos, sin)`` of that (``plane_angle`` is the inclination of the plane in the
bicrystal, ``rotation`` turns the whole bicrystal in the image); it passes through
``centre + plane_offset * n``. Grain 0 keeps its atoms with ``n . (r - p) < 0``, grain 1
those with ``n . (r - p) >= 0``; grain 1 is shifted by ``translation`` [Angstrom] along
the plane (rigid-body translation). Atoms of grain 1 closer than ``min_distance`` to an
atom of grain 0 are removed (their number is recorded).

Mismatch: the period of each grain along the plane's in-image direction
``t = (-sin, cos)`` is the shortest lattice vector parallel to t (indices up to
``_MAX_INDEX``; none: the direction is irrational and the mismatch is None);
``mismatch = p1 / p0 - 1``. ``coherent=True`` strains grain 1 along t by ``p0 / p1``
(pseudomorphic interface), recorded as ``coherency_strain``.

Labels: site class = the element (``'Sr'``, ``'Ti'``, ``'O'``); instance = grain id
(0 or 1). The grain of every atom is in the instance, so a class stays the same across
grains (a model learns elements; the masks per instance give the grains).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from ..random import as_rng
from ..structures.orient import orient
from ..structures.periodic import centring_translations
from ..structures.readers import load_structure
from ._helpers import finish_scene, labelled_atoms, number, rotation_z

__all__ = ["build_interface", "period_along"]

_MAX_INDEX = 8


def _load(source, what):
    try:
        atoms, source_id, _ = load_structure(source)
    except FileNotFoundError as err:
        raise ValueError(f"{what}: {err}") from None
    return atoms, source_id


def _uvw(name, value):
    try:
        uvw = [int(x) for x in value]
        ok = len(uvw) == 3 and all(float(x) == int(x) for x in value) and any(uvw)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be three integers [u, v, w], not all 0, got {value!r}")
    return uvw


def period_along(vectors, direction, translations=None, tol=1e-3):
    """Length of the shortest lattice vector parallel to ``direction`` [Angstrom], or None.

    Parameters
    ----------
    vectors : (3, 3) array_like
        Lattice vectors (rows) in the scene frame [Angstrom].
    direction : (3,) array_like
        Unit vector.
    translations : (k, 3) array_like, optional
        Fractional centring translations of the cell (e.g. fcc's (0, 1/2, 1/2));
        default none (primitive cell).
    tol : float
        Largest distance of the vector from the line of ``direction`` [Angstrom].
    """
    n = np.arange(-_MAX_INDEX, _MAX_INDEX + 1)
    idx = np.stack(np.meshgrid(n, n, n, indexing="ij"), axis=-1).reshape(-1, 3).astype(float)
    tau = np.zeros((1, 3)) if translations is None else np.asarray(translations, dtype=float).reshape(-1, 3)
    idx = (idx[:, None, :] + tau[None, :, :]).reshape(-1, 3)
    idx = idx[np.linalg.norm(idx, axis=1) > 1e-9]
    t = idx @ np.asarray(vectors, dtype=float)
    d = np.asarray(direction, dtype=float)
    length = np.linalg.norm(t, axis=1)
    along = t @ d
    ok = (np.linalg.norm(t - np.outer(along, d), axis=1) < tol) & (along > 0)
    return float(length[ok].min()) if ok.any() else None


def _grain(atoms, uvw, size, thickness, angle, shift):
    """One grain covering the field: scene positions, the oriented cell and its lattice vectors."""
    big = size * np.sqrt(2) + 2 * float(np.max(atoms.cell.cellpar()[:3]))
    cell = orient(atoms, uvw, size=big, thickness=thickness)
    rot = rotation_z(angle)
    pos = cell.atoms.positions.copy()
    pos[:, :2] -= big / 2
    pos = pos @ rot.T
    pos[:, :2] += size / 2 + shift
    vectors = (rot @ cell.deformation @ cell.rotation @ np.asarray(atoms.cell).T).T
    return pos, cell, vectors


def build_interface(rng=None, *, size=60.0, thickness=40.0, crystal="perovskite/SrTiO3", zone_axis=(0, 0, 1),
                    crystal2="", zone_axis2=None, tilt=0.0, rotation=0.0, plane_angle=0.0, plane_offset=0.0,
                    translation=0.0, coherent=False, min_distance=None):
    """Two grains joined on a plane parallel to the beam (module docstring).

    Parameters
    ----------
    rng : numpy.random.Generator or int, optional
        Unused (the geometry is fully given; draw the parameters per item in the config);
        taken for the common builder signature.
    size : float
        Field of view [Angstrom].
    thickness : float
        Extent along the beam [Angstrom].
    crystal : str
        Grain 0: prototype name ('perovskite/SrTiO3', 'diamond/Si') or structure file.
    zone_axis : [u, v, w]
        Direction of grain 0 along the beam.
    crystal2 : str
        Grain 1 ('' = the same crystal: a grain boundary).
    zone_axis2 : [u, v, w], optional
        Direction of grain 1 along the beam (default ``zone_axis``).
    tilt : float
        Misorientation about the beam [degrees]: grain 0 at +tilt/2, grain 1 at -tilt/2.
    rotation : float
        In-plane rotation of the whole bicrystal (both grains and the plane) [degrees].
    plane_angle : float
        Inclination of the plane normal from the bicrystal's x axis [degrees] (0 with
        rotation 0: along x, a vertical boundary; 0: the symmetric boundary of a tilt).
    plane_offset : float
        Distance of the plane from the field centre along its normal [Angstrom].
    translation : float
        Shift of grain 1 along the plane [Angstrom].
    coherent : bool
        Strain grain 1 along the plane to grain 0's period (needs both periods).
    min_distance : float, optional
        Grain-1 atoms closer than this to grain 0 are removed [Angstrom]; default 0.7 x the
        shortest bulk distance of the two crystals.

    Returns
    -------
    Scene
        ``params``: every input, the plane (point, normal), per grain the source, zone axis,
        angle, period along the plane; mismatch, coherency strain, atoms removed.
    """
    as_rng(rng)
    size = number("size", size, 0.0, lo_open=True, unit="[Angstrom]")
    thickness = number("thickness", thickness, 0.0, lo_open=True, unit="[Angstrom]")
    tilt = number("tilt", tilt, -180.0, 180.0, unit="[degrees]")
    rotation = number("rotation", rotation, unit="[degrees]")
    phi = np.deg2rad(number("plane_angle", plane_angle, unit="[degrees]"))
    offset = number("plane_offset", plane_offset, -size / 2, size / 2, unit="[Angstrom]")
    translation = number("translation", translation, unit="[Angstrom]")
    if not isinstance(coherent, (bool, np.bool_)):
        raise ValueError(f"coherent must be true or false, got {coherent!r}")
    uvw0 = _uvw("zone_axis", zone_axis)
    uvw1 = uvw0 if zone_axis2 is None else _uvw("zone_axis2", zone_axis2)
    atoms0, src0 = _load(crystal, "crystal")
    atoms1, src1 = (atoms0, src0) if not crystal2 else _load(crystal2, "crystal2")
    normal_angle = phi + np.deg2rad(rotation)  # the plane turns with the bicrystal
    normal = np.array([np.cos(normal_angle), np.sin(normal_angle)])
    along = np.array([-np.sin(normal_angle), np.cos(normal_angle)])
    point = size / 2 + offset * normal
    angles = (np.deg2rad(rotation + tilt / 2), np.deg2rad(rotation - tilt / 2))
    pos0, cell0, vec0 = _grain(atoms0, uvw0, size, thickness, angles[0], np.zeros(2))
    pos1, cell1, vec1 = _grain(atoms1, uvw1, size, thickness, angles[1], translation * along)
    t3 = np.array([along[0], along[1], 0.0])
    p0 = period_along(vec0, t3, centring_translations(atoms0))
    p1 = period_along(vec1, t3, centring_translations(atoms1))
    mismatch = None if p0 is None or p1 is None else p1 / p0 - 1.0
    strain = 0.0
    if coherent:
        if mismatch is None:
            raise ValueError("coherent needs a lattice period along the plane in both grains; "
                             f"found {p0} and {p1} [Angstrom]")
        strain = p0 / p1 - 1.0
        s = (pos1[:, :2] - point) @ along
        pos1[:, :2] += np.outer(s * strain, along)
    if min_distance is None:
        nn = [cKDTree(c.atoms.positions).query(c.atoms.positions[:2000], k=2)[0][:, 1].min() for c in (cell0, cell1)]
        min_distance = 0.7 * float(min(nn))
    min_distance = number("min_distance", min_distance, 0.0, unit="[Angstrom]")

    def inside(p):
        return np.all((p[:, :2] >= 0) & (p[:, :2] < size), axis=1)

    keep0 = inside(pos0) & ((pos0[:, :2] - point) @ normal < 0)
    keep1 = inside(pos1) & ((pos1[:, :2] - point) @ normal >= 0)
    pos0, pos1 = pos0[keep0], pos1[keep1]
    sym0 = np.asarray(cell0.atoms.get_chemical_symbols())[keep0]
    sym1 = np.asarray(cell1.atoms.get_chemical_symbols())[keep1]
    removed = 0
    if len(pos0) and len(pos1) and min_distance > 0:
        close = np.isfinite(cKDTree(pos0).query(pos1, distance_upper_bound=min_distance)[0])
        removed = int(close.sum())
        pos1, sym1 = pos1[~close], sym1[~close]
    if not len(pos0) or not len(pos1):
        raise ValueError(f"plane_offset {offset} leaves a grain without atoms in a {size} A field")
    symbols = np.concatenate([sym0, sym1])
    atoms = labelled_atoms(symbols, np.vstack([pos0, pos1]), symbols,
                           np.r_[np.zeros(len(pos0), int), np.ones(len(pos1), int)])
    grains = []
    for g, (src, uvw, cell, ang, per, n) in enumerate(zip((src0, src1), (uvw0, uvw1), (cell0, cell1), angles,
                                                          (p0, p1), (len(pos0), len(pos1)))):
        grains.append({"grain": g, "source": src, "formula": cell.formula, "zone_axis": list(uvw),
                       "angle": float(np.rad2deg(ang)), "period_along_plane": per, "atoms": int(n)})
    params = {"size": size, "thickness": thickness, "crystal": crystal, "crystal2": crystal2,
              "zone_axis": uvw0, "zone_axis2": uvw1, "tilt": tilt, "rotation": rotation,
              "plane_angle": float(np.rad2deg(phi)), "plane_normal_angle": float(np.rad2deg(normal_angle)),
              "plane_offset": offset, "translation": translation,
              "plane_point": point.tolist(), "plane_normal": normal.tolist(), "mismatch": mismatch,
              "coherent": bool(coherent), "coherency_strain": strain, "min_distance": min_distance,
              "removed": removed, "grains": grains}
    return finish_scene(atoms, size, thickness, "interface", params)
