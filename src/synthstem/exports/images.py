"""The exported images themselves: ``{split}_images/<item>-<condition>.png``, always written.

8-bit grey PNGs of the full frame (no crop), stretched by :func:`synthstem.io.png.to_uint8`
between the record's ``png_range`` (the 0.01 / 99 % percentiles of the base image, kept by
its augmented variants so their intensity changes show).
"""

from ..io.png import to_uint8
from .base import Format as _Base


class Format(_Base):
    name = "images"

    def add(self, record):
        lo, hi = record.png_range or (None, None)
        self.sink.png(f"{record.split}_images/{record.file_name}", to_uint8(record.image, lo, hi))
        return None
