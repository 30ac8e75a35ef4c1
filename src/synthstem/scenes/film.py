"""Amorphous support films: a smooth random thickness map, vacuum edges, holes, texture.

A film is described by a *thickness map* ``t(x, y)`` [Angstrom] on a square grid
(:func:`thickness_map`) and filled with atoms by :func:`film_atoms`:

- **Thickness map**: ``t = thickness * (1 + amplitude * f)``, clipped at 0, where ``f`` is a
  periodic Gaussian random field of unit standard deviation: white noise filtered by a
  Gaussian of standard deviation ``correlation_length`` [Angstrom]
  (:func:`smooth_field`). ``amplitude`` is the relative RMS thickness variation.
- **Vacuum edge**: the part of the field beyond a wavy line (random direction; the line's
  offset wanders by ``edge_roughness`` [Angstrom] RMS with the same correlation length)
  is empty; ``vacuum_fraction`` of the field is vacuum.
- **Holes**: ``holes`` discs of radius uniform in ``hole_radius`` [Angstrom], empty.
- **Texture** (mid-scale density fluctuations): candidates are thinned by a 3D random
  field ``1 + texture_amplitude * g`` (``g``: unit-variance field of correlation length
  ``texture_length`` [Angstrom], typically 5-30), so the local number density varies by
  ``texture_amplitude`` RMS while the total number of atoms stays exact.

The film's mid-plane is at ``z_mid``: the film occupies ``|z - z_mid| < t(x, y) / 2``.
It holds ``N = round(rho_n * sum(t) * spacing^2)`` atoms, ``rho_n`` the number density of
the composition at ``density`` [g/cm^3] (:func:`synthstem.structures.amorphous.number_density`).

Positions: random sequential addition (RSA) done in vectorised batches. Each batch of
candidates is drawn uniformly in the film volume (and thinned by the texture), those
within ``min_distance`` of an accepted atom are dropped (k-d tree, minimum image
laterally), and the conflicts inside the batch are resolved by a random priority:
a candidate is accepted when no conflicting candidate of higher priority was accepted
(Luby's parallel rounds). This is exactly RSA with the candidates taken in priority
order, so the result is a hard-core liquid-like arrangement without long-range order.
Batches continue until ``N`` atoms are placed; the excess of the last batch is dropped at
random.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.spatial import cKDTree

from ..structures.amorphous import default_min_distance, number_density, parse_composition

__all__ = ["SUPPORTS", "support_material", "smooth_field", "thickness_map", "film_atoms",
           "hard_core_fill"]

#: named amorphous supports: name -> (composition {symbol: number fraction}, density [g/cm^3])
SUPPORTS = {
    "C": ({"C": 1.0}, 2.0),
    "CN": ({"C": 0.95, "N": 0.05}, 2.0),  # N-doped carbon, 5 at.% N
    "SiO2": ({"Si": 1 / 3, "O": 2 / 3}, 2.2),
    "Si3N4": ({"Si": 3 / 7, "N": 4 / 7}, 3.1),
    "Al2O3": ({"Al": 0.4, "O": 0.6}, 3.0),
}
#: largest number of RSA batches before giving up
MAX_BATCHES = 60


def support_material(support, density=None):
    """``(fractions, density)`` of a named support ('C', 'CN', ...) or any formula / dict.

    ``density`` [g/cm^3] overrides the table's; required for a material not in ``SUPPORTS``.
    """
    if isinstance(support, str) and support in SUPPORTS:
        fractions, rho = SUPPORTS[support]
        fractions = dict(fractions)
    else:
        fractions, rho = parse_composition(support), None
    rho = density if density is not None else rho
    if rho is None:
        raise ValueError(f"support {support!r} is not one of {', '.join(SUPPORTS)}: give its density [g/cm^3]")
    if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not 0 < rho <= 25:
        raise ValueError(f"density must be in (0, 25] g/cm^3, got {rho!r}")
    return fractions, float(rho)


def smooth_field(shape, spacing, length, rng):
    """Periodic Gaussian random field of zero mean and unit standard deviation.

    White noise on a grid of ``shape`` and ``spacing`` [Angstrom] filtered by a Gaussian
    of standard deviation ``length`` [Angstrom] (wrap-around: periodic), then normalised.
    """
    noise = rng.standard_normal(shape)
    f = gaussian_filter(noise, sigma=max(float(length) / float(spacing), 1e-6), mode="wrap")
    std = f.std()
    return (f - f.mean()) / std if std > 0 else np.zeros(shape)


def _positive(name, v, zero=False):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v) \
            or (v < 0 if zero else v <= 0):
        raise ValueError(f"{name} must be a {'non-negative' if zero else 'positive'} number, got {v!r}")
    return float(v)


def thickness_map(size, thickness, rng, amplitude=0.2, correlation_length=30.0, vacuum_fraction=0.0,
                  edge_roughness=5.0, holes=0, hole_radius=(5.0, 15.0), spacing=1.0):
    """Film thickness [Angstrom] on an ``(n, n)`` grid covering ``[0, size)^2``.

    Parameters
    ----------
    size : float
        Field edge [Angstrom].
    thickness : float
        Mean thickness of the film where present [Angstrom].
    rng : numpy.random.Generator
    amplitude : float
        Relative RMS thickness variation (0: flat).
    correlation_length : float
        Standard deviation of the Gaussian filter of the thickness field [Angstrom].
    vacuum_fraction : float
        Fraction of the field that is vacuum, beyond a wavy edge, in [0, 1).
    edge_roughness : float
        RMS waviness of that edge [Angstrom].
    holes : int
        Number of holes.
    hole_radius : (float, float)
        Range of hole radii [Angstrom] (uniform).
    spacing : float
        Grid spacing [Angstrom]; ``n = ceil(size / spacing)``.

    Returns
    -------
    tmap : numpy.ndarray
        (n, n) thickness, indexed ``[iy, ix]``; 0 in vacuum and holes.
    spacing : float
        The grid spacing actually used, ``size / n`` [Angstrom].
    """
    size, thickness = _positive("size", size), _positive("thickness", thickness)
    amplitude = _positive("amplitude", amplitude, zero=True)
    if not 0 <= vacuum_fraction < 1:
        raise ValueError(f"vacuum_fraction must be in [0, 1), got {vacuum_fraction!r}")
    if isinstance(holes, bool) or not isinstance(holes, (int, np.integer)) or holes < 0:
        raise ValueError(f"holes must be a non-negative integer, got {holes!r}")
    r_lo, r_hi = (float(r) for r in hole_radius)
    if not 0 < r_lo <= r_hi:
        raise ValueError(f"hole_radius must be [lo, hi] with 0 < lo <= hi [Angstrom], got {hole_radius!r}")
    n = int(np.ceil(size / spacing))
    spacing = size / n
    tmap = thickness * (1.0 + amplitude * smooth_field((n, n), spacing, correlation_length, rng))
    tmap = np.clip(tmap, 0.0, None)
    c = (np.arange(n) + 0.5) * spacing
    xx, yy = np.meshgrid(c, c)
    if vacuum_fraction > 0:
        angle = rng.uniform(0, 2 * np.pi)
        s = (xx - size / 2) * np.cos(angle) + (yy - size / 2) * np.sin(angle)
        s = s + edge_roughness * smooth_field((n, n), spacing, correlation_length, rng)
        tmap[s > np.quantile(s, 1.0 - vacuum_fraction)] = 0.0
    for _ in range(int(holes)):
        cx, cy = rng.uniform(0, size, 2)
        r = rng.uniform(r_lo, r_hi)
        tmap[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = 0.0
    return tmap, spacing


def _luby(n, pairs, priority):
    """Boolean mask of a maximal independent set of the conflict graph ``pairs`` (n nodes):
    the greedy set in decreasing ``priority`` (= sequential addition in that order)."""
    keep = np.zeros(n, dtype=bool)
    alive = np.ones(n, dtype=bool)
    while True:
        live = pairs[alive[pairs[:, 0]] & alive[pairs[:, 1]]]
        best = np.full(n, -1.0)
        if len(live):
            np.maximum.at(best, live[:, 0], priority[live[:, 1]])
            np.maximum.at(best, live[:, 1], priority[live[:, 0]])
        win = alive & (priority > best)
        keep |= win
        alive &= ~win
        if len(live):
            hit = np.concatenate([live[win[live[:, 0]], 1], live[win[live[:, 1]], 0]])
            alive[hit] = False
        if not alive.any():
            return keep


def _with_ghosts(p, period, d):
    """``p`` plus its lateral periodic images within ``d`` of the edges, and the index of
    the original of every row."""
    idx = np.arange(len(p))
    out, owner = [p], [idx]
    for sx in (-1, 0, 1):
        for sy in (-1, 0, 1):
            if sx == sy == 0:
                continue
            m = np.ones(len(p), dtype=bool)
            for s, axis in ((sx, 0), (sy, 1)):
                if s == 1:
                    m &= p[:, axis] < d
                elif s == -1:
                    m &= p[:, axis] >= period - d
            if m.any():
                out.append(p[m] + [sx * period, sy * period, 0.0])
                owner.append(idx[m])
    return np.vstack(out), np.concatenate(owner)


def hard_core_fill(n, sample, min_distance, period, rng):
    """``n`` positions at least ``min_distance`` apart (vectorised RSA, module docstring).

    Parameters
    ----------
    n : int
        Number of positions.
    sample : callable
        ``sample(m, rng) -> (k, 3)`` array of candidate positions in ``[0, period)^2``
        laterally (k may be < m: thinned).
    min_distance : float
        [Angstrom].
    period : float
        Lateral period [Angstrom] (minimum image in x and y; z is not periodic).
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        (n, 3) positions.
    """
    d = float(min_distance)
    trees, kept, total, rate = [], [], 0, 0.9
    for _ in range(MAX_BATCHES):
        missing = n - total
        if missing <= 0:
            break
        cand = sample(int(1.15 * missing / rate) + 256, rng)
        drawn = len(cand)
        for tree in trees:  # candidates near an atom of an earlier batch
            cand = cand[np.isinf(tree.query(cand, distance_upper_bound=d)[0])]
        if len(cand):
            ghosts, owner = _with_ghosts(cand, period, d)
            pairs = cKDTree(ghosts).query_pairs(d, output_type="ndarray")
            pairs = owner[pairs]
            pairs = pairs[pairs[:, 0] != pairs[:, 1]]
            cand = cand[_luby(len(cand), pairs, rng.random(len(cand)))]
        rate = max(len(cand) / max(drawn, 1), 0.01)
        if len(cand):
            kept.append(cand)
            total += len(cand)
            trees.append(cKDTree(_with_ghosts(cand, period, d)[0]))
    if total < n:
        raise ValueError(f"placed {total} of {n} film atoms after {MAX_BATCHES} batches "
                         f"(min_distance {min_distance} Angstrom): lower the density or min_distance")
    accepted = np.vstack(kept)
    if total > n:
        accepted = accepted[np.sort(rng.choice(total, n, replace=False))]
    return accepted


def film_atoms(tmap, spacing, z_mid, support="C", density=None, min_distance=None,
               texture_amplitude=0.0, texture_length=10.0, rng=None):
    """Fill a thickness map with amorphous atoms (module docstring).

    Parameters
    ----------
    tmap : numpy.ndarray
        (n, n) thickness [Angstrom] from :func:`thickness_map`.
    spacing : float
        Its grid spacing [Angstrom]; the field is ``[0, n * spacing)^2``.
    z_mid : float
        Mid-plane height [Angstrom]; needs ``z_mid >= max(t) / 2 + min_distance``.
    support : str or dict
        A name of ``SUPPORTS`` or a composition ('SiO2', ``{'C': 9, 'N': 1}``).
    density : float, optional
        [g/cm^3]; default the support's.
    min_distance : float, optional
        Smallest interatomic distance [Angstrom]; default
        :func:`synthstem.structures.amorphous.default_min_distance`.
    texture_amplitude : float
        Relative RMS of the local number density (0: uniform), below 1.
    texture_length : float
        Correlation length of the texture [Angstrom].
    rng : numpy.random.Generator

    Returns
    -------
    symbols : numpy.ndarray
        (N,) str element symbols.
    positions : numpy.ndarray
        (N, 3) [Angstrom].
    """
    fractions, rho = support_material(support, density)
    d = default_min_distance(fractions) if min_distance is None else _positive("min_distance", min_distance)
    texture_amplitude = _positive("texture_amplitude", texture_amplitude, zero=True)
    if texture_amplitude >= 1:
        raise ValueError(f"texture_amplitude must be below 1, got {texture_amplitude}")
    rho_n = number_density(fractions, rho)
    if rho_n * np.pi * d**3 / 6 > 0.3:
        raise ValueError(f"support {support!r} at {rho} g/cm^3 with min_distance {d:.3g} A is too dense "
                         "for random packing (fraction > 0.3)")
    n_grid = tmap.shape[0]
    size = n_grid * spacing
    tmax = float(tmap.max())
    n_atoms = int(round(rho_n * float(tmap.sum()) * spacing**2))
    if n_atoms == 0:
        return np.zeros(0, dtype="<U2"), np.zeros((0, 3))
    z_lo = z_mid - tmax / 2
    if z_lo < d:
        raise ValueError(f"z_mid {z_mid} too low for a film of thickness up to {tmax:.4g} A")
    texture = None
    if texture_amplitude > 0:
        step = max(min(texture_length / 2, 4.0), 1.0)
        nt = (max(int(np.ceil(size / step)), 1),) * 2 + (max(int(np.ceil(tmax / step)), 1),)
        g = 1.0 + texture_amplitude * smooth_field(nt, step, texture_length, rng)
        texture = np.clip(g, 0.0, None) / max(g.max(), 1e-12)
        tsteps = np.array([size / nt[0], size / nt[1], max(tmax, 1e-9) / nt[2]])

    def sample(m, rng):
        m = int(m / max(float(tmap.mean()) / tmax, 1e-3)) + 1
        p = rng.random((m, 3)) * [size, size, tmax] + [0.0, 0.0, z_lo]
        ix = np.minimum((p[:, 0] / spacing).astype(int), n_grid - 1)
        iy = np.minimum((p[:, 1] / spacing).astype(int), n_grid - 1)
        ok = np.abs(p[:, 2] - z_mid) < tmap[iy, ix] / 2
        if texture is not None:
            k = np.minimum(((p - [0.0, 0.0, z_lo]) / tsteps).astype(int), np.array(texture.shape) - 1)
            ok &= rng.random(m) < texture[k[:, 0], k[:, 1], k[:, 2]]
        return p[ok]

    pos = hard_core_fill(n_atoms, sample, d, size, rng)
    symbols = list(fractions)
    raw = np.array([fractions[s] * n_atoms for s in symbols])
    counts = np.floor(raw).astype(int)
    counts[np.argsort(-(raw - counts), kind="stable")[: n_atoms - counts.sum()]] += 1
    species = rng.permutation(np.repeat(np.array(symbols), counts))
    return species, pos
