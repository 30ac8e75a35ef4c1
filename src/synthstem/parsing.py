"""What users type on the command line: lengths with units and zone axes.

Lengths (aberrations, defocus) are written as microscopists write them: ``1.2mm``,
``-15um``, ``50nm``, ``2A``; a bare number is in Angstrom. Zone axes have one documented
syntax, ``U,V,W`` (``1,-1,0``), and tolerant parsing of the other usual spellings:
``1 -1 0``, ``[1,-1,0]``, ``[1 -1 0]`` and the compact crystallographic ``[1-10]`` / ``110``
(one digit per index).
"""

import math
import re

__all__ = ["LENGTH_UNITS", "parse_length", "parse_energy", "parse_uvw", "UVW_HELP", "allow_negative_values"]

#: length units -> Angstrom
LENGTH_UNITS = {
    "m": 1e10, "mm": 1e7, "um": 1e4, "µm": 1e4, "μm": 1e4, "nm": 10.0,
    "a": 1.0, "å": 1.0, "angstrom": 1.0, "pm": 0.01,
}
#: energy units -> eV
ENERGY_UNITS = {"ev": 1.0, "kev": 1e3, "kv": 1e3, "v": 1.0, "mev": 1e6, "mv": 1e6}

UVW_HELP = "zone axis U,V,W, e.g. 0,0,1 or 1,-1,0 (also accepted: '1 -1 0', '[1-10]')"

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\d\s].*?)?\s*$")


_SHOWN = {"length": "m, mm, um (µm), nm, A (Å), pm", "energy": "eV, keV, kV, MeV"}


def _quantity(text, units, default_unit, what):
    shown = _SHOWN["length" if units is LENGTH_UNITS else "energy"]
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value, unit = float(text), default_unit
    else:
        m = _NUMBER.match(str(text))
        if not m:
            raise ValueError(f"{what}: expected a number with an optional unit ({shown}), "
                             f"got {text!r}")
        value, unit = float(m.group(1)), m.group(2) or default_unit
    key = unit.strip().lower() if unit.strip().lower() in units else unit.strip()
    if key not in units:
        raise ValueError(f"{what}: unknown unit {unit!r} in {text!r}; use one of {shown}")
    value *= units[key]
    if not math.isfinite(value):
        raise ValueError(f"{what}: must be finite, got {text!r}")
    return value


def parse_length(text, what="length"):
    """``'1.2mm'`` -> 1.2e7 [Angstrom]; a bare number is in Angstrom.

    Units: m, mm, um (µm), nm, A (Å, Angstrom), pm. Raises ``ValueError`` naming ``what``.
    """
    return _quantity(text, LENGTH_UNITS, "a", what)


def parse_energy(text, what="energy"):
    """``'200kV'`` or ``'200keV'`` -> 200000.0 [eV]; a bare number is in eV."""
    value = _quantity(text, ENERGY_UNITS, "ev", what)
    if not value > 0:
        raise ValueError(f"{what}: must be positive, got {text!r}")
    return value


def parse_uvw(text, what="zone axis"):
    """Parse a zone axis into a tuple of three ints (see the module docstring).

    ``text`` may be a string or a sequence of 1 or 3 strings / ints (as argparse gives for
    ``--uvw 1 1 0``). Raises ``ValueError`` naming ``what`` for anything else, including
    [0, 0, 0].
    """
    if isinstance(text, (list, tuple)):
        if len(text) == 3 and all(isinstance(t, int) and not isinstance(t, bool) for t in text):
            values = tuple(text)
            text = ",".join(map(str, text))
            return _check_uvw(values, text, what)
        text = " ".join(str(t) for t in text)
    raw = str(text).strip()
    body = raw[1:-1].strip() if raw[:1] == "[" and raw[-1:] == "]" else raw
    parts = body.replace(",", " ").split()
    if len(parts) == 1 and re.fullmatch(r"(-?\d){3}", parts[0]):  # compact: 110, 1-10, -1-1-1
        parts = re.findall(r"-?\d", parts[0])
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 3:
        raise ValueError(f"{what}: expected three integers U,V,W like 1,-1,0, got {raw!r}")
    return _check_uvw(values, raw, what)


def _check_uvw(values, raw, what):
    if not any(values):
        raise ValueError(f"{what}: [0, 0, 0] is not a direction, got {raw!r}")
    return values


def allow_negative_values(parser):
    """Let an argparse parser take ``-15nm`` or ``-1,1,0`` as option values.

    argparse treats a word starting with '-' as an option unless it is a plain negative
    number; no synthstem option starts with a digit, so a '-' followed by a digit is a value.
    """
    parser._negative_number_matcher = re.compile(r"^-\.?\d")
    return parser
