"""Atomic displacement parameters (Debye-Waller) from CIFs, and frozen-phonon displacements.

Storage: ``atoms.arrays['synthstem_adp']``, (n, 3, 3) Cartesian displacement tensors
``U = <u u^T>`` [Angstrom^2] in the frame of ``atoms.positions``; ``orient`` rotates
them into the beam frame (``U' = M U M^T``). An all-zero tensor means "no value" (atoms
added later, e.g. interstitials or amorphous layers, get zeros) and falls back to the
default RMS.

CIF conventions (Grosse-Kunstleve & Adams, J. Appl. Cryst. 35, 477 (2002)):

- ``_atom_site_aniso_U_ij`` are given on the crystal axes scaled by the reciprocal lengths:
  ``U_cart = A N U_cif N A^T`` with ``A`` the matrix whose columns are a, b, c and
  ``N = diag(|a*|, |b*|, |c*|)``; ``_atom_site_aniso_B_ij = 8 pi^2 U_ij``.
- ``_atom_site_U_iso_or_equiv`` gives ``U_cart = U_iso I``; ``_atom_site_B_iso_or_equiv``
  ``B = 8 pi^2 U_iso``. An anisotropic entry wins over the isotropic one of its label.
- Symmetry-equivalent atoms: the tensor of the asymmetric-unit site is carried by the
  space-group operation ``(R, t)`` that maps the site onto the atom:
  ``U_j = W U W^T`` with ``W = A R A^-1`` (Cartesian rotation).

``thermal_displacements(atoms, rng, default_rms)`` draws one frozen-phonon configuration:
``u_i ~ N(0, U_i)`` (anisotropic) where a tensor is present, else ``N(0, rms^2 I)``. It
draws ``z = rng.normal(size=(n, 3))`` once and returns ``z * rms`` or ``z @ L_i^T``
(``L_i L_i^T = U_i``), so without ADPs it equals today's ``rng.normal(size) * sigma``
draw for draw.
"""

import math

import numpy as np

__all__ = ["ADP_KEY", "cif_adps", "cif_to_cartesian", "thermal_displacements", "rms_per_atom"]

ADP_KEY = "synthstem_adp"
_EIGHT_PI2 = 8.0 * math.pi**2
_ANISO = ("11", "22", "33", "12", "13", "23")


def cif_to_cartesian(u_cif, cell):
    """Cartesian U [Angstrom^2] from CIF ``U_ij`` (3x3 symmetric) and the cell rows a, b, c."""
    a = np.asarray(cell, dtype=float).T  # columns a, b, c
    n = np.diag(np.linalg.norm(np.linalg.inv(a), axis=1))  # |a*|, |b*|, |c*| (rows of A^-1)
    return a @ n @ np.asarray(u_cif, dtype=float) @ n @ a.T


def _column(block, tag):
    value = block.get(tag)
    if value is None:
        value = block.get(tag.lower())
    if value is None:
        return None
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _number(value):
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).split("(")[0])
    except ValueError:
        return None  # '?' or '.'


def _site_tensors(block, cell):
    """{label: Cartesian U} for every site with an anisotropic or isotropic value."""
    out = {}
    labels = _column(block, "_atom_site_label") or []
    for kind, scale in (("U", 1.0), ("B", 1.0 / _EIGHT_PI2)):
        values = _column(block, f"_atom_site_{kind}_iso_or_equiv")
        if values is None:
            continue
        for label, v in zip(labels, values):
            v = _number(v)
            if v is not None and str(label) not in out:
                out[str(label)] = np.eye(3) * v * scale
    aniso_labels = _column(block, "_atom_site_aniso_label") or []
    for kind, scale in (("U", 1.0), ("B", 1.0 / _EIGHT_PI2)):
        cols = [_column(block, f"_atom_site_aniso_{kind}_{ij}") for ij in _ANISO]
        if any(c is None for c in cols):
            continue
        for k, label in enumerate(aniso_labels):
            v = [_number(c[k]) for c in cols]
            if any(x is None for x in v):
                continue
            u11, u22, u33, u12, u13, u23 = (x * scale for x in v)
            u = np.array([[u11, u12, u13], [u12, u22, u23], [u13, u23, u33]])
            out[str(label)] = cif_to_cartesian(u, cell)
    return out


def cif_adps(path, atoms):
    """Per-atom Cartesian U (n, 3, 3) [Angstrom^2] for ``atoms`` read from the CIF ``path``.

    Returns None when the CIF gives no displacement parameter or ``atoms`` lacks ase's
    ``spacegroup_kinds`` (index of each atom's asymmetric-unit site). Sites without a
    value get zeros.
    """
    from ase.io.cif import parse_cif

    kinds = atoms.arrays.get("spacegroup_kinds")
    sg = atoms.info.get("spacegroup")
    if kinds is None or sg is None:
        return None
    block = next(iter(parse_cif(str(path))))
    cell = np.asarray(atoms.cell.array, dtype=float)
    tensors = _site_tensors(block, cell)
    if not tensors:
        return None
    labels = [str(v) for v in (_column(block, "_atom_site_label") or [])]
    fract = [_column(block, f"_atom_site_fract_{x}") for x in "xyz"]
    if not labels or any(f is None for f in fract):
        return None
    sites = np.array([[_number(f[k]) for f in fract] for k in range(len(labels))])
    rotations, translations = sg.get_op()  # all operations, centring included
    a = cell.T
    a_inv = np.linalg.inv(a)
    frac = atoms.get_scaled_positions(wrap=False)
    out = np.zeros((len(atoms), 3, 3))
    for j, k in enumerate(np.asarray(kinds, dtype=int)):
        if k >= len(labels) or labels[k] not in tensors:
            continue
        images = sites[k] @ np.transpose(rotations, (0, 2, 1)) + translations  # (nops, 3)
        diff = images - frac[j]
        diff -= np.round(diff)
        op = int(np.argmin(np.abs(diff).max(axis=1)))
        if np.abs(diff[op]).max() > 1e-3:
            raise ValueError(f"cannot match atom {j} to site {labels[k]!r} by a symmetry operation")
        w = a @ rotations[op] @ a_inv
        out[j] = w @ tensors[labels[k]] @ w.T
    return out


def rms_per_atom(symbols, default_rms, name="default_rms"):
    """Per-atom RMS per axis [Angstrom] from a number or a {symbol: rms} dict (``name``: the
    parameter named in errors)."""
    if isinstance(default_rms, dict):
        missing = sorted(set(symbols) - set(default_rms))
        if missing:
            raise ValueError(f"{name} has no value for elements {missing}")
        values = {k: float(v) for k, v in default_rms.items()}
    else:
        if isinstance(default_rms, bool) or not isinstance(default_rms, (int, float, np.integer, np.floating)):
            raise ValueError(f"{name} must be a number or a dict, got {default_rms!r}")
        values = {s: float(default_rms) for s in set(symbols)}
    for k, v in values.items():
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be finite and >= 0, got {k}: {v}")
    return np.array([values[s] for s in symbols], dtype=np.float64)


def thermal_displacements(atoms, rng, default_rms):
    """One frozen-phonon configuration: displacements (n, 3) [Angstrom] (module docstring).

    Parameters
    ----------
    atoms : ase.Atoms
        With optional ``arrays['synthstem_adp']`` (n, 3, 3) [Angstrom^2].
    rng : numpy.random.Generator
        Random stream (one ``normal(size=(n, 3))`` draw per call).
    default_rms : float or dict
        RMS displacement per axis [Angstrom] of atoms without a tensor: one value or
        ``{symbol: value}``.

    Returns
    -------
    numpy.ndarray
        (n, 3) displacements [Angstrom].
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    symbols = atoms.get_chemical_symbols()
    sigma = rms_per_atom(symbols, default_rms)
    z = rng.normal(size=(len(atoms), 3))
    u = z * sigma[:, None]
    adp = atoms.arrays.get(ADP_KEY)
    if adp is None:
        return u
    adp = np.asarray(adp, dtype=float).reshape(len(atoms), 3, 3)
    has = np.abs(adp).reshape(len(atoms), -1).max(axis=1) > 0
    if has.any():
        sym = 0.5 * (adp[has] + np.transpose(adp[has], (0, 2, 1)))
        w, v = np.linalg.eigh(sym)
        if np.any(w < -1e-8):
            raise ValueError(f"displacement tensors must be positive semi-definite, smallest eigenvalue {w.min():.3g}")
        root = v * np.sqrt(np.clip(w, 0.0, None))[:, None, :]  # L = V sqrt(w): L L^T = U
        u[has] = np.einsum("nij,nj->ni", root, z[has])
    return u
