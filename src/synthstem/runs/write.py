"""Write one built item: PNG previews, then the HDF5 file; and the worker entry point.

Fourth step of a run. Every file is written atomically (temporary file + rename,
synthstem.io.files), the HDF5 file last: its presence marks the item complete, so a
killed run leaves either a whole item or none (temporaries are removed on resume).
"""

from __future__ import annotations

import time
import traceback
from importlib import import_module
from pathlib import Path

from ..io.files import sha256
from ..io.hdf5 import write_item
from ..io.png import write_png
from .build import build_item


def write_item_files(task, item):
    """Write ``item`` (built from ``task``) into ``task.out``; -> {relative path: sha256}."""
    out = Path(task.out)
    if task.png:
        images = {"raw": item.raw, **item.images}
        for rel in task.png_files():
            key = Path(rel).name[len(task.name) + 1:-len(".png")]
            write_png(out / rel, images[key])
    write_item(out / task.h5, item)  # last: its presence marks the item done
    return {rel: sha256(out / rel) for rel in task.files()}


def _builder(path):
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def process_task(task, builder=None):
    """Build and write one item; never raises (a worker's result is data).

    Parameters
    ----------
    task : Task
    builder : str or None
        'module:function' building one item like :func:`build_item` (tests inject
        failures this way); default :func:`build_item`.

    Returns
    -------
    dict
        ``ok``, ``name``, ``files`` {relative path: sha256}, ``timings`` [s]; or ``ok``
        False with ``error`` and ``traceback``.
    """
    t_start = time.perf_counter()
    try:
        build = build_item if builder is None else _builder(builder)
        item, timings = build(task)
        t0 = time.perf_counter()
        files = write_item_files(task, item)
        timings["write"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - t_start
        return {"ok": True, "name": task.name, "files": files, "timings": timings}
    except Exception as err:
        return {"ok": False, "name": task.name, "error": f"{type(err).__name__}: {err}",
                "traceback": traceback.format_exc()}
