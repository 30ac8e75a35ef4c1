"""PRISM accuracy check: a few probe positions recomputed by exact multislice.

PRISM (``physics/prism.py``) assembles each probe on a window of ``L / f`` around its
position from a probe array of period ``L / f``. Once the exit wave spreads beyond the
window (thick specimens, channelling), the neighbouring replicas leak into it; in a periodic
cell whose window is not a whole number of unit cells the replicas sit on other columns
and the image goes wrong (SrTiO3 [001], f=2 on 5.9 A windows: NCC 0.84 against f=1 at
51 A, abTEM 1.0.11 gives 0.87; docs/physics.md). The error is invisible in the image itself,
so ``simulate`` measures it: after the PRISM scan of the first frozen-phonon configuration
at the focal point of largest weight, a few scan positions (brightest, dimmest and
geometrically spaced ranks between) are recomputed by multislice through the same
potential slices with the same optics, and compared with PRISM's values at those
positions (before the configuration average and the Fourier interpolation).
"""

from __future__ import annotations

import numpy as np

from .multislice import multislice_scan

#: default number of checked probe positions (``simulate(prism_check=...)``)
DEFAULT_PROBES = 4
#: tolerance on ``error = max |PRISM - multislice| / contrast`` over the checked
#: positions (``contrast``: max - min of the image and the multislice values); above it
#: ``simulate`` warns (benchmarks/PRISM_WINDOW.md)
TOLERANCE = 0.1
#: smallest contrast and mean [fraction of the beam] the error is divided by: below it
#: (vacuum, a few light atoms) both methods' values are rounding noise
SCALE_FLOOR = 1e-6


class PrismAccuracyWarning(UserWarning):
    """PRISM's measured error exceeds the tolerance (``simulate`` issues it by default)."""


class PrismAccuracyError(ValueError):
    """PRISM's measured error exceeds the tolerance (``simulate(prism_strict=True)``)."""


def check_positions(image, probes):
    """Scan-grid indices ``(row, col)`` of ``min(probes, image.size)`` distinct positions of
    ``image``: the brightest first, the dimmest last (one probe: the brightest), ranks
    between spaced geometrically (rank ``~N^(k/(n-1))`` of ``N`` values, brightest = 0):
    most probes on the bright columns, where PRISM's errors are largest
    (benchmarks/PRISM_WINDOW.md). Ties: lowest flat index first."""
    flat = np.asarray(image).ravel()
    order = np.argsort(-flat, kind="stable")  # brightest first
    size, n = flat.size, min(probes, flat.size)
    ranks = [0]
    for k in range(1, n):
        r = max(int(round(size ** (k / (n - 1)))) - 1, ranks[-1] + 1)
        ranks.append(min(r, size - n + k))  # room left for the remaining ranks
    return [divmod(int(order[r]), image.shape[1]) for r in ranks]


def prism_check(potential, microscope, scan_x, scan_y, image, probes, workers=None,
                device="cpu"):
    """Compare the PRISM scan ``image`` (on ``scan_y x scan_x`` [Angstrom], computed with
    ``potential`` and ``microscope``) with multislice at ``probes`` of its positions.

    Returns
    -------
    dict (JSON-serialisable): ``probes``, ``positions`` (x, y) [Angstrom], ``pixels`` (row,
    col) on the scan grid, ``prism`` and ``multislice`` values (fraction of the beam),
    ``error`` = ``max |prism - multislice| / contrast(image, multislice)`` (a fraction of
    the image contrast), ``error_mean`` = the same over the image mean (both scales at
    least ``SCALE_FLOOR``), ``tolerance``, ``defocus``
    [Angstrom] (deterministic: no timing, so that images and their records reproduce).
    """
    image = np.asarray(image, dtype=np.float64)
    pixels = check_positions(image, probes)
    xy = np.array([[scan_x[i], scan_y[j]] for j, i in pixels], dtype=np.float64)
    ms = multislice_scan(potential, microscope, xy, workers=workers, device=device)
    pr = np.array([image[j, i] for j, i in pixels])
    diff = float(np.abs(pr - ms).max())
    return {"probes": len(pixels), "positions": xy.tolist(),
            "pixels": [[int(j), int(i)] for j, i in pixels],
            "prism": pr.tolist(), "multislice": ms.tolist(),
            "error": diff / max(contrast(image, ms), SCALE_FLOOR),
            "error_mean": diff / max(float(image.mean()), SCALE_FLOOR),
            "tolerance": TOLERANCE, "defocus": float(microscope.defocus)}


def failure_line(record, interpolation, window, thickness):
    """One line naming the PRISM setting and its measured error, or None within tolerance.

    ``window``: (Ly / f, Lx / f) [Angstrom]; ``thickness`` [Angstrom].
    """
    if not record["error"] > record["tolerance"]:
        return None
    return (f"PRISM interpolation={interpolation} ({window[0]:.2f} x {window[1]:.2f} A probe "
            f"windows) at {thickness:.1f} A thickness: measured error {record['error']:.3g} "
            f"(max |PRISM - multislice| at {record['probes']} probe positions / image contrast) > "
            f"tolerance {record['tolerance']:g}; the probe outgrows its window (use a smaller "
            "interpolation, or one whose window is a whole number of unit cells; "
            "docs/physics.md)")


def contrast(image, reference):
    """Image contrast [fraction of the beam]: max - min over the PRISM ``image`` and the
    multislice ``reference`` values (a PRISM image that lost its peaks, e.g. half the
    column intensity on a thick incommensurate window, would otherwise shrink the scale
    and overstate its error)."""
    return float(max(image.max(), np.max(reference)) - min(image.min(), np.min(reference)))

