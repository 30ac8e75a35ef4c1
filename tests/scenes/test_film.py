"""Amorphous films: density, hard core, thickness map, vacuum and holes, and the vectorised
RSA against a plain sequential loop."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from synthstem.scenes.film import (SUPPORTS, _luby, film_atoms, hard_core_fill, smooth_field,
                                   support_material, thickness_map)
from synthstem.structures.amorphous import number_density


def _min_distance(pos, period):
    box = [period, period, pos[:, 2].max() + 10]
    d, _ = cKDTree(np.mod(pos, box), boxsize=box).query(np.mod(pos, box), k=2)
    return d[:, 1].min()


def test_luby_is_greedy_sequential_addition_in_priority_order():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = 60
        pairs = np.array([(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.06]).reshape(-1, 2)
        prio = rng.random(n)
        keep = np.zeros(n, bool)
        nb = {i: set() for i in range(n)}
        for i, j in pairs:
            nb[i].add(j)
            nb[j].add(i)
        for i in np.argsort(-prio):  # the slow twin: one candidate at a time
            if not any(keep[j] for j in nb[i]):
                keep[i] = True
        assert np.array_equal(_luby(n, pairs, prio), keep)


def test_flat_film_density_min_distance_and_slab():
    rng = np.random.default_rng(0)
    tmap, spacing = thickness_map(40.0, 30.0, rng, amplitude=0.0)
    symbols, pos = film_atoms(tmap, spacing, z_mid=25.0, support="C", rng=rng)
    rho = number_density({"C": 1.0}, 2.0)
    assert len(pos) == round(rho * 40 * 40 * 30)
    assert _min_distance(pos, 40.0) >= 1.29 - 1e-9
    assert np.all(np.abs(pos[:, 2] - 25.0) < 15.0)
    # density in an inner box (away from the surfaces) within 4 %
    inner = (np.abs(pos[:, 2] - 25.0) < 10.0)
    assert inner.sum() / (40 * 40 * 20) == pytest.approx(rho, rel=0.04)
    # no layering: counts per 2 A slab along z are flat within noise (no lattice)
    counts = np.histogram(pos[inner, 2], bins=10)[0]
    assert counts.std() / counts.mean() < 0.08


def test_composition_counts_are_exact():
    rng = np.random.default_rng(1)
    tmap, spacing = thickness_map(30.0, 20.0, rng, amplitude=0.0)
    symbols, pos = film_atoms(tmap, spacing, z_mid=20.0, support="SiO2", rng=rng)
    n = len(symbols)
    assert abs((symbols == "O").sum() - 2 * n / 3) <= 1
    fr, rho = support_material("SiO2")
    assert n == round(number_density(fr, rho) * 30 * 30 * 20)


def test_thickness_map_vacuum_holes_and_rough_film_are_honoured():
    rng = np.random.default_rng(2)
    tmap, spacing = thickness_map(60.0, 40.0, rng, amplitude=0.2, correlation_length=10.0,
                                  vacuum_fraction=0.25, holes=2, hole_radius=(6.0, 8.0))
    empty = tmap == 0
    assert 0.25 <= empty.mean() <= 0.25 + 2 * np.pi * 64 / 3600 + 0.02
    full = tmap[~empty]
    assert full.std() / full.mean() == pytest.approx(0.2, rel=0.35)
    symbols, pos = film_atoms(tmap, spacing, z_mid=40.0, support="C", texture_amplitude=0.2, rng=rng)
    ix = np.minimum((pos[:, 0] / spacing).astype(int), tmap.shape[0] - 1)
    iy = np.minimum((pos[:, 1] / spacing).astype(int), tmap.shape[0] - 1)
    assert np.all(np.abs(pos[:, 2] - 40.0) < tmap[iy, ix] / 2)  # inside the map: holes empty
    assert not empty[iy, ix].any()
    assert len(pos) == round(number_density({"C": 1.0}, 2.0) * tmap.sum() * spacing**2)
    assert _min_distance(pos, 60.0) >= 1.29 - 1e-9


def test_texture_modulates_the_local_density():
    rng = np.random.default_rng(4)
    tmap, spacing = thickness_map(60.0, 30.0, rng, amplitude=0.0)
    per_cell = []
    for amp in (0.0, 0.3):
        _, pos = film_atoms(tmap, spacing, z_mid=20.0, texture_amplitude=amp, texture_length=6.0,
                            rng=np.random.default_rng(5))
        h = np.histogramdd(pos, bins=(10, 10, 5), range=[(0, 60), (0, 60), (5, 35)])[0]
        per_cell.append(h.std() / h.mean())
    assert per_cell[1] > 1.5 * per_cell[0]


def test_smooth_field_is_normalised_and_periodic():
    f = smooth_field((64, 64), 1.0, 5.0, np.random.default_rng(0))
    assert f.mean() == pytest.approx(0, abs=1e-12) and f.std() == pytest.approx(1)
    # wrap-around: the edge rows are as correlated as any neighbouring rows
    assert np.corrcoef(f[0], f[-1])[0, 1] > 0.8


def test_hard_core_fill_raises_when_the_request_cannot_be_met():
    with pytest.raises(ValueError, match="placed"):
        hard_core_fill(1000, lambda m, rng: rng.random((m, 3)) * [5, 5, 5], 2.0, 5.0, np.random.default_rng(0))


@pytest.mark.parametrize("bad, match", [({"support": "Xx"}, "element"), ({"support": "Fe2O3"}, "density"),
                                        ({"support": "C", "density": -1}, "density")])
def test_bad_supports_are_named(bad, match):
    with pytest.raises(ValueError, match=match):
        support_material(bad["support"], bad.get("density"))


def test_named_supports_are_known():
    assert set(SUPPORTS) == {"C", "CN", "SiO2", "Si3N4", "Al2O3"}
