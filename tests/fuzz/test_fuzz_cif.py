"""Fuzzed CIF files through `synthstem structure preview` and `synthstem simulate`: each is
previewed or rejected with one line naming the file, no traceback, and no output written.

Mutations of valid CIFs (written by ase for rock salt, a perovskite and a hexagonal
cell): cell lengths and angles set to zero, negative, NaN, huge or degenerate (zero-volume)
values, element symbols replaced by unknown ones, coordinates set to junk, lines deleted or
duplicated; byte-edited text and garbage bytes.
"""

import contextlib
import io
import re
import tempfile
from pathlib import Path

import pytest
from ase.build import bulk
from ase.io import write
from hypothesis import given, settings
from hypothesis import strategies as st

from synthstem.cli import main
from synthstem.structures.prototypes import prototype


def _cif(atoms):
    buf = io.BytesIO()
    write(buf, atoms, format="cif")
    return buf.getvalue().decode()


VALID = [_cif(bulk("NaCl", "rocksalt", a=5.64, cubic=True)), _cif(prototype("perovskite/SrTiO3")),
         _cif(bulk("Mg", "hcp", a=3.21, c=5.21))]

CELL_KEYS = ["_cell_length_a", "_cell_length_b", "_cell_length_c",
             "_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma"]
# cell lengths below ~1 Angstrom are covered by the explicit tests below (a fuzzed 0.05 A
# cell would be slow to reject through ase's CIF reader loop, not by our check)
NUMBERS = st.one_of(
    st.sampled_from(["0", "-5.64", "nan", "inf", "1e30", "1e-30", "180", "360", "0.0", "?", ".", "abc", "1e400"]),
    st.floats(min_value=1.0, max_value=60.0).map(lambda x: f"{x:.4f}"),
    st.floats(min_value=-400, max_value=400).map(lambda x: f"{x:.3f}"),
)
SYMBOLS = st.sampled_from(["Xx", "Q", "Uuo", "na", "NA", "C1", "", "??", "Cl-", "D", "Og", "Ts"])


@st.composite
def mutated_cif(draw):
    lines = draw(st.sampled_from(VALID)).splitlines()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["cell", "cell", "element", "coordinate", "delete", "duplicate"]))
        if kind == "cell":
            key = draw(st.sampled_from(CELL_KEYS))
            lines = [f"{key} {draw(NUMBERS)}" if ln.startswith(key + " ") else ln for ln in lines]
        elif kind in ("element", "coordinate") and any(re.match(r"^\s+[A-Z][a-z]?\s+\w+\s+1\.0", ln) for ln in lines):
            rows = [i for i, ln in enumerate(lines) if re.match(r"^\s+[A-Z][a-z]?\s+\w+\s+1\.0", ln)]
            i = draw(st.sampled_from(rows))
            parts = lines[i].split()
            col = 0 if kind == "element" else draw(st.integers(min_value=3, max_value=5))
            parts[col] = draw(SYMBOLS) if kind == "element" else draw(NUMBERS)
            lines[i] = "  " + "  ".join(parts)
        elif kind == "delete" and lines:
            del lines[draw(st.integers(min_value=0, max_value=len(lines) - 1))]
        elif lines:
            i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines.insert(i, lines[i])
    return ("\n".join(lines) + "\n").encode()


@st.composite
def byte_edited(draw):
    data = bytearray(draw(st.sampled_from(VALID)).encode())
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        i = draw(st.integers(min_value=0, max_value=len(data) - 1))
        data[i:i + draw(st.integers(min_value=0, max_value=3))] = draw(st.binary(max_size=4))
    return bytes(data)


CIFS = st.one_of(mutated_cif(), mutated_cif(), byte_edited(), st.binary(max_size=200))


def _cli(argv):
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def _check(argv, path, produced):
    rc, out, err = _cli(argv)
    assert "Traceback" not in err and "internal error" not in err, err
    if rc == 0:
        assert produced.exists(), (out, err)
        return rc
    assert rc == 2, (rc, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"synthstem {argv[0]}: error: "), err
    assert str(path) in lines[0], f"the message does not name the file: {err!r}"
    assert not produced.exists()
    return rc


@given(data=CIFS)
def test_fuzzed_cif_preview_is_written_or_rejected_clearly(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.cif"
        path.write_bytes(data)
        png = Path(tmp) / "out" / "preview.png"
        _check(["structure", "preview", str(path), "--pixels", "16", "--size", "8", "--out", str(png)], path, png)


@settings(max_examples=max(5, settings.default.max_examples // 4))  # each example simulates
@given(data=CIFS)
def test_fuzzed_cif_simulate_is_written_or_rejected_clearly(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.cif"
        path.write_bytes(data)
        out = Path(tmp) / "out"
        argv = ["simulate", "--cif", str(path), "--method", "incoherent", "--pixels", "16", "--size", "6",
                "--phonons", "0", "--conditions", "raw", "--no-png", "--no-progress", "--out", str(out)]
        rc, _, err = _cli(argv)
        assert "Traceback" not in err and "internal error" not in err, err
        if rc == 0:
            assert len(list(out.glob("*.h5"))) == 1
        else:
            lines = err.strip().splitlines()
            assert rc == 2 and len(lines) == 1 and str(path) in lines[0], (rc, err)
            assert not out.exists()


@pytest.mark.parametrize("cell, match", [
    ("0.05 0.05 0.05 90 90 90", "lattice vector is 0.05 Angstrom long"),  # nm read as Angstrom, sort of
    ("5.64 5.64 5.64 90 90 180", "not a 3D periodic crystal|cannot read"),  # zero volume
    ("5.64 5.64 5.64 120 120 120", "not a 3D periodic crystal|zero volume|lattice vector is"),  # flat: 3 x 120 = 360
    ("0 5.64 5.64 90 90 90", "not a 3D periodic crystal|cannot read"),
    ("5.64 5.64 0.8 90 90 90", "are 0.4 Angstrom apart"),  # Na and Cl stacked 0.4 A apart along c
])
def test_degenerate_cells_are_rejected(tmp_path, cell, match):
    a, b, c, al, be, ga = cell.split()
    text = VALID[0]
    for key, value in zip(CELL_KEYS, (a, b, c, al, be, ga)):
        text = re.sub(rf"^{key} .*$", f"{key} {value}", text, flags=re.M)
    path = tmp_path / "bad.cif"
    path.write_text(text)
    rc, _, err = _cli(["structure", "preview", str(path), "--pixels", "16", "--size", "8",
                       "--out", str(tmp_path / "p.png")])
    assert rc == 2 and re.search(match, err) and str(path) in err and err.count("\n") == 1, err
    assert not (tmp_path / "p.png").exists()


def test_unknown_element_is_named(tmp_path):
    path = tmp_path / "xx.cif"
    path.write_text(VALID[0].replace("  Na  Na1", "  Xx  Na1"))
    rc, _, err = _cli(["structure", "preview", str(path), "--out", str(tmp_path / "p.png")])
    assert rc == 2 and str(path) in err and "Xx" in err and err.count("\n") == 1, err


def test_the_valid_cifs_preview(tmp_path):
    for k, text in enumerate(VALID):
        path = tmp_path / f"ok{k}.cif"
        path.write_text(text)
        rc, _, err = _cli(["structure", "preview", str(path), "--pixels", "16", "--size", "8",
                           "--out", str(tmp_path / f"p{k}.png")])
        assert rc == 0 and (tmp_path / f"p{k}.png").is_file(), err
