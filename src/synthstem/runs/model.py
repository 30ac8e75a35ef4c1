"""The base of every run-configuration table, and the drawable-key helpers they share."""

from pydantic import BaseModel, ConfigDict

from ..variation import check_spec


class Model(BaseModel):
    """Strict, frozen, unknown keys forbidden: the configuration is plain validated data."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, validate_default=True)


DRAWN = " (drawable: a value or a distribution)"


def checked_spec(section, name, value):
    """A drawable key's spec, validated against its range (synthstem.variation)."""
    try:
        return check_spec(f"{section}.{name}", value)
    except ValueError as err:
        raise ValueError(str(err).removeprefix(f"{section}.{name}: ")) from None
