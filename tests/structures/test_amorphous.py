"""Amorphous surface layers: count = density x volume, minimum distance, RSA slow twin, labels."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from synthstem.structures import amorphous
from synthstem.structures.amorphous import add_amorphous_layer, parse_composition, rsa_positions
from synthstem.structures.columns import AMORPHOUS_KEY, merge_columns
from synthstem.structures.orient import orient
from synthstem.structures.prototypes import prototype


@pytest.fixture(scope="module")
def cell():
    return orient(prototype("perovskite"), (0, 0, 1), size=20.0, thickness=12.0)


def _slow_rsa(n, box, z_range, d_min, rng, fixed):
    """Plain sequential loop over the same candidate stream (chunks of CHUNK)."""
    lx, ly = box
    z0, z1 = z_range
    accepted = np.asarray(fixed, dtype=float).reshape(-1, 3)
    n_fixed = len(accepted)
    while len(accepted) - n_fixed < n:
        cand = rng.random((amorphous.CHUNK, 3)) * [lx, ly, z1 - z0] + [0.0, 0.0, z0]
        for p in cand:
            v = accepted - p
            v[:, 0] -= lx * np.round(v[:, 0] / lx)
            v[:, 1] -= ly * np.round(v[:, 1] / ly)
            if np.all(np.sqrt((v**2).sum(axis=1)) >= d_min):
                accepted = np.vstack([accepted, p])
                if len(accepted) - n_fixed == n:
                    break
    accepted = accepted[n_fixed:]
    return np.array(accepted)


@pytest.mark.parametrize("chunk", [4096, 32])
def test_rsa_matches_plain_sequential_loop(monkeypatch, chunk):
    monkeypatch.setattr(amorphous, "CHUNK", chunk)  # 32: many chunks, the tree of earlier ones
    monkeypatch.setattr(amorphous, "MAX_CHUNKS", 10**5)
    fixed = np.array([[1.0, 1.0, 5.2], [7.9, 3.0, 5.5], [4.0, 4.0, 9.0]])
    fast = rsa_positions(150, (8.0, 9.0), (0.0, 5.0), 1.2, np.random.default_rng(4), fixed=fixed)
    slow = _slow_rsa(150, (8.0, 9.0), (0.0, 5.0), 1.2, np.random.default_rng(4), fixed)
    np.testing.assert_array_equal(fast, slow)


def _min_image_pairs(pos, box):
    boxsize = np.array([box[0], box[1], 1e4])
    q = pos.copy()
    q[:, 2] += 100.0
    return cKDTree(np.mod(q, boxsize), boxsize=boxsize).query(np.mod(q, boxsize), k=2)[0][:, 1]


@pytest.mark.parametrize("composition,density,number_density", [
    ("C", 2.0, 2.0 / (12.011 * 1.66053907)),
    ("SiO2", 2.2, 3 * 2.2 / ((28.085 + 2 * 15.999) * 1.66053907)),
    ({"Al": 2, "O": 3}, 3.0, 5 * 3.0 / ((2 * 26.982 + 3 * 15.999) * 1.66053907)),
])
def test_count_density_and_min_distance(cell, composition, density, number_density):
    new, rec = add_amorphous_layer(cell, composition, 8.0, density, side="both", rng=7)
    flags = new.atoms.arrays[AMORPHOUS_KEY]
    L = cell.size
    layer = new.atoms.positions[flags]
    # count: density x volume (textbook molar masses), per layer, within 2 % (rounding only)
    for z0, z1 in ([0.0, 8.0], [20.0, 28.0]):
        inside = (layer[:, 2] >= z0) & (layer[:, 2] < z1)
        assert inside.sum() == pytest.approx(number_density * L * L * 8.0, rel=0.02)
    assert flags.sum() == 2 * rec["layers"][0]["n_atoms"]
    # composition: exact counts of the formula
    symbols = np.array(new.atoms.get_chemical_symbols())[flags]
    fractions = parse_composition(composition)
    for s, f in fractions.items():
        assert abs(np.count_nonzero(symbols == s) - f * flags.sum()) <= 2
    # no pair closer than min_distance, laterally periodic, also to the crystal
    d_layer = _min_image_pairs(new.atoms.positions, (L, L))[flags]
    assert d_layer.min() >= rec["min_distance"]
    # geometry: crystal shifted by the entrance layer, cell deeper, crystal untouched otherwise
    assert new.thickness == pytest.approx(12.0 + 16.0) and rec["z_shift"] == 8.0
    np.testing.assert_allclose(new.atoms.positions[~flags], cell.atoms.positions + [0, 0, 8.0])
    assert np.all(layer[:, :2] >= 0) and np.all(layer[:, :2] < L)
    assert new.origin[2] == pytest.approx(cell.origin[2] + 8.0)


def test_sides_and_labels_exclude_layer(cell):
    entrance, _ = add_amorphous_layer(cell, "C", 5.0, 2.0, side="entrance", rng=1)
    exit_, _ = add_amorphous_layer(cell, "C", 5.0, 2.0, side="exit", rng=1)
    fl = entrance.atoms.arrays[AMORPHOUS_KEY]
    assert entrance.atoms.positions[fl, 2].max() < 5.0 and entrance.atoms.positions[~fl, 2].min() >= 5.0
    fl2 = exit_.atoms.arrays[AMORPHOUS_KEY]
    assert exit_.atoms.positions[fl2, 2].min() >= 12.0
    np.testing.assert_allclose(exit_.atoms.positions[~fl2], cell.atoms.positions)
    # columns: the same crystal columns (same atoms, same positions) with or without the layer
    ref = merge_columns(cell, 128)
    cols = merge_columns(exit_, 128)
    assert cols.label == ref.label
    assert all(np.array_equal(a, b) for a, b in zip(cols.atom_indices, ref.atom_indices))
    np.testing.assert_allclose(cols.xy, ref.xy)


def test_reproducible_and_errors(cell):
    a, _ = add_amorphous_layer(cell, "C", 4.0, 2.0, rng=3)
    b, _ = add_amorphous_layer(cell, "C", 4.0, 2.0, rng=3)
    np.testing.assert_array_equal(a.atoms.positions, b.atoms.positions)
    with pytest.raises(ValueError, match="composition"):
        add_amorphous_layer(cell, "Xq2", 4.0, 2.0)
    with pytest.raises(ValueError, match="thickness"):
        add_amorphous_layer(cell, "C", 0.0, 2.0)
    with pytest.raises(ValueError, match="density"):
        add_amorphous_layer(cell, "C", 4.0, -1.0)
    with pytest.raises(ValueError, match="side"):
        add_amorphous_layer(cell, "C", 4.0, 2.0, side="top")
    with pytest.raises(ValueError, match="packing fraction"):
        add_amorphous_layer(cell, "C", 4.0, 2.0, min_distance=2.5)
