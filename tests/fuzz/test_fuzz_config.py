"""Fuzzed configs through the CLI: each is accepted or rejected with a clear message (no
traceback, naming the file or a key), and a rejected `run` writes no file.

Mutations of valid configs (configs/quickstart.toml, and small general and retrieval
configs built like configs/atomagined-*.toml, whose full structure lists take ~20 s to
plan): keys deleted, set to values of the wrong type, NaN/inf, huge or negative numbers,
unknown keys, unknown elements; and garbage bytes or byte-edited TOML text. Driven through
``synthstem.cli.main`` so that the tests do not depend on where config checking lives.
"""

import contextlib
import io
import json
import math
import re
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthstem.cli import main

ROOT = Path(__file__).resolve().parents[2]

SMALL_GENERAL = """
[run]
seed = 3
[microscope]
energy = 300e3
Cs = -150000.0
detector = [80.0, 200.0]
[simulation]
method = "incoherent"
pixels = 48
size = 10.0
phonons = 2
phonon_rms = {Cu = 0.08}
[output]
conditions = ["raw", "clean", "blbk1", "dfct1"]
exports = ["coco", "boxes"]
augment = {variants = 1}
splits = {by = "structure", test_fraction = 0.5}
[[structures]]
prototype = "fcc"
elements = "Cu"
uvw = [[0, 0, 1], [1, 1, 0]]
[[structures]]
prototype = "perovskite"
elements = {A = "Sr", B = "Ti", X = "O"}
uvw = [[1, 0, 0]]
"""

SMALL_RETRIEVAL = """
[run]
kind = "retrieval"
seed = 1
[simulation]
method = "incoherent"
pixels = 32
size = 8.0
phonons = 0
[retrieval]
targets = 2
choices = 4
shift = true
choice_conditions = ["raw", "clean", "blbk1"]
[defects]
kinds = ["vacancy"]
[[structures]]
prototype = "fcc"
elements = "Cu"
uvw = [[0, 0, 1], [1, 1, 0], [1, 1, 1]]
[[structures]]
prototype = "perovskite/SrTiO3"
uvw = [[0, 0, 1], [1, 1, 0]]
"""

BASES = [tomllib.loads((ROOT / "configs" / "quickstart.toml").read_text()),
         tomllib.loads(SMALL_GENERAL), tomllib.loads(SMALL_RETRIEVAL)]


def _key_names(obj):
    if isinstance(obj, dict):
        return set(obj) | {k for v in obj.values() for k in _key_names(v)}
    if isinstance(obj, list):
        return {k for v in obj for k in _key_names(v)}
    return set()


def _schema_keys():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["config", "show", "--json"]) == 0
    return _key_names(json.loads(out.getvalue())) - {"base_dir"}


KEYS = _schema_keys()


# -- a small TOML writer (tomllib only reads) ---------------------------------------------
def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_value(x)}" for k, x in v.items() if x is not None) + "}"
    raise TypeError(type(v))


def _tables(v):
    return isinstance(v, list) and v and all(isinstance(x, dict) for x in v)


def dumps(d):
    lines = [f"{json.dumps(str(k))} = {_value(v)}" for k, v in d.items()
             if v is not None and not isinstance(v, dict) and not _tables(v)]
    for k, v in d.items():
        if isinstance(v, dict):
            lines.append(f"[{json.dumps(str(k))}]")
            lines += [f"{json.dumps(str(a))} = {_value(b)}" for a, b in v.items() if b is not None]
        elif _tables(v):
            for entry in v:
                lines.append(f"[[{json.dumps(str(k))}]]")
                lines += [f"{json.dumps(str(a))} = {_value(b)}" for a, b in entry.items() if b is not None]
    return "\n".join(lines) + "\n"


# -- mutations ----------------------------------------------------------------------------
def _paths(obj, prefix=()):
    """Every key path of a parsed config (list entries by index)."""
    out = []
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else []
    for k, v in items:
        out.append(prefix + (k,))
        out += _paths(v, prefix + (k,))
    return out


NASTY = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, -1, 1, 10**9, -(10**9), 4097, 2**31]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e308, -1e-308, 5e-324]),
    st.text(max_size=8),
    st.sampled_from(["Xx", "Qq", "Cu", "Uuo", "", "fcc/Xx", "perovskite/Nope", "A=Ba", "../../etc/passwd"]),
    st.booleans(),
    st.lists(st.integers(min_value=-12, max_value=12), max_size=4),
    st.lists(st.lists(st.integers(min_value=-12, max_value=12), max_size=4), max_size=3),
    st.lists(st.floats(allow_nan=True), max_size=3),
    st.dictionaries(st.sampled_from(["A", "B", "X", "Cu", "zz"]),
                    st.one_of(st.sampled_from(["Ba", "Xx", "Ti", "O", ""]), st.integers(-5, 5)), max_size=3),
)


@st.composite
def mutated_config(draw):
    config = json.loads(json.dumps(draw(st.sampled_from(BASES))))  # a deep copy
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(config)
        kind = draw(st.sampled_from(["delete", "set", "set", "unknown"]))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = config
        for k in path[:-1]:
            parent = parent[k]
        if kind == "delete":
            if isinstance(parent, list):
                parent.pop(path[-1])
            else:
                del parent[path[-1]]
        elif kind == "set":
            parent[path[-1]] = draw(NASTY)
        else:
            target = parent[path[-1]] if isinstance(parent[path[-1]], dict) else config
            target[draw(st.sampled_from(["bogus", "energy_kev", "pixel", "Uvw", "seeds"]))] = draw(NASTY)
    return dumps(config).encode()


@st.composite
def byte_edited(draw):
    text = bytearray(dumps(draw(st.sampled_from(BASES))).encode())
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        i = draw(st.integers(min_value=0, max_value=len(text) - 1))
        op = draw(st.sampled_from(["flip", "delete", "insert"]))
        if op == "flip":
            text[i] = draw(st.integers(min_value=0, max_value=255))
        elif op == "delete":
            del text[i:i + draw(st.integers(min_value=1, max_value=20))]
        else:
            text[i:i] = draw(st.binary(min_size=1, max_size=8))
        if not text:
            break
    return bytes(text)


CONFIGS = st.one_of(mutated_config(), mutated_config(), byte_edited(), st.binary(max_size=300))


def _cli(argv):
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def _check_rejection(rc, err, path, command):
    assert rc == 2, (rc, err)
    assert "Traceback" not in err and "internal error" not in err, err
    first = err.strip().splitlines()[0]
    assert first.startswith(f"synthstem {command}: error: "), err
    assert str(path) in first or _names_a_key(first), f"the message names neither the file nor a key: {err!r}"
    lines = err.strip().splitlines()
    hint = [i for i, line in enumerate(lines) if line.endswith("the minimal config is:")]
    for line in lines[1:hint[0] if hint else None]:  # one line per problem, each naming its key
        assert _names_a_key(line), err                # (then maybe a TOML example, not problems)


def _names_a_key(line):
    """'structures[0].uvw: ...', 'retrieval: ...': a key path of the schema before a colon."""
    line = re.sub(r"^synthstem \w+: error: ", "", line)
    heads = re.findall(r"(?:^|\s)([A-Za-z_]\w*)(?:\[\d+\])*(?:\.\w+(?:\[\d+\])*)*: ", line)
    unknown = line.endswith(": unknown key") and (bool(heads) or '"": unknown key' in line)  # key '' shows so
    return any(h in KEYS for h in heads) or unknown


@given(data=CONFIGS)
def test_fuzzed_config_is_accepted_or_rejected_clearly(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.toml"
        path.write_bytes(data)
        rc, out, err = _cli(["config", "check", str(path)])
        if rc == 0:
            assert "valid" in out and "Traceback" not in err, (out, err)
            return
        _check_rejection(rc, err, path, "config")
        # the same config given to `run` is rejected too, and no file is written
        dataset = Path(tmp) / "dataset"
        rc, out, err = _cli(["run", str(path), "--out", str(dataset), "--workers", "1",
                             "--no-progress", "--no-preview"])
        _check_rejection(rc, err, path, "run")
        assert not dataset.exists(), sorted(dataset.rglob("*"))


def test_the_bases_are_valid():
    """The fuzz starts from valid configs (a mutation that changes nothing must pass)."""
    for base in BASES:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "base.toml"
            path.write_text(dumps(base))
            rc, out, err = _cli(["config", "check", str(path)])
            assert rc == 0 and "valid" in out, err


def test_empty_element_list_names_the_key(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[[structures]]\nprototype = "perovskite"\nelements = {A = [], B = "Ti", X = "O"}\n')
    rc, _, err = _cli(["config", "check", str(path)])
    assert rc == 2 and "structures[0].elements" in err, err
    rc, _, err = _cli(["run", str(path), "--out", str(tmp_path / "new" / "data"), "--no-progress"])
    _check_rejection(rc, err, path, "run")
    assert not (tmp_path / "new").exists()


def test_retrieval_with_too_few_pairs_writes_nothing(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(SMALL_RETRIEVAL.replace("targets = 2", "targets = 20").replace("choices = 4", "choices = 40"))
    rc, _, err = _cli(["run", str(path), "--out", str(tmp_path / "new" / "data"), "--no-progress"])
    _check_rejection(rc, err, path, "run")
    assert "retrieval: " in err and not (tmp_path / "new").exists()
