"""The protocol every export format follows, and where formats put their files.

A format is a class ``Format`` (see :mod:`synthstem.exports.registry`) with four methods:

``begin(sink, context)``
    Start: ``sink`` receives the files (:class:`FileSink` under the export folder, or
    :class:`MemorySink`), ``context`` is the :class:`Context` of this export.
``add(record) -> entry``
    One exported image (:class:`synthstem.exports.records.Annotated`, its split in
    ``record.split``): write its per-image files now and return what the split-wide
    document needs (picklable), or None. ``add`` runs on instances made (and begun) per
    item, in worker processes when there are several, so ``begin`` must stay cheap and
    write nothing; a format writing one shared file writes it in ``gather`` / ``finish``.
``gather(entries)``
    In the main process, in item order: the ``(split, entry)`` pairs ``add`` returned for
    one item's images.
``finish()``
    Write the split-wide documents; return ``{split: document}`` (or {}).

:class:`Format` gives do-nothing defaults; :class:`SplitDocuments` keeps the entries per
split and writes one document per split (in shards of ``context.shard_size`` images when
set, numbered ``-0000``, ``-0001``, ...).
"""

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io.files import write_bytes, write_json
from ..io.png import write_array_png


@dataclass(frozen=True)
class Context:
    """What every format of one export shares.

    categories : list of dict  COCO with-class categories (``id``, ``name``, ``supercategory``).
    min_area : int  Minimum instance area [px] (COCO, semantic masks).
    shard_size : int or None  Images per split document (None: one document per split).
    dataset_dir : path or None  The dataset folder exported (None for augmented variants and
        in-memory exports): for formats built from the whole dataset, such as the store.
    options : dict  The export options formats read (``registry.FORMAT_OPTIONS``, e.g.
        ``tiff_dtype``); missing keys take ``registry.EXPORT_DEFAULTS``.
    """

    categories: tuple
    min_area: int = 0
    shard_size: int | None = None
    dataset_dir: Path | None = None
    options: dict = field(default_factory=dict)

    def option(self, key):
        """The export option ``key`` (its registry default when not given)."""
        from .registry import EXPORT_DEFAULTS

        return self.options.get(key, EXPORT_DEFAULTS[key])

    @property
    def category_ids(self):
        return {c["name"]: c["id"] for c in self.categories}


class FileSink:
    """Writes files under ``root`` atomically (relative paths)."""

    def __init__(self, root):
        self.root = Path(root)

    def png(self, rel, array):
        write_array_png(self.root / rel, array)

    def npz(self, rel, arrays):
        write_bytes(self.root / rel, npz_bytes(**arrays))

    def json(self, rel, obj, indent=None):
        write_json(self.root / rel, obj, indent=indent, sort_keys=False, newline=False)

    def bytes(self, rel, data):
        write_bytes(self.root / rel, data)


class MemorySink:
    """Keeps what would be written in ``files`` (relative path -> array, dict or bytes)."""

    def __init__(self):
        self.files = {}

    def png(self, rel, array):
        self.files[str(rel)] = array

    def npz(self, rel, arrays):
        self.files[str(rel)] = arrays

    def json(self, rel, obj, indent=None):
        self.files[str(rel)] = obj

    def bytes(self, rel, data):
        self.files[str(rel)] = data


def npz_bytes(**arrays):
    """Bytes of a compressed ``.npz`` readable by ``numpy.load``, byte-for-byte reproducible
    (fixed zip timestamps, unlike ``numpy.savez_compressed``)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, value in arrays.items():
            arr = io.BytesIO()
            np.lib.format.write_array(arr, np.asanyarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, arr.getvalue())
    return buf.getvalue()


def require(module, package, fmt, extra="formats"):
    """ValueError in one line when ``module`` (of pip ``package``) is not installed: the
    ``fmt`` export needs it, ``pip install 'synthstem[extra]'`` brings it. Cheap
    (``importlib.util.find_spec``), so formats call it in ``begin``."""
    from importlib.util import find_spec

    try:
        found = find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ValueError(f"the {fmt!r} export needs {package}, which is not installed: "
                         f"pip install 'synthstem[{extra}]'")


class Format:
    """Base of the export formats: every step does nothing (see the module docstring)."""

    name = ""

    def begin(self, sink, context):
        self.sink = sink
        self.context = context

    def add(self, record):
        return None

    def gather(self, entries):
        pass

    def finish(self):
        return {}


class SplitDocuments(Format):
    """A format writing one document per split from per-image entries.

    Subclasses define ``write(split, entries, suffix, first)``: write the document of
    ``entries`` (suffix '' or '-NNNN'; ``first`` = images of this split already written in
    earlier shards) and return it.
    """

    def begin(self, sink, context):
        super().begin(sink, context)
        self.entries = {}   # split -> entries not yet written
        self.written = {}   # split -> (shards, images) already written
        self.documents = {}

    def gather(self, entries):
        for split, entry in entries:
            if entry is not None:
                self.entries.setdefault(split, []).append(entry)
        size = self.context.shard_size
        if size:
            for split in list(self.entries):
                if len(self.entries[split]) >= size:
                    self._flush(split)

    def _flush(self, split):
        entries = self.entries.pop(split)
        shards, n_images = self.written.get(split, (0, 0))
        self.write(split, entries, f"-{shards:04d}", n_images)
        self.written[split] = (shards + 1, n_images + len(entries))

    def finish(self):
        if self.context.shard_size:
            for split in sorted(self.entries):
                self._flush(split)
            return {}
        for split, entries in self.entries.items():
            self.documents[split] = self.write(split, entries, "", 0)
        return self.documents

    def write(self, split, entries, suffix, first):
        raise NotImplementedError
