"""In-plane lattice vectors for seamless periodic cells (``orient(..., boundary="periodic")``).

A cell periodic across its lateral edges needs two lattice vectors ``A1``, ``A2`` that
span a square ``L x L`` perpendicular to the beam. Such vectors exist exactly when the
plane normal to the zone axis is a lattice plane with a square (or squarable) supercell;
otherwise (most non-cubic zone axes) the crystal is homogeneously strained to make
them so. Search:

1. Enumerate lattice vectors ``t = n1 a + n2 b + n3 c`` of the crystal, including the
   centring translations of centred cells (``centring_translations``: pure translations
   found by spglib, e.g. (1/2, 1/2, 0) in fcc), in the beam frame (``rotation @ t``)
   whose in-plane length is in ``[SIZE_WINDOW[0] * size, SIZE_WINDOW[1] * size]`` and
   whose component along the beam is at most ``2.5 * max_strain`` of that length.
2. For each pair ``(A1, A2)`` with ``A2`` within ``3 * max_strain * |A1|`` of ``A1``
   turned by +90 degrees in-plane (a KD-tree query; right-handed), the edge is
   ``L = sqrt(|A1_xy x A2_xy|)`` (area kept) and the deformation ``F`` maps
   ``A1 -> (L, 0, 0)``, ``A2 -> (0, L, 0)`` and the beam axis onto itself
   (``F @ z = z``: the projection stays exactly along [uvw]). The strain of the pair is
   ``max |s_i - 1|`` over the singular values ``s_i`` of ``F`` (largest principal stretch).
3. Among pairs with strain <= ``max_strain``: the smallest strain (rounded to 0.1 %),
   then pairs whose ``A1`` lies along the in-plane +x of ``beam_rotation`` (the same
   in-plane orientation as the ``"cut"`` mode), then ``L`` nearest ``size``, then the
   smallest index sums.

No fitting pair raises ``ValueError`` naming the best strain found and the window.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["MAX_STRAIN", "SIZE_WINDOW", "PeriodicFrame", "periodic_frame", "centring_translations"]

#: default largest lateral strain (largest principal stretch - 1) of a periodic cell
MAX_STRAIN = 0.01
#: the periodic edge L is searched in [SIZE_WINDOW[0] * size, SIZE_WINDOW[1] * size]
SIZE_WINDOW = (0.8, 1.25)

_ALIGN = 1e-6  # [rad] A1 counts as along +x below this angle


@dataclass(frozen=True)
class PeriodicFrame:
    """Two lattice vectors tiling a square perpendicular to the beam.

    Attributes
    ----------
    indices : tuple of 2 tuple of 3 numbers
        Lattice indices (n1, n2, n3) of ``A1`` and ``A2`` on the given cell; fractions
        (e.g. 0.5) for the centring translations of centred cells.
    vectors : numpy.ndarray
        (2, 3) ``A1``, ``A2`` in the beam frame (``rotation @ t``) before strain [Angstrom].
    length : float
        Edge ``L`` of the square cell [Angstrom].
    deformation : numpy.ndarray
        (3, 3) ``F``: ``F @ A1 = (L, 0, 0)``, ``F @ A2 = (0, L, 0)``, ``F @ z = z``.
    strain : float
        ``max |s_i - 1|`` over the singular values of ``F`` (0 when exactly periodic).
    """

    indices: tuple
    vectors: np.ndarray
    length: float
    deformation: np.ndarray
    strain: float


def centring_translations(atoms, symprec=1e-3):
    """Fractional pure translations (k, 3) of ``atoms`` in [0, 1), the zero vector first.

    Non-zero for centred cells (I, F, C, R in hexagonal axes) and for supercells: the
    crystal is periodic under ``n + tau`` for every integer ``n`` and listed ``tau``.
    """
    import warnings

    import spglib

    cell = (atoms.cell.array, atoms.get_scaled_positions(wrap=True), atoms.numbers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sym = spglib.get_symmetry(cell, symprec=symprec)
    out = [np.zeros(3)]
    if sym is not None:
        for rot, tau in zip(sym["rotations"], sym["translations"]):
            if np.array_equal(rot, np.eye(3, dtype=rot.dtype)):
                snapped = np.round(tau * 12.0) / 12.0  # centrings are multiples of 1/2, 1/3, 1/4
                tau = np.mod(np.where(np.abs(snapped - tau) < 1e-4, snapped, tau), 1.0)
                if not any(np.allclose(tau, o, atol=1e-6) for o in out):
                    out.append(tau)
    return np.array(out)


def _candidates(cell, rotation, lo, hi, z_tol, translations):
    """Lattice vectors (indices, beam-frame vectors) near the plane, in-plane length in [lo, hi]."""
    inv = np.linalg.inv(cell)
    reach = hi * (1.0 + z_tol) + 1e-9
    bounds = np.ceil(reach * np.linalg.norm(inv, axis=0)).astype(int) + 1
    axes = [np.arange(-b, b + 1) for b in bounds]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3).astype(float)
    base = (grid @ cell) @ rotation.T
    out_idx, out_t = [], []
    for tau in np.asarray(translations, dtype=float).reshape(-1, 3):  # one shift at a time: less memory
        t = base + (tau @ cell) @ rotation.T
        plen = np.hypot(t[:, 0], t[:, 1])
        ok = (plen >= lo) & (plen <= hi) & (np.abs(t[:, 2]) <= z_tol * plen + 1e-9)
        out_idx.append(grid[ok] + tau)
        out_t.append(t[ok])
    return np.concatenate(out_idx), np.concatenate(out_t)


def _plain(n):
    """Indices as ints when whole, else floats (centred lattices: halves, thirds)."""
    return tuple(int(round(v)) if abs(v - round(v)) < 1e-9 else float(v) for v in n)


def _pair_strain(a1, a2):
    """(L, F, strain) for stacks of beam-frame vectors a1, a2 of shape (m, 3)."""
    area = a1[:, 0] * a2[:, 1] - a1[:, 1] * a2[:, 0]
    length = np.sqrt(area)
    s = np.zeros((len(a1), 3, 3))
    s[:, :, 0], s[:, :, 1], s[:, 2, 2] = a1, a2, 1.0
    target = np.zeros_like(s)
    target[:, 0, 0] = target[:, 1, 1] = length
    target[:, 2, 2] = 1.0
    f = target @ np.linalg.inv(s)
    sv = np.linalg.svd(f, compute_uv=False)
    return length, f, np.max(np.abs(sv - 1.0), axis=1)


def periodic_frame(cell, rotation, size, max_strain=MAX_STRAIN, translations=None):
    """Choose ``A1``, ``A2`` for a seamless ``L x L`` cell perpendicular to the beam.

    Parameters
    ----------
    cell : (3, 3) array_like
        Lattice vectors as rows [Angstrom].
    rotation : (3, 3) array_like
        Beam rotation (``beam_rotation(cell, uvw)``): ``rotation @ d`` is along +z.
    size : float
        Target lateral edge [Angstrom]; ``L`` is searched in ``SIZE_WINDOW * size``.
    max_strain : float
        Largest allowed strain (largest principal stretch - 1), e.g. 0.01 for 1 %.
    translations : (k, 3) array_like, optional
        Fractional centring translations (``centring_translations``); default none, so
        only integer combinations of the cell's vectors are used.

    Returns
    -------
    PeriodicFrame

    Raises
    ------
    ValueError
        When no pair of lattice vectors fits, naming the best strain found.
    """
    cell = np.asarray(cell, dtype=float)
    rotation = np.asarray(rotation, dtype=float)
    if not (isinstance(max_strain, (int, float, np.integer, np.floating)) and 0 <= max_strain < 0.2):
        raise ValueError(f"max_strain must be a number in [0, 0.2), got {max_strain!r}")
    lo, hi = SIZE_WINDOW[0] * size, SIZE_WINDOW[1] * size
    loose = max(float(max_strain), 1e-6)
    if translations is None:
        translations = np.zeros((1, 3))
    idx, t = _candidates(cell, rotation, lo, hi, 2.5 * loose, translations)
    where = f"lateral edge in [{lo:.4g}, {hi:.4g}] Angstrom"
    if len(t) < 2:
        raise ValueError(
            f"no periodic cell: fewer than two lattice vectors within {2.5 * loose:.3g} of the plane "
            f"normal to the beam with {where}; try another size or max_strain"
        )
    from scipy.spatial import cKDTree

    plen = np.hypot(t[:, 0], t[:, 1])
    turned = np.column_stack([-t[:, 1], t[:, 0]])  # each vector rotated by +90 degrees in-plane
    near = cKDTree(t[:, :2]).query_ball_point(turned, 3 * loose * plen)
    i = np.repeat(np.arange(len(t)), [len(n) for n in near])
    j = np.fromiter((k for n in near for k in n), dtype=int, count=len(i))
    if len(i) == 0:  # name the best strain of a wider search in the error
        near = cKDTree(t[:, :2]).query_ball_point(turned, 0.3 * plen)
        i = np.repeat(np.arange(len(t)), [len(n) for n in near])
        j = np.fromiter((k for n in near for k in n), dtype=int, count=len(i))
        if len(i) == 0:
            raise ValueError(
                f"no periodic cell within max_strain={max_strain:g}: no two lattice vectors near the plane "
                f"normal to the beam are within 30 % of an equal-length right angle with {where}"
            )
    length, f, strain = _pair_strain(t[i], t[j])
    fit = strain <= max_strain + 1e-12
    if not fit.any():
        best = int(np.argmin(strain))
        raise ValueError(
            f"no periodic cell within max_strain={max_strain:g}: the best pair of lattice vectors "
            f"{_plain(idx[i[best]])}, {_plain(idx[j[best]])} needs strain "
            f"{strain[best]:.4g} (L = {length[best]:.4g} Angstrom, {where})"
        )
    i, j, length, f, strain = i[fit], j[fit], length[fit], f[fit], strain[fit]
    sums = np.abs(idx[i]).sum(axis=1) + np.abs(idx[j]).sum(axis=1)
    aligned = np.abs(np.arctan2(t[i, 1], t[i, 0])) < _ALIGN
    # np.lexsort: last key is primary
    order = np.lexsort((sums, np.round(np.abs(length - size), 9), ~aligned, np.round(strain, 3)))
    k = int(order[0])
    return PeriodicFrame(
        indices=(_plain(idx[i[k]]), _plain(idx[j[k]])),
        vectors=np.array([t[i[k]], t[j[k]]]),
        length=float(length[k]),
        deformation=f[k],
        strain=float(strain[k]),
    )
