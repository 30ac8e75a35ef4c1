"""Tests of the prototype table, decorations, load_structure, zone_axes and the CLI."""

import math
import warnings
from functools import lru_cache

import numpy as np
import pytest
import spglib
from ase import Atoms
from ase.data import atomic_numbers, covalent_radii
from ase.neighborlist import neighbor_list

from synthstem.structures.orient import orient
from synthstem.structures.prototypes import (
    all_decorations,
    crystal_system,
    decorations,
    draw_decoration,
    draw_structure,
    prototype,
    prototype_info,
    prototypes,
)
from synthstem.structures.readers import load_structure
from synthstem.structures.zone_axes import point_group_rotations, zone_axes

SYSTEM_PARAMS = {"cubic": 1, "tetragonal": 2, "trigonal": 2, "hexagonal": 2, "orthorhombic": 3, "monoclinic": 4,
                 "triclinic": 6}


def _spacegroup(atoms, symprec=1e-3):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # spglib's error-handling notice
        ds = spglib.get_symmetry_dataset((atoms.cell.array, atoms.get_scaled_positions(), atoms.numbers), symprec=symprec)
    return ds.number


@lru_cache(maxsize=None)
def _built(name, deco):
    return prototype(name, deco)


def test_table_size_and_crystal_systems():
    names = prototypes()
    assert len(names) >= 60
    systems = [crystal_system(prototype_info(n)["spacegroup"]) for n in names]
    assert set(systems) == set(SYSTEM_PARAMS)
    assert systems.count("monoclinic") >= 2 and systems.count("triclinic") >= 1
    for required in ("fcc", "bcc", "hcp", "diamond", "A7", "beta-Sn", "graphite", "rocksalt", "cesium-chloride",
                     "zincblende", "wurtzite", "NiAs", "fluorite", "antifluorite", "perovskite", "rutile", "anatase",
                     "corundum", "ilmenite", "spinel", "inverse-spinel", "pyrite", "CdI2", "2H-MoS2", "hBN", "L1_2",
                     "L1_0", "heusler", "half-heusler", "chalcopyrite", "alpha-quartz", "olivine",
                     "ruddlesden-popper-n1"):
        assert required in names
    assert len(all_decorations()) >= 300


@pytest.mark.parametrize("name", prototypes())
def test_table_entry_consistent(name):
    info = prototype_info(name)
    roles = info["roles"]
    assert {site[1] for site in info["sites"]} == set(roles)
    assert info["default"] in info["decorations"]
    assert decorations(name)[0] == info["default"]
    for deco in info["decorations"].values():
        assert set(deco["elements"]) == set(roles)
        assert len(deco["cell"]) == SYSTEM_PARAMS[info["system"]]
        assert set(deco.get("xyz", {})) <= {site[0] for site in info["sites"]}


@pytest.mark.parametrize("name", prototypes())
def test_every_decoration_builds_with_its_space_group_and_no_overlap(name):
    info = prototype_info(name)
    multiplicities = [int("".join(c for c in site[2] if c.isdigit())) for site in info["sites"]]
    for deco in decorations(name):
        atoms = _built(name, deco)
        assert _spacegroup(atoms) == info["spacegroup"], (name, deco)
        # each Wyckoff site generates as many atoms as its multiplicity (conventional cell)
        counts = np.bincount(atoms.get_array("spacegroup_kinds"), minlength=len(multiplicities))
        assert list(counts) == multiplicities, (name, deco)
        assert len(neighbor_list("i", atoms, 0.5)) == 0, f"atoms closer than 0.5 A in {name}/{deco}"
        symbols = {info["decorations"][deco]["elements"][site[1]] for site in info["sites"]}
        assert set(atoms.get_chemical_symbols()) == symbols


@pytest.mark.parametrize("name,deco,density", [("fcc", "Cu", 8.96), ("diamond", "Si", 2.329), ("perovskite", "SrTiO3", 5.12),
                                               ("corundum", "Al2O3", 3.99), ("rutile", "TiO2", 4.25),
                                               ("wurtzite", "GaN", 6.15), ("alpha-quartz", "SiO2", 2.65),
                                               ("olivine", "Mg2SiO4", 3.22), ("spinel", "MgAl2O4", 3.58),
                                               ("hcp", "Mg", 1.738), ("calcite", "CaCO3", 2.71)])
def test_textbook_densities(name, deco, density):
    atoms = prototype(name, deco)
    grams_per_cm3 = atoms.get_masses().sum() * 1.66053906660 / atoms.get_volume()
    assert grams_per_cm3 == pytest.approx(density, rel=0.02)


@pytest.mark.parametrize("name,deco,a,b,bond", [("diamond", "Si", "Si", "Si", 2.352), ("perovskite", "SrTiO3", "Ti", "O", 1.9525),
                                                ("alpha-quartz", "SiO2", "Si", "O", 1.61), ("calcite", "CaCO3", "C", "O", 1.283),
                                                ("rocksalt", "NaCl", "Na", "Cl", 2.82), ("zincblende", "GaAs", "Ga", "As", 2.448),
                                                ("2H-MoS2", "MoS2", "Mo", "S", 2.41), ("hBN", "BN", "B", "N", 1.446)])
def test_textbook_bond_lengths(name, deco, a, b, bond):
    atoms = prototype(name, deco)
    i, j, d = neighbor_list("ijd", atoms, 3.5)
    symbols = np.array(atoms.get_chemical_symbols())
    pair = (symbols[i] == a) & (symbols[j] == b)
    assert d[pair].min() == pytest.approx(bond, abs=0.02)


def test_decoration_by_name_mapping_and_path():
    a = prototype("perovskite", "BaTiO3")
    assert a.get_chemical_formula() == "BaO3Ti" and a.cell.cellpar()[0] == pytest.approx(4.006)
    b = prototype("perovskite", {"A": "Ba", "B": "Ti", "X": "O"})
    np.testing.assert_allclose(b.cell.array, a.cell.array)
    c = prototype("perovskite", {"A": "Ba"})  # other roles keep the default (Ti, O) -> the listed BaTiO3
    assert c.info["decoration"] == "BaTiO3"
    d = prototype("perovskite/BaTiO3")
    np.testing.assert_allclose(d.positions, a.positions)
    assert d.info == {"prototype": "perovskite", "decoration": "BaTiO3", "spacegroup": 221}


def test_custom_decoration_scales_lattice_by_covalent_radii():
    atoms = prototype("perovskite", {"A": "K", "B": "Ta", "X": "F"})
    r = {s: covalent_radii[atomic_numbers[s]] for s in ("Sr", "Ti", "O", "K", "Ta", "F")}
    expected = 3.905 * (r["K"] + r["Ta"] + 3 * r["F"]) / (r["Sr"] + r["Ti"] + 3 * r["O"])
    assert atoms.cell.cellpar()[0] == pytest.approx(expected)
    assert atoms.info["decoration"] == "custom:KTaF"
    rutile = prototype("rutile", {"M": "Pb", "X": "F"})
    ratio = rutile.cell.cellpar()[2] / rutile.cell.cellpar()[0]
    assert ratio == pytest.approx(2.9587 / 4.5937)  # c/a of the default kept


def test_overrides():
    assert prototype("fcc", a=4.0).cell.cellpar()[0] == pytest.approx(4.0)
    hexa = prototype("hcp", "Mg", c=5.5).cell.cellpar()
    assert hexa[2] == pytest.approx(5.5) and hexa[0] == pytest.approx(3.2094)
    with pytest.raises(ValueError, match="'c' is not free for cubic"):
        prototype("fcc", c=4.0)
    with pytest.raises(ValueError, match="positive"):
        prototype("fcc", a=-1.0)


def test_errors_unknown_names_and_elements():
    with pytest.raises(ValueError, match="did you mean 'perovskite'"):
        prototype("perovskit")
    with pytest.raises(ValueError, match="unknown decoration 'BaTiO4'.*BaTiO3"):
        prototype("perovskite", "BaTiO4")
    with pytest.raises(ValueError, match="'Xx' is not a chemical element"):
        prototype("perovskite", {"A": "Xx"})
    with pytest.raises(ValueError, match="no site role 'Q'"):
        prototype("perovskite", {"Q": "Ba"})
    with pytest.raises(ValueError, match="elements must be"):
        prototype("perovskite", ["Ba"])


def test_random_decorations_reproducible_and_diverse():
    d1 = [draw_decoration(n, np.random.default_rng(5)) for n in prototypes()]
    d2 = [draw_decoration(n, np.random.default_rng(5)) for n in prototypes()]
    assert d1 == d2
    rng = np.random.default_rng(11)
    seen = set()
    for _ in range(4):
        for name in prototypes():
            el = draw_decoration(name, rng)
            assert len(set(el.values())) == len(el)  # distinct roles get distinct elements
            seen.add((name, tuple(sorted(el.items()))))
    assert len(seen) > 200
    upper = sum(math.prod(len(v) for v in prototype_info(n)["roles"].values()) for n in prototypes())
    assert upper > 2000
    with pytest.raises(ValueError, match="named_fraction"):
        draw_decoration("perovskite", 3, named_fraction=1.5)
    pairs = [draw_structure(np.random.default_rng(s)) for s in range(60)]
    assert pairs == [draw_structure(np.random.default_rng(s)) for s in range(60)]
    assert len({name for name, _ in pairs}) > 25
    name, elements = draw_structure(7, names=["rutile", "spinel"])
    assert name in ("rutile", "spinel") and prototype(name, elements).info["prototype"] == name
    with pytest.raises(ValueError, match="unknown prototype"):
        draw_structure(7, names=["rutil"])
    named = draw_decoration("perovskite", 3, named_fraction=1.0)
    assert named in [prototype_info("perovskite")["decorations"][d]["elements"] for d in decorations("perovskite")]


@pytest.mark.parametrize("name", ["perovskite", "spinel", "olivine", "chalcopyrite", "ilmenite", "heusler", "wurtzite",
                                  "ruddlesden-popper-n1", "corundum", "baddeleyite"])
def test_random_decorations_keep_space_group(name):
    rng = np.random.default_rng(2024)
    for _ in range(3):
        atoms = prototype(name, draw_decoration(name, rng))
        assert _spacegroup(atoms) == prototype_info(name)["spacegroup"]
        assert len(neighbor_list("i", atoms, 0.5)) == 0


@pytest.mark.parametrize("name", prototypes())
def test_every_prototype_orients(name):
    atoms = _built(name, decorations(name)[0])
    for uvw in (zone_axes(atoms, max_index=1)[-1], (1, 1, 0)):
        cell = orient(atoms, uvw, size=15.0)
        pos = cell.atoms.positions
        assert np.all(pos >= 0) and np.all(pos < 15.0)
        d = np.asarray(uvw, float) @ atoms.cell.array
        np.testing.assert_allclose((cell.rotation @ d)[:2], 0, atol=1e-6 * np.linalg.norm(d))
        expected = len(atoms) / atoms.get_volume() * 15.0**3
        assert 0.4 * expected < len(pos) < 1.8 * expected  # plane granularity at 15 A, see test_structures.py


# ---------------------------------------------------------------- load_structure

GOOD_CIF = """data_SrTiO3
_publ_section_title 'Test perovskite'
_journal_name_full 'Journal of Tests'
_journal_year 1999
_journal_volume 12
_journal_page_first 345
_database_code_ICSD 12345
_cell_length_a 3.905
_cell_length_b 3.905
_cell_length_c 3.905
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P m -3 m'
_symmetry_Int_Tables_number 221
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Sr1 Sr 0 0 0
Ti1 Ti 0.5 0.5 0.5
O1 O 0 0.5 0.5
"""


def test_load_good_cif(tmp_path):
    path = tmp_path / "srtio3.cif"
    path.write_text(GOOD_CIF)
    atoms, source_id, citation = load_structure(path)
    assert len(atoms) == 5 and _spacegroup(atoms) == 221
    assert source_id == str(path)
    assert "Journal of Tests" in citation and "(1999)" in citation and "ICSD 12345" in citation
    cell = orient(atoms, (0, 0, 1), size=12.0)
    assert cell.formula == "Sr Ti O3"


@pytest.mark.parametrize("text,cause", [(GOOD_CIF[:400], "truncated"), ("this is not a cif\n", "malformed CIF"),
                                        (GOOD_CIF.replace("Ti1 Ti", "Xx1 Xx"), "unknown element symbol 'Xx'"),
                                        ("", "empty")])
def test_load_broken_cif(tmp_path, text, cause):
    path = tmp_path / "broken.cif"
    path.write_text(text)
    with pytest.raises(ValueError, match="broken.cif") as err:
        load_structure(path)
    assert cause in str(err.value)


def test_load_other_sources(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.cif"):
        load_structure(tmp_path / "missing.cif")
    with pytest.raises(ValueError, match="directory"):
        load_structure(tmp_path)
    with pytest.raises(ValueError, match="did you mean 'rutile'"):
        load_structure("rutil")
    atoms, source_id, citation = load_structure("rutile/SnO2")
    assert source_id == "prototype:rutile/SnO2" and citation is None and atoms.get_chemical_formula() == "O4Sn2"
    assert load_structure("spinel")[1] == "prototype:spinel/MgAl2O4"
    given = prototype("fcc")
    copied, source_id, _ = load_structure(given)
    assert copied is not given and source_id == "Cu4"
    with pytest.raises(ValueError, match="not a 3D periodic"):
        load_structure(Atoms("Cu2", positions=[[0, 0, 0], [1.5, 1.5, 0]]))
    with pytest.raises(ValueError, match="source must be"):
        load_structure(42)
    # anything ase.io.read accepts: a POSCAR written by ase
    from ase.io import write

    poscar = tmp_path / "POSCAR"
    write(poscar, prototype("rocksalt"), format="vasp")
    atoms, _, citation = load_structure(poscar)
    assert _spacegroup(atoms) == 225 and citation is None


# ---------------------------------------------------------------- zone axes

def test_zone_axes_cubic_textbook():
    expected = [(1, 0, 0), (1, 1, 0), (1, 1, 1), (2, 1, 0), (2, 1, 1), (2, 2, 1)]
    for name in ("fcc", "perovskite", "rocksalt"):
        assert zone_axes(prototype(name)) == expected
    # F-43m has no inversion: [111] and [11-1] are distinct (polar) directions
    polar = zone_axes(prototype("zincblende"), include_inverse=False)
    assert (1, 1, 1) in polar and (1, 1, -1) in polar
    assert zone_axes(prototype("zincblende")) == expected


def test_zone_axes_triclinic_counts_pairs():
    # P-1: only identity and inversion -> every primitive direction pairs with its negative
    axes = zone_axes(prototype("triclinic-AB"))
    primitive = [t for t in np.ndindex(5, 5, 5) if any(np.array(t) - 2) and math.gcd(*[abs(x - 2) for x in t]) == 1]
    assert len(axes) == len(primitive) // 2 == 49


@pytest.mark.parametrize("name", ["hcp", "rutile", "olivine", "A7", "baddeleyite", "chalcopyrite"])
def test_zone_axes_partition(name):
    atoms = prototype(name)
    axes = zone_axes(atoms)
    rotations = np.concatenate([point_group_rotations(atoms), -point_group_rotations(atoms)])
    orbits = [{tuple(w @ np.array(t)) for w in rotations} for t in axes]
    for k, t in enumerate(axes):
        assert math.gcd(*[abs(x) for x in t]) == 1 and max(abs(x) for x in t) <= 2
        assert all(t not in orbits[m] for m in range(len(axes)) if m != k)  # no two equivalent
    for t in np.ndindex(5, 5, 5):
        t = tuple(int(x) - 2 for x in t)
        if any(t) and math.gcd(*[abs(x) for x in t]) == 1:
            assert sum(t in o for o in orbits) == 1  # every direction covered exactly once
    assert axes == zone_axes(atoms)  # deterministic
    with pytest.raises(ValueError, match="max_index"):
        zone_axes(atoms, max_index=0)


# ---------------------------------------------------------------- CLI

def test_cli_list(capsys):
    from synthstem.cli import main

    assert main(["structure", "list"]) == 0
    out = capsys.readouterr().out
    assert "perovskite" in out and "P m -3 m" in out and "(221)" in out and "triclinic" in out
    assert f"{len(prototypes())} prototypes" in out


def test_cli_preview(tmp_path, capsys):
    import imageio.v3 as iio

    from synthstem.cli import main

    cif = tmp_path / "s.cif"
    cif.write_text(GOOD_CIF)
    out = tmp_path / "sub" / "sheet.png"
    rc = main(["structure", "preview", "perovskite", str(cif), "--uvw", "0,0,1", "--uvw", "1,1,0",
               "--size", "12", "--pixels", "64", "--out", str(out)])
    assert rc == 0
    image = iio.imread(out)
    assert image.shape == (2 * 64 + 4, 2 * 64 + 4, 3)
    # Sr columns are drawn in the Jmol colour of Sr
    from ase.data.colors import jmol_colors

    sr = (jmol_colors[38] * 255).astype(int)
    assert np.any(np.all(np.abs(image[:64, :64].astype(int) - sr) <= 1, axis=-1))
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".tmp")]
    assert main(["structure", "preview", "perovskit", "--out", str(out)]) == 2
    assert "did you mean" in capsys.readouterr().err
    assert main(["structure", "preview", "fcc", "--uvw", "0,0", "--out", str(out)]) == 2
    assert main(["structure", "preview", "hcp", "--zone-axes", "3", "--size", "10", "--pixels", "32",
                 "--out", str(out)]) == 0
    assert iio.imread(out).shape == (32, 3 * 32 + 2 * 4, 3)
