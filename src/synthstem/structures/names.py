"""Item names in the atomagined style: ``CCCCCC.SuSvSw``.

``CCCCCC`` is the six-digit, zero-padded structure id; each of u, v, w is written as a
sign digit (``0`` for + or zero, ``1`` for -) followed by the absolute index (one digit).
Example: structure 20790 seen along [1, -2, 0] is ``'020790.011200'``.
"""

import re

import numpy as np

__all__ = ["item_name", "parse_item_name"]

_NAME = re.compile(r"^(\d{6})\.([01]\d)([01]\d)([01]\d)$")


def _as_index(value, what):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    if float(value) != int(value):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    return int(value)


#: largest |index| of a zone axis unless ``allow_large_indices``
_MAX_INDEX = 2


def check_uvw(uvw, allow_large_indices=False):
    """Validate a zone axis: three integers, not all zero, each in [-2, 2] unless allowed.

    Returns the uvw as a tuple of Python ints; raises ``ValueError`` naming the problem.
    """
    try:
        values = list(uvw)
    except TypeError:
        raise ValueError(f"uvw must be a sequence of three integers, got {uvw!r}") from None
    if len(values) != 3:
        raise ValueError(f"uvw must have three components, got {uvw!r}")
    out = []
    for value in values:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)):
            raise ValueError(f"uvw must contain integers, got {uvw!r}")
        if not np.isfinite(value) or float(value) != int(value):
            raise ValueError(f"uvw must contain integers, got {uvw!r}")
        out.append(int(value))
    if out == [0, 0, 0]:
        raise ValueError("uvw (0, 0, 0) is not a direction")
    if not allow_large_indices and max(abs(x) for x in out) > _MAX_INDEX:
        raise ValueError(
            f"uvw indices must be in [-{_MAX_INDEX}, {_MAX_INDEX}], got {tuple(out)}; "
            "pass allow_large_indices=True for higher-index zone axes"
        )
    return tuple(out)


def item_name(structure_id, uvw):
    """Return the atomagined-style name of one item.

    Parameters
    ----------
    structure_id : int
        Structure id in [0, 999999].
    uvw : sequence of 3 int
        Viewing direction [u, v, w], each index in [-9, 9].

    Returns
    -------
    str
        For example ``item_name(20790, (1, -2, 0)) == '020790.011200'``.
    """
    sid = _as_index(structure_id, "structure_id")
    if not 0 <= sid <= 999999:
        raise ValueError(f"structure_id must be in [0, 999999], got {structure_id!r}")
    indices = check_uvw(uvw, allow_large_indices=True)
    parts = []
    for axis, value in zip("uvw", indices):
        index = value
        if abs(index) > 9:
            raise ValueError(f"uvw component {axis} must be in [-9, 9] for an item name, got {index}")
        parts.append(f"{1 if index < 0 else 0}{abs(index)}")
    return f"{sid:06d}." + "".join(parts)


def parse_item_name(name):
    """Split an item name into ``(structure_id, (u, v, w))``; the inverse of `item_name`.

    Parameters
    ----------
    name : str
        A name such as ``'020790.011200'``.

    Returns
    -------
    tuple
        ``(structure_id, (u, v, w))`` with Python ints.
    """
    if not isinstance(name, str):
        raise ValueError(f"item name must be a string, got {type(name).__name__}")
    match = _NAME.match(name)
    if match is None:
        raise ValueError(
            f"malformed item name {name!r}: expected six digits, a dot and three (sign, index) "
            "digit pairs with sign 0 (+) or 1 (-), e.g. '020790.011200'"
        )
    uvw = []
    for pair in match.groups()[1:]:
        sign, index = int(pair[0]), int(pair[1])
        if sign == 1 and index == 0:
            raise ValueError(f"malformed item name {name!r}: negative zero index '{pair}'")
        uvw.append(-index if sign else index)
    return int(match.group(1)), tuple(uvw)
