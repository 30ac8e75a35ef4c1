"""Frozen phonons from per-atom displacement tensors (CIF Debye-Waller factors)."""

import numpy as np
from ase import Atoms

from synthstem.physics.simulate import FAST, simulate
from synthstem.structures.thermal import ADP_KEY

A = 3.905


def srtio3(nz=4):
    base = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                             (0.5, 0, 0.5), (0, 0.5, 0.5)],
                 cell=[A, A, A], pbc=True)
    atoms = base.repeat((2, 2, nz))
    atoms.positions[:, 2] += A / 4  # atomic planes mid-slice (slices of A / 2)
    return atoms


def _with_adp(atoms, u):
    atoms = atoms.copy()
    atoms.set_array(ADP_KEY, np.repeat(np.asarray(u, float)[None], len(atoms), axis=0))
    return atoms


KW = dict(FAST, pixels=16, scan_pixels=8, method="prism", interpolation=2, phonons=2, seed=3,
          workers=1, slice_thickness=A / 2)


def test_isotropic_tensors_equal_the_rms_model_draw_for_draw():
    atoms = srtio3()
    rms = simulate(atoms, phonon_rms=0.09, **KW)
    adp = simulate(_with_adp(atoms, 0.09**2 * np.eye(3)), phonon_rms=0.5, **KW)
    np.testing.assert_allclose(adp.image, rms.image, rtol=0, atol=1e-6 * rms.image.max())
    assert adp.params["phonon_adp_atoms"] == len(atoms) and rms.params["phonon_adp_atoms"] == 0


def test_tensor_direction_matters():
    """Along-beam vibration (U_zz, 0.11 A rms) leaves a [001] image unchanged (measured
    0.0: no atom leaves its slice, and the infinite projection ignores z within a slice);
    the same amplitude in the plane (U_xx = U_yy) lowers the Sr column to 0.28 of the
    static lattice's (measured), as a Debye-Waller factor does."""
    atoms = srtio3()
    static = simulate(atoms, **dict(KW, phonons=0)).image
    along = simulate(_with_adp(atoms, np.diag([0.0, 0.0, 0.012])), **KW).image
    across = simulate(_with_adp(atoms, np.diag([0.012, 0.012, 0.0])), **KW).image
    change_along = np.abs(along - static).max() / static.max()
    change_across = np.abs(across - static).max() / static.max()
    assert change_across > 5 * change_along
    assert across[0, 0] < 0.8 * static[0, 0]  # the Sr column at the origin
