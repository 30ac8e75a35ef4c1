"""Atomic file writing and checksums shared by the dataset writers.

Every writer puts the bytes into a temporary file ``.<name>.<random>.tmp`` in the
destination folder and ``os.replace``-s it onto the final name, so a reader never sees a
half-written file. The temporary file is created with mode ``0o666`` and the kernel applies
the process umask (and a folder's default ACL), so outputs get the same permissions as any
other tool's (``0o644`` under the usual umask 022), not ``tempfile.mkstemp``'s ``0o600``.
"""

import errno
import hashlib
import json
import os
import secrets
from contextlib import contextmanager
from pathlib import Path

#: requested mode of new files; the umask is applied by the kernel
FILE_MODE = 0o666


def _create_temporary(path):
    """Create and open (O_EXCL) a fresh temporary file next to ``path`` -> (fd, name)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, FILE_MODE), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(path))


def _with_path(err, path):
    """``err`` naming ``path`` when it names no file (h5py's and numpy's OSErrors name none)."""
    if not isinstance(err, OSError) or err.filename is not None:
        return err
    if err.errno is not None:
        return type(err)(err.errno, err.strerror or str(err), str(path))
    return OSError(f"{path}: {err}")


@contextmanager
def atomic_path(path):
    """Yield a temporary path in ``path``'s folder; ``os.replace`` it onto ``path`` on success.

    On any error (a full disk, an interrupt) the temporary file is removed and ``path`` is
    left as it was. An ``OSError`` that names no file (e.g. from h5py) is re-raised naming
    ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temporary(path)
    os.close(fd)
    try:
        yield str(tmp)
        os.replace(tmp, path)
    except BaseException as err:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        new = _with_path(err, path)
        if new is not err:
            raise new from err
        raise


def write_bytes(path, data):
    """Write ``data`` to ``path`` through a temporary file in the same folder + ``os.replace``.

    Raises ``OSError`` naming ``path`` on a failed write (full disk, I/O error); no partial
    file is left behind.
    """
    path = Path(path)
    view = memoryview(data).cast("B")
    with atomic_path(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            done = 0
            while done < len(view):
                done += os.write(fd, view[done:])
        finally:
            os.close(fd)
    return path


@contextmanager
def atomic_hdf5(path):
    """Yield a new ``h5py.File`` built in memory; on success its bytes go to ``path`` through
    :func:`write_bytes`.

    HDF5 never writes to the disk itself, so a full disk or an I/O error surfaces as one
    ``OSError`` naming ``path`` from :func:`write_bytes` (HDF5 hitting ENOSPC in its own
    writes reports a cascade of errors and can crash the process).
    """
    import io

    import h5py

    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        yield f
    write_bytes(path, buf.getbuffer())


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
