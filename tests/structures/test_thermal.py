"""Displacement parameters from CIFs and frozen-phonon displacements drawn from them."""

import numpy as np
import pytest
from ase import Atoms

from synthstem.structures.orient import orient
from synthstem.structures.readers import load_structure
from synthstem.structures.thermal import ADP_KEY, cif_to_cartesian, thermal_displacements

RUTILE = """data_rutile
_symmetry_space_group_name_H-M 'P 42/m n m'
_symmetry_Int_Tables_number 136
_cell_length_a 4.5937
_cell_length_b 4.5937
_cell_length_c 2.9587
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_U_iso_or_equiv
Ti1 Ti 0 0 0 0.0064(2)
O1 O 0.3048 0.3048 0 0.0071(3)
loop_
_atom_site_aniso_label
_atom_site_aniso_U_11
_atom_site_aniso_U_22
_atom_site_aniso_U_33
_atom_site_aniso_U_12
_atom_site_aniso_U_13
_atom_site_aniso_U_23
Ti1 0.0066 0.0066 0.0043 -0.0002 0 0
O1 0.0069(2) 0.0069(2) 0.0049(3) -0.0025(2) 0 0
"""

WURTZITE = """data_ZnO
_symmetry_space_group_name_H-M 'P 63 m c'
_symmetry_Int_Tables_number 186
_cell_length_a 3.2498
_cell_length_b 3.2498
_cell_length_c 5.2066
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 120
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_B_iso_or_equiv
Zn1 Zn 0.3333333 0.6666667 0 0.55
O1 O 0.3333333 0.6666667 0.3819 0.60
loop_
_atom_site_aniso_label
_atom_site_aniso_U_11
_atom_site_aniso_U_22
_atom_site_aniso_U_33
_atom_site_aniso_U_12
_atom_site_aniso_U_13
_atom_site_aniso_U_23
Zn1 0.0070 0.0070 0.0064 0.0035 0 0
"""


def _read(tmp_path, text, name):
    path = tmp_path / name
    path.write_text(text)
    return load_structure(str(path))[0]


def test_rutile_aniso_u_and_symmetry(tmp_path):
    atoms = _read(tmp_path, RUTILE, "rutile.cif")
    adp = atoms.arrays[ADP_KEY]
    assert adp.shape == (6, 3, 3)
    frac = atoms.get_scaled_positions()
    # orthogonal cell: U_cart = U_cif for the asymmetric-unit atoms (identity operation)
    ti = np.flatnonzero(np.all(np.isclose(frac, 0.0), axis=1))[0]
    np.testing.assert_allclose(adp[ti], [[0.0066, -0.0002, 0], [-0.0002, 0.0066, 0], [0, 0, 0.0043]], atol=1e-12)
    for j in range(6):
        # symmetry-equivalent atoms: same principal values; O elongated perpendicular to Ti-O
        np.testing.assert_allclose(np.linalg.eigvalsh(adp[j]), np.linalg.eigvalsh(adp[0 if j < 2 else 2]), atol=1e-12)
        if atoms[j].symbol == "O":
            w, v = np.linalg.eigh(adp[j])
            bond = (frac[j] - np.round(frac[j] * 2) / 2)[:2]  # in-plane Ti-O direction (x, x) or (x, -x)
            bond = np.append(bond / np.linalg.norm(bond), 0)
            assert abs(v[:, 2] @ bond) < 1e-9  # largest axis (0.0094) perpendicular to the bond
            assert w[2] == pytest.approx(0.0069 + 0.0025)


def test_hexagonal_site_on_threefold_axis_is_isotropic_in_plane(tmp_path):
    atoms = _read(tmp_path, WURTZITE, "zno.cif")
    adp = atoms.arrays[ADP_KEY]
    for j, atom in enumerate(atoms):
        if atom.symbol == "Zn":
            # U11 = U22 = 2 U12 on a 3-fold axis: in-plane isotropic; c axis along z
            np.testing.assert_allclose(adp[j][:2, :2], np.eye(2) * adp[j][0, 0], atol=1e-12)
            assert adp[j][2, 2] == pytest.approx(0.0064)
            assert adp[j][0, 0] == pytest.approx(0.0070, rel=1e-9)
        else:  # B_iso -> U = B / (8 pi^2) I
            np.testing.assert_allclose(adp[j], np.eye(3) * 0.60 / (8 * np.pi**2), atol=1e-12)


def test_cif_to_cartesian_is_the_metric_transform():
    # a general triclinic cell: U_cif = identity-like diagonal gives u . (N^-1 A^-1 x) quadratic form
    from ase.geometry import cellpar_to_cell

    cell = cellpar_to_cell([4.0, 5.0, 6.0, 80.0, 100.0, 110.0])
    u_cif = np.array([[0.01, 0.002, -0.001], [0.002, 0.02, 0.003], [-0.001, 0.003, 0.015]])
    u = cif_to_cartesian(u_cif, cell)
    # definition: U_cart_ij = sum_kl A_ik N_k U_cif_kl N_l A_jl, written as a slow sum
    a = cell.T
    n = np.linalg.norm(np.linalg.inv(a), axis=1)
    slow = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            for k in range(3):
                for m in range(3):
                    slow[i, j] += a[i, k] * n[k] * u_cif[k, m] * n[m] * a[j, m]
    np.testing.assert_allclose(u, slow, atol=1e-15)
    # orthogonal cell: identity map
    np.testing.assert_allclose(cif_to_cartesian(u_cif, np.diag([3.0, 4.0, 5.0])), u_cif, atol=1e-15)


def test_orient_rotates_adps(tmp_path):
    atoms = _read(tmp_path, RUTILE, "rutile.cif")
    for uvw, boundary in (((1, 1, 0), "cut"), ((1, 0, 1), "cut"), ((0, 0, 1), "periodic")):
        cell = orient(atoms, uvw, size=12.0, thickness=6.0, boundary=boundary)
        adp = cell.atoms.arrays[ADP_KEY]
        assert adp.shape == (len(cell.atoms), 3, 3)
        m = cell.deformation @ cell.rotation
        expected = [m @ u @ m.T for u in atoms.arrays[ADP_KEY]]
        # every atom carries the tensor of a crystal atom, rotated (and strained) into the block
        for u in adp:
            assert any(np.allclose(u, e, atol=1e-12) for e in expected)
        if uvw != (0, 0, 1):
            assert not any(np.allclose(expected[2], u, atol=1e-6) for u in atoms.arrays[ADP_KEY])


def test_sample_covariance_matches_u():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    u1 = q @ np.diag([0.002, 0.008, 0.02]) @ q.T
    u2 = np.diag([0.01, 0.001, 0.004])
    n = 40000
    atoms = Atoms("Fe" * n + "O" * n + "C" * n, positions=np.zeros((3 * n, 3)), cell=[10, 10, 10])
    adp = np.zeros((3 * n, 3, 3))
    adp[:n] = u1
    adp[n:2 * n] = u2  # carbon atoms: no tensor -> default 0.1 A
    atoms.set_array(ADP_KEY, adp)
    d = thermal_displacements(atoms, np.random.default_rng(1), 0.1)
    for block, u in ((d[:n], u1), (d[n:2 * n], u2), (d[2 * n:], np.eye(3) * 0.01)):
        cov = block.T @ block / n
        se = np.sqrt((np.outer(np.diag(u), np.diag(u)) + u**2) / n)  # standard error of each element
        assert np.all(np.abs(cov - u) < 5 * se)
        assert np.abs(block.mean(axis=0)).max() < 5 * np.sqrt(np.diag(u).max() / n)


def test_without_adp_same_draws_as_plain_normal():
    atoms = Atoms("SrTiO3", positions=np.zeros((5, 3)), cell=[4, 4, 4])
    d = thermal_displacements(atoms, np.random.default_rng(5), {"Sr": 0.07, "Ti": 0.06, "O": 0.09})
    ref = np.random.default_rng(5).normal(size=(5, 3)) * np.array([0.07, 0.06, 0.09, 0.09, 0.09])[:, None]
    np.testing.assert_array_equal(d, ref)
    with pytest.raises(ValueError, match="default_rms"):
        thermal_displacements(atoms, np.random.default_rng(5), {"Sr": 0.07})
    with pytest.raises(ValueError, match="rng"):
        thermal_displacements(atoms, 5, 0.1)
    bad = atoms.copy()
    bad.set_array(ADP_KEY, np.tile(np.diag([0.01, -0.01, 0.01]), (5, 1, 1)))
    with pytest.raises(ValueError, match="semi-definite"):
        thermal_displacements(bad, np.random.default_rng(0), 0.1)
