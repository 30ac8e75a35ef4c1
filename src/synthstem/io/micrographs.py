"""Read micrographs (TIFF, PNG, NPY, HDF5) and point labels (CSV with ``X``, ``Y``).

``read_micrograph(path) -> (image, pixel_size)``: a 2-D float64 image and the pixel size
[Angstrom] when the file records one (a TIFF resolution tag with an ImageJ ``unit=nm`` /
``unit=A`` description; an HDF5 dataset attribute ``pixel_size``), else None.
``read_points(path) -> (n, 2)`` float64 ``(x, y)`` pixel positions (x = column, y = row).
Every failure is a ``ValueError`` (or ``FileNotFoundError``) with one line naming the file.
"""

from __future__ import annotations

import csv
import os

import numpy as np

__all__ = ["IMAGE_SUFFIXES", "find_images", "read_micrograph", "read_points"]

IMAGE_SUFFIXES = (".tif", ".tiff", ".png", ".npy", ".h5", ".hdf5")

_UNITS = {"nm": 10.0, "nanometer": 10.0, "um": 1e4, "micron": 1e4, "a": 1.0, "angstrom": 1.0}


def _check_file(path):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such file", path)
    if os.path.isdir(path):
        raise IsADirectoryError(21, "is a folder, not an image file", path)
    return path


def _tiff(path):
    try:
        import tifffile
    except ImportError:  # pragma: no cover - tifffile is installed with imageio's tiff plugin
        import imageio.v3 as iio
        return iio.imread(path), None
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        image = page.asarray()
        tags = {t.name: t.value for t in page.tags.values()}
    pixel_size = None
    desc = str(tags.get("ImageDescription", ""))
    unit = next((line.split("=", 1)[1].strip().lower() for line in desc.splitlines() if line.startswith("unit=")), None)
    res = tags.get("XResolution")
    if unit in _UNITS and isinstance(res, tuple) and len(res) == 2 and res[0] > 0 and res[1] > 0:
        pixel_size = _UNITS[unit] * res[1] / res[0]
    return image, pixel_size


def _hdf5(path):
    import h5py

    found = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.ndim == 2 and obj.dtype.kind in "uif":
                found.append(name)
        f.visititems(visit)
        if not found:
            raise ValueError(f"{path}: no 2-D numeric dataset in the HDF5 file")
        ds = f[sorted(found)[0]]
        ps = ds.attrs.get("pixel_size", f.attrs.get("pixel_size"))
        return ds[()], (float(ps) if ps is not None and np.ndim(ps) == 0 else None)


def read_micrograph(path):
    """Read one 2-D image.

    Parameters
    ----------
    path : str or os.PathLike
        ``.tif``/``.tiff``, ``.png`` (grey or RGB averaged), ``.npy`` or ``.h5``/``.hdf5``
        (the first 2-D numeric dataset in name order).

    Returns
    -------
    image : np.ndarray
        float64 ``(rows, cols)``.
    pixel_size : float or None
        [Angstrom] if the file records it.
    """
    path = _check_file(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ValueError(f"{path}: not an image file (expected one of {', '.join(IMAGE_SUFFIXES)})")
    try:
        if suffix in (".tif", ".tiff"):
            image, pixel_size = _tiff(path)
        elif suffix == ".png":
            import imageio.v3 as iio
            image, pixel_size = iio.imread(path), None
            if image.ndim == 3:
                image = image[..., :3].mean(axis=-1)
        elif suffix == ".npy":
            image, pixel_size = np.load(path, allow_pickle=False), None
        else:
            image, pixel_size = _hdf5(path)
    except FileNotFoundError:
        raise
    except Exception as err:  # a corrupt or foreign file: one line naming it
        if isinstance(err, ValueError) and str(err).startswith(path):
            raise
        raise ValueError(f"{path}: cannot read as {suffix[1:]} image ({type(err).__name__}: {err})") from None
    image = np.asarray(image)
    if image.ndim != 2 or image.dtype.kind not in "uif" or min(image.shape) < 2:
        raise ValueError(f"{path}: expected a 2-D numeric image, got shape {image.shape} dtype {image.dtype}")
    image = image.astype(np.float64)
    if not np.all(np.isfinite(image)):
        raise ValueError(f"{path}: image contains NaN or infinite values")
    return image, pixel_size


def find_images(paths):
    """Expand folders into their image files (sorted); files are kept as given."""
    out = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            out += sorted(os.path.join(p, n) for n in os.listdir(p) if os.path.splitext(n)[1].lower() in IMAGE_SUFFIXES)
        else:
            out.append(p)
    if not out:
        raise ValueError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) in {', '.join(map(str, paths))}")
    return out


def read_points(path):
    """Read a label CSV with columns ``X`` and ``Y`` [px] (other columns ignored).

    Returns
    -------
    np.ndarray
        ``(n, 2)`` float64 ``(x, y)``; ``(0, 2)`` for a file with a header and no rows.
    """
    path = _check_file(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text CSV file") from None
    if not rows:
        raise ValueError(f"{path}: empty label file (expected a header with X and Y)")
    header = [h.strip() for h in rows[0]]
    if "X" not in header or "Y" not in header:
        raise ValueError(f"{path}: label CSV needs columns 'X' and 'Y', got header {','.join(header)!r}")
    ix, iy = header.index("X"), header.index("Y")
    pts = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        try:
            x, y = float(row[ix]), float(row[iy])
        except (IndexError, ValueError):
            raise ValueError(f"{path}: line {n}: X and Y must be numbers, got {','.join(row)!r}") from None
        if not (np.isfinite(x) and np.isfinite(y)):
            raise ValueError(f"{path}: line {n}: X and Y must be finite")
        pts.append((x, y))
    return np.asarray(pts, dtype=np.float64).reshape(-1, 2)
