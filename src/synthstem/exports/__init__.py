"""synthstem.exports: ML exports of a finished dataset folder, one module per format.

- ``registry``: the format names (``NAMES``) and every option's default, in one place.
"""

from . import registry  # noqa: F401
