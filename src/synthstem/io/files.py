"""Atomic file writing and checksums shared by the dataset writers."""

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path):
    """Yield a temporary path in ``path``'s folder; ``os.replace`` it onto ``path`` on success.

    On any error (a full disk, an interrupt) the temporary file is removed and ``path`` is
    left as it was, so a reader never sees a half-written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_bytes(path, data):
    """Write ``data`` to ``path`` through a temporary file in the same folder + ``os.replace``."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_text(path, text):
    return write_bytes(path, text.encode("utf-8"))


def write_json(path, obj, indent=1, sort_keys=True, newline=True):
    """JSON (indented and key-sorted by default; no NaN), written atomically.

    ``sort_keys=False`` keeps the key order (COCO readers expect it); ``newline=False``
    leaves out the final newline.
    """
    text = json.dumps(obj, indent=indent, sort_keys=sort_keys, allow_nan=False)
    return write_text(path, text + "\n" if newline else text)


def sha256(path, chunk=1 << 20):
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def remove_temporaries(folder):
    """Delete leftover ``.<name>.*.tmp`` files (from a killed run) under ``folder``."""
    removed = []
    for tmp in Path(folder).rglob(".*.tmp"):
        try:
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            pass
    return removed
