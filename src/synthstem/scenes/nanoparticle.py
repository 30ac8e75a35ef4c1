"""Metal nanoparticles (ase.cluster shapes) on an amorphous support film, or in vacuum.

Shapes (``SHAPES``), each built by ``ase.cluster`` and chosen by one integer *shell
parameter* n (n = 1, 2, ...):

- ``cuboctahedron``: ``Octahedron(el, 2n + 1, cutoff=n)``; 13, 55, 147, 309 ... atoms.
- ``truncated_octahedron`` (regular, Wulff-like): ``Octahedron(el, 3n + 1, cutoff=n)``;
  38, 201, 586, 1289 ... atoms.
- ``decahedron`` (Ino, Marks re-entrance ``marks``): ``Decahedron(el, n + 1, n + 1, marks)``;
  13, 55, 147 ... atoms for ``marks = 0``; the five-fold axis is the particle's z.
- ``icosahedron``: ``Icosahedron(el, n + 1)``; 13, 55, 147, 309 ... atoms; the
  particle's x, y and z are two-fold axes.
- ``wulff``: ``wulff_construction`` from the relative surface energies ``wulff_100``,
  ``wulff_110``, ``wulff_111`` of an fcc (or bcc) crystal, atom count chosen for the
  diameter (``rounding='closest'``).

Size: the *diameter* of a particle is that of the sphere of equal volume,
``d = (6 N v / pi)^(1/3)`` with ``v`` the volume per atom of the bulk crystal
(``a^3/4`` fcc, ``a^3/2`` bcc) [Angstrom]. The shell parameter (or Wulff atom count)
closest to the requested diameter is taken; the achieved diameter, the atom count and
the largest atom-atom distance (``extent``) are recorded per particle.

Orientation: ``zone_axis`` [u, v, w] in the particle's own frame (cube axes for the
octahedral and Wulff shapes; see above for the decahedron and icosahedron) is turned
onto the beam (+z) with the in-plane rule of :func:`synthstem.structures.orient.beam_rotation`,
then rotated about the beam by ``in_plane`` (degrees, or ``'random'``);
``'fivefold'`` puts a five-fold axis on the beam (decahedron, icosahedron), and
``'random'`` draws a uniformly random 3D rotation. The 3x3 rotation
(scene = R @ particle frame) is recorded.

Placement: the particles' projected discs do not overlap (``min_separation`` between
their rims) and lie inside the field (``margin`` from its edges). The beam enters at
z = 0. The support is an amorphous film of :mod:`synthstem.scenes.film` (a smooth random
thickness map of mean ``support_thickness`` and relative RMS ``support_amplitude``,
mid-plane ``z_film``, periodic laterally); every particle rests ``gap`` above the film's
entrance surface at its highest point under the particle's projected disc.

Labels: particle atoms have site class = their element and instance = particle id (0,
1, ...); support atoms are unlabelled ('' and -1).
"""

from __future__ import annotations

import numpy as np
from ase.cluster import Decahedron, Icosahedron, Octahedron, wulff_construction
from ase.data import atomic_numbers, reference_states
from scipy.spatial import ConvexHull
from scipy.spatial.distance import pdist
from scipy.spatial.transform import Rotation

from ..random import as_rng
from ..structures.orient import beam_rotation
from ..structures.prototypes import check_element
from ._helpers import finish_scene, labelled_atoms, number, rotation_z
from .film import film_atoms, support_material, thickness_map

__all__ = ["SHAPES", "build_nanoparticle", "particle", "equal_volume_diameter"]

SHAPES = ("cuboctahedron", "truncated_octahedron", "decahedron", "icosahedron", "wulff")
_ATOM_VOLUME = {"fcc": 0.25, "bcc": 0.5}  # volume per atom / a^3
_MAX_SHELLS = 40


def equal_volume_diameter(n_atoms, lattice_constant, structure="fcc"):
    """Diameter of the sphere holding ``n_atoms`` at the bulk density [Angstrom]."""
    return float((6.0 * n_atoms * _ATOM_VOLUME[structure] * lattice_constant ** 3 / np.pi) ** (1.0 / 3.0))


def _lattice(element, lattice_constant, shape):
    check_element(element)
    if lattice_constant is not None:
        return number("lattice_constant", lattice_constant, 0.0, lo_open=True, unit="[Angstrom]"), "fcc"
    ref = reference_states[atomic_numbers[element]] or {}
    sym = ref.get("symmetry")
    if sym == "fcc" or (sym == "bcc" and shape == "wulff"):
        return float(ref["a"]), sym
    raise ValueError(f"element {element!r} is {sym or 'not a cubic metal'} in ase's reference states; "
                     f"shape {shape!r} needs an fcc crystal: give lattice_constant to build it as fcc")


def _build_shape(shape, element, a, structure, n, marks, energies, target_atoms=None):
    if shape == "cuboctahedron":
        return Octahedron(element, 2 * n + 1, cutoff=n, latticeconstant=a)
    if shape == "truncated_octahedron":
        return Octahedron(element, 3 * n + 1, cutoff=n, latticeconstant=a)
    if shape == "decahedron":
        return Decahedron(element, n + 1, n + 1, marks, latticeconstant=a)
    if shape == "icosahedron":
        return Icosahedron(element, n + 1, latticeconstant=a)
    surfaces = [(1, 0, 0), (1, 1, 0), (1, 1, 1)]
    return wulff_construction(element, surfaces, list(energies), int(target_atoms), structure,
                              rounding="closest", latticeconstant=a)


def particle(shape, element, diameter, lattice_constant=None, marks=0, energies=(1.0, 1.1, 0.9)):
    """One particle of ``shape`` whose equal-volume diameter is closest to ``diameter``.

    Parameters
    ----------
    shape : str
        One of ``SHAPES``.
    element : str
        Chemical symbol.
    diameter : float
        Requested equal-volume diameter [Angstrom].
    lattice_constant : float, optional
        Cubic lattice constant [Angstrom]; default ase's reference state of ``element``.
    marks : int
        Decahedron only: Marks re-entrance depth (0 = Ino decahedron).
    energies : (3,) float
        Wulff only: relative surface energies of (100), (110), (111).

    Returns
    -------
    (ase.Atoms, dict)
        Atoms centred on their centroid (particle frame) and a record: shape, shell
        parameter, atoms, diameter [Angstrom] (achieved), extent [Angstrom].
    """
    if shape not in SHAPES:
        raise ValueError(f"unknown nanoparticle shape {shape!r}; choose one of {', '.join(SHAPES)} or 'random'")
    a, structure = _lattice(element, lattice_constant, shape)
    target = number("diameter", diameter, 0.0, lo_open=True, unit="[Angstrom]")
    if shape == "wulff":
        n_target = max(13, int(round(np.pi * target ** 3 / (6.0 * _ATOM_VOLUME[structure] * a ** 3))))
        atoms = _build_shape(shape, element, a, structure, 0, marks, energies, n_target)
        shell = None
    else:
        best = None
        for n in range(1, _MAX_SHELLS + 1):
            cand = _build_shape(shape, element, a, structure, n, marks, energies)
            err = abs(equal_volume_diameter(len(cand), a, structure) - target)
            if best is not None and err >= best[0]:
                break
            best = (err, n, cand)
        _, shell, atoms = best
    atoms = atoms.copy()
    atoms.positions -= atoms.positions.mean(axis=0)
    pts = atoms.positions
    if len(pts) > 4:
        pts = pts[ConvexHull(pts).vertices]
    extent = float(pdist(pts).max()) if len(pts) > 1 else 0.0
    return atoms, {"shape": shape, "shell": shell, "marks": int(marks) if shape == "decahedron" else None,
                   "atoms": len(atoms), "diameter": equal_volume_diameter(len(atoms), a, structure),
                   "extent": extent, "lattice_constant": a, "structure": structure}


def _rotation(zone_axis, in_plane, shape, rng):
    """Rotation (scene = R @ particle frame) and its JSON record."""
    if isinstance(zone_axis, str) and zone_axis == "random":
        return Rotation.random(random_state=rng).as_matrix(), "random"
    if isinstance(zone_axis, str) and zone_axis == "fivefold":
        if shape == "decahedron":
            uvw = (0.0, 0.0, 1.0)
        elif shape == "icosahedron":
            uvw = (0.0, 1.0, (1.0 + 5 ** 0.5) / 2.0)
        else:
            raise ValueError(f"zone_axis 'fivefold' needs a decahedron or icosahedron, got shape {shape!r}")
    else:
        try:
            uvw = tuple(float(x) for x in zone_axis)
        except TypeError:
            uvw = ()
        if len(uvw) != 3 or not np.all(np.isfinite(uvw)) or not any(uvw):
            raise ValueError(f"zone_axis must be [u, v, w] (not all 0), 'fivefold' or 'random', got {zone_axis!r}")
    beam = beam_rotation(np.eye(3), uvw)
    if isinstance(in_plane, str) and in_plane == "random":
        phi = float(rng.uniform(0.0, 2.0 * np.pi))
    else:
        phi = np.deg2rad(number("in_plane", in_plane, unit="[degrees] or 'random'"))
    return rotation_z(phi) @ beam, zone_axis if isinstance(zone_axis, str) else list(uvw)


def _place(radii, size, margin, min_separation, rng, tries=2000):
    """Lateral centres of discs of ``radii`` inside the field, not overlapping (largest
    first, each uniformly among the places left: up to ``tries`` draws)."""
    order = np.argsort(-np.asarray(radii), kind="stable")
    centres = [None] * len(radii)
    placed = []
    for i in order:
        r = radii[i]
        lo, hi = margin + r, size - margin - r
        if hi < lo:
            raise ValueError(f"particle {i} (projected radius {r:.1f} A) does not fit a {size} A field "
                             f"with a {margin} A margin; enlarge size or lower diameter")
        for _ in range(tries):
            c = rng.uniform(lo, hi, size=2)
            if all(np.hypot(*(c - centres[j])) >= r + radii[j] + min_separation for j in placed):
                centres[i] = c
                placed.append(i)
                break
        else:
            raise ValueError(f"could not place {len(radii)} non-overlapping particles in a {size} A field "
                             f"after {tries} tries for particle {i}; lower particles or diameter")
    return np.array(centres).reshape(-1, 2)


def build_nanoparticle(rng=None, *, size=100.0, element="Pt", lattice_constant=None, shape="cuboctahedron",
                       diameter=30.0, diameter_spread=0.0, particles=1, zone_axis=(1, 1, 0), in_plane="random",
                       marks=0, wulff_100=1.0, wulff_110=1.1, wulff_111=0.9, support="C",
                       support_thickness=30.0, support_density=None, support_amplitude=0.2,
                       support_correlation=30.0, gap=2.0, margin=2.0, min_separation=3.0):
    """Nanoparticles on an amorphous film (module docstring).

    Parameters
    ----------
    rng : numpy.random.Generator or int, optional
        Random stream (shapes, sizes, orientations, places, the film).
    size : float
        Field of view (lateral edge) [Angstrom].
    element : str
        Chemical symbol of the particles.
    lattice_constant : float, optional
        Cubic lattice constant [Angstrom]; default ase's reference state of ``element``.
    shape : str
        One of ``SHAPES``, or ``'random'`` (each particle draws one uniformly).
    diameter : float
        Requested equal-volume diameter [Angstrom] (10-80 for 1-8 nm).
    diameter_spread : float
        Each particle requests ``diameter * (1 + u)``, u uniform in [-spread, spread].
    particles : int
        Number of particles (>= 1).
    zone_axis : [u, v, w], 'fivefold' or 'random'
        Direction of the particle frame put along the beam.
    in_plane : float or 'random'
        Rotation about the beam after the zone axis [degrees].
    marks : int
        Marks re-entrance depth of decahedra (0 = Ino).
    wulff_100, wulff_110, wulff_111 : float
        Relative surface energies of the Wulff shape.
    support : str
        Film: a name of ``film.SUPPORTS`` ('C', 'CN', 'SiO2', 'Si3N4', 'Al2O3'), another
        formula (give ``support_density``), or 'none' (particles in vacuum).
    support_thickness : float
        Mean film thickness [Angstrom].
    support_density : float, optional
        Film density [g/cm^3]; default the support's.
    support_amplitude : float
        Relative RMS variation of the film thickness (0: flat).
    support_correlation : float
        Lateral correlation length of the thickness variation [Angstrom].
    gap : float
        Distance from a particle's lowest atom to the film surface [Angstrom].
    margin : float
        Vacuum at the field edges and above/below the specimen [Angstrom].
    min_separation : float
        Smallest distance between the rims of two particles' projected discs [Angstrom].

    Returns
    -------
    Scene
        ``params['particles']``: per particle shape, shell, atoms, diameter, extent [Angstrom],
        zone_axis, rotation (3x3), centre [Angstrom].
    """
    rng = as_rng(rng)
    size = number("size", size, 0.0, lo_open=True, unit="[Angstrom]")
    spread = number("diameter_spread", diameter_spread, 0.0, 0.9)
    n_particles = particles
    if isinstance(n_particles, bool) or not isinstance(n_particles, (int, np.integer)) or n_particles < 1:
        raise ValueError(f"particles must be an int >= 1, got {particles!r}")
    if shape != "random" and shape not in SHAPES:
        raise ValueError(f"unknown nanoparticle shape {shape!r}; choose one of {', '.join(SHAPES)} or 'random'")
    energies = [number(f"wulff_{s}", e, 0.0, lo_open=True) for s, e in
                (("100", wulff_100), ("110", wulff_110), ("111", wulff_111))]
    gap = number("gap", gap, 0.0, unit="[Angstrom]")
    margin = number("margin", margin, 0.0, unit="[Angstrom]")
    min_sep = number("min_separation", min_separation, 0.0, unit="[Angstrom]")
    film_t = 0.0
    if support != "none":
        film_t = number("support_thickness", support_thickness, 0.0, lo_open=True, unit="[Angstrom]")
        support_material(support, support_density)  # ValueError for an unknown support without density

    built, records = [], []
    for i in range(int(n_particles)):
        s = SHAPES[int(rng.integers(len(SHAPES)))] if shape == "random" else shape
        d = number("diameter", diameter, 0.0, lo_open=True) * (1.0 + float(rng.uniform(-spread, spread)))
        atoms, rec = particle(s, element, d, lattice_constant, marks, energies)
        rot, axis = _rotation(zone_axis, in_plane, s, rng)
        atoms.positions = atoms.positions @ rot.T
        rec.update(requested_diameter=d, zone_axis=axis, rotation=rot.tolist())
        built.append(atoms)
        records.append(rec)
    radii = [float(np.hypot(a.positions[:, 0], a.positions[:, 1]).max()) + 1.0 for a in built]
    centres = _place(radii, size, margin, min_sep, rng)
    height = max(float(np.ptp(a.positions[:, 2])) for a in built)
    # film surface under each particle: the film's largest thickness within its disc
    under, support_rec, tmax = [0.0] * len(built), None, 0.0
    if support != "none":
        tmap, spacing = thickness_map(size, film_t, rng, amplitude=number("support_amplitude", support_amplitude, 0.0),
                                      correlation_length=number("support_correlation", support_correlation, 0.0,
                                                                lo_open=True, unit="[Angstrom]"))
        tmax = float(tmap.max())
        grid = (np.arange(tmap.shape[0]) + 0.5) * spacing
        gx, gy = np.meshgrid(grid, grid)
        for i, (c, r) in enumerate(zip(centres, radii)):
            disc = (gx - c[0]) ** 2 + (gy - c[1]) ** 2 <= (r + spacing) ** 2
            under[i] = float(tmap[disc].max()) if disc.any() else 0.0
    z_film = margin + height + gap + tmax / 2  # the film's mid-plane
    parts = []
    for i, (atoms, rec, c) in enumerate(zip(built, records, centres)):
        pos = atoms.positions.copy()
        pos[:, :2] += c
        pos[:, 2] += z_film - under[i] / 2 - gap - pos[:, 2].max()
        rec["centre"] = [float(x) for x in pos.mean(axis=0)]
        parts.append(labelled_atoms(atoms.get_chemical_symbols(), pos, [element] * len(pos), [i] * len(pos)))
    scene_atoms = parts[0]
    for p in parts[1:]:
        scene_atoms += p
    z_end = z_film - gap
    if support != "none":
        symbols, pos = film_atoms(tmap, spacing, z_film, support=support, density=support_density, rng=rng)
        scene_atoms += labelled_atoms(symbols, pos, [""] * len(pos), [-1] * len(pos))
        fractions, rho = support_material(support, support_density)
        support_rec = {"composition": fractions, "density": rho, "z_mid": z_film, "thickness_max": tmax,
                       "thickness_mean": float(tmap.mean()), "atoms": int(len(pos))}
        z_end = z_film + tmax / 2
    params = {"size": size, "element": element, "lattice_constant": lattice_constant, "shape": shape,
              "diameter": float(diameter), "diameter_spread": spread, "particles": records,
              "in_plane": in_plane, "zone_axis": zone_axis if isinstance(zone_axis, str) else list(zone_axis),
              "marks": int(marks), "wulff_energies": energies, "support": support, "support_thickness": film_t,
              "support_density": support_density, "support_amplitude": support_amplitude,
              "support_correlation": support_correlation, "support_film": support_rec, "gap": gap,
              "margin": margin, "min_separation": min_sep}
    return finish_scene(scene_atoms, size, z_end + margin, "nanoparticle", params)
