"""Image statistics of HAADF micrographs, each the inverse of one noise/instrument parameter.

- :func:`noise_variance_patches`: per patch, the mean and the white-noise variance
  ``mean(d**2) / 6`` of the horizontal second difference ``d = x[i-1] - 2 x[i] + x[i+1]``
  (6 sigma**2 for white noise; slow structure and row streaks cancel).
- :func:`fit_gain_offset`: Poisson noise through a detector is ``var = gain * (mean - offset)``;
  a straight-line fit of variance on mean over patches gives ``gain`` (slope) and
  ``offset`` (where the line crosses zero variance). Fitted on the medians of mean-sorted
  bins (robust to patches holding an atom's edge).
- :func:`row_statistics`: row medians of the offset-free image; row-to-row variation
  ``std(diff(r)) / mean(r)`` with the shot-noise part removed, and the spectral exponent
  of the detrended row series.
- :func:`background_statistics`: large-scale gradient (rms of a quadratic surface fit),
  mid-scale texture (rms of the image band-passed between 2 and 32 px, noise removed),
  its correlation length, and the radially averaged power in octave bands.
- :func:`fit_spots`: a Gaussian plus a constant fitted around each spot: width sigma [px]
  and peak contrast ``amplitude / local background``.
- :func:`detect_spots`: smoothed local maxima, when no labels are given.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, optimize

from ..noise.instrument import row_series, spectrum_slope

__all__ = [
    "background_statistics",
    "detect_spots",
    "fit_gain_offset",
    "fit_spots",
    "noise_variance_patches",
    "row_statistics",
    "row_to_row",
]


def noise_variance_patches(image, patch=16):
    """``(means, variances)`` of non-overlapping ``patch x patch`` tiles (white-noise variance)."""
    img = np.asarray(image, dtype=np.float64)
    ny, nx = (s // patch * patch for s in img.shape)
    d2 = img[:ny, :-2] - 2 * img[:ny, 1:-1] + img[:ny, 2:]
    d2 = np.pad(d2, ((0, 0), (1, 1)), constant_values=np.nan)[:, :nx]
    tiles_d = d2.reshape(ny // patch, patch, nx // patch, patch)
    tiles = img[:ny, :nx].reshape(ny // patch, patch, nx // patch, patch)
    means = tiles.mean(axis=(1, 3)).ravel()
    variances = (np.nanmean(tiles_d**2, axis=(1, 3)) / 6.0).ravel()
    return means, variances


def fit_gain_offset(means, variances, bins=24):
    """Fit ``variance = gain * (mean - offset)``.

    Returns
    -------
    dict
        ``gain`` [units per electron], ``offset`` [units], ``points`` (bins used).
    """
    m, v = np.asarray(means, float), np.asarray(variances, float)
    ok = np.isfinite(m) & np.isfinite(v) & (v > 0)
    m, v = m[ok], v[ok]
    if m.size < 8:
        raise ValueError("too few image patches to fit the detector gain (images smaller than 64 x 64?)")
    edges = np.quantile(m, np.linspace(0, 1, bins + 1))
    idx = np.clip(np.searchsorted(edges, m, side="right") - 1, 0, bins - 1)
    bm = np.array([np.median(m[idx == k]) for k in range(bins) if np.any(idx == k)])
    bv = np.array([np.median(v[idx == k]) for k in range(bins) if np.any(idx == k)])
    slope, intercept = np.polyfit(bm, bv, 1)
    if not slope > 0:
        raise ValueError("noise variance does not grow with the signal: no Poisson detector model fits")
    return {"gain": float(slope), "offset": float(-intercept / slope), "points": int(bm.size)}


def _detrend(series, order=2):
    t = np.linspace(-1, 1, series.size)
    return series - np.polyval(np.polyfit(t, series, order), t)


def row_to_row(image):
    """Raw row-to-row variation ``std(diff(row medians)) / mean(row medians)`` (no corrections)."""
    r = np.median(np.asarray(image, float), axis=1)
    return float(np.std(np.diff(r)) / np.mean(r))


def row_statistics(electrons):
    """Scan-line statistics of an image in electrons per pixel (offset removed, / gain).

    Returns
    -------
    dict
        ``row_to_row`` (raw, as measured), ``row_to_row_excess`` (shot noise of a row
        median, ``pi/2 * mean / cols``, removed in quadrature), ``row_exponent`` (spectral
        exponent of the detrended relative row series), ``row_gain`` (rms of a
        multiplicative row series with that exponent giving the excess row-to-row value).
    """
    e = np.asarray(electrons, float)
    r = np.median(e, axis=1)
    mean = float(np.mean(r))
    raw = float(np.std(np.diff(r)) / mean)
    shot = np.sqrt(2 * (np.pi / 2) * mean / e.shape[1]) / mean
    excess = float(np.sqrt(max(raw**2 - shot**2, 0.0)))
    rel = _detrend(r / mean - 1.0)
    exponent = float(np.clip(spectrum_slope(rel), 0.0, 3.0))
    # rms of a unit series of this exponent per unit row-to-row value (fixed stream: deterministic)
    rng = np.random.default_rng(0)
    ratio = np.mean([np.std(np.diff(s)) for s in (row_series(r.size, 1.0, exponent, rng) for _ in range(64))])
    return {"row_to_row": raw, "row_to_row_excess": excess, "row_exponent": exponent,
            "row_gain": float(excess / ratio)}


def _masked(rel, spots, radius):
    if spots is None or len(spots) == 0:
        return rel
    mask = np.zeros(rel.shape, bool)
    yy, xx = np.ogrid[: rel.shape[0], : rel.shape[1]]
    for x, y in spots:
        mask |= (xx - x) ** 2 + (yy - y) ** 2 <= radius**2
    filled = rel.copy()
    filled[mask] = ndimage.median_filter(rel, size=int(4 * radius) | 1)[mask]
    return filled


def background_statistics(electrons, spots=None, spot_radius=8.0):
    """Large- and mid-scale background statistics of an image in electrons per pixel.

    Parameters
    ----------
    electrons : np.ndarray
        Offset-free image / gain.
    spots : (n, 2) array, optional
        Atom positions (x, y) [px], replaced by a local median before measuring.
    spot_radius : float
        Radius masked around each spot [px].

    Returns
    -------
    dict
        ``gradient_rms`` (rms of a quadratic surface / mean), ``texture_rms`` (rms of the
        2-32 px band / mean, shot noise removed), ``texture_scale`` [px] (Gaussian
        correlation length of that band), ``psd_bands`` (radially averaged power of the
        relative image in wavelength octaves 4-8 ... 128-256 px, white floor removed).
    """
    e = np.asarray(electrons, float)
    mean = float(np.median(e))
    rel = _masked(e / mean - 1.0, spots, spot_radius)
    ny, nx = rel.shape
    yy, xx = np.mgrid[-1:1:ny * 1j, -1:1:nx * 1j]
    design = np.stack([np.ones_like(xx), xx, yy, xx * xx, xx * yy, yy * yy], axis=-1).reshape(-1, 6)
    coef = np.linalg.lstsq(design, rel.ravel(), rcond=None)[0]
    surface = (design @ coef).reshape(ny, nx)
    gradient_rms = float(np.std(surface))
    flat = rel - surface
    band = ndimage.gaussian_filter(flat, 2.0) - ndimage.gaussian_filter(flat, 32.0)
    noise_var = 1.0 / mean  # Poisson, relative
    # a Gaussian filter of sigma s passes 1 / (4 pi s^2) of white-noise variance
    noise_band = noise_var * (1 / (4 * np.pi * 4.0) - 2 / (4 * np.pi * (4.0 + 1024.0)) + 1 / (4 * np.pi * 1024.0))
    texture_rms = float(np.sqrt(max(np.var(band) - noise_band, 0.0)))
    # correlation length: lag where the x autocorrelation of the band falls to 1/e
    spec = np.abs(np.fft.rfft(band, axis=1)) ** 2
    acf = np.fft.irfft(spec.mean(axis=0), n=nx)
    acf = acf / acf[0]
    below = np.nonzero(acf[: nx // 2] < np.exp(-1))[0]
    lag = float(below[0]) if below.size else nx / 2
    texture_scale = float(np.sqrt(max((lag / 2) ** 2 - 2.0**2, 1.0)))
    f = np.fft.fftshift(np.abs(np.fft.fft2(flat)) ** 2) / flat.size
    fy, fx = np.meshgrid(np.fft.fftshift(np.fft.fftfreq(ny)), np.fft.fftshift(np.fft.fftfreq(nx)), indexing="ij")
    fr = np.hypot(fx, fy)
    floor = float(np.median(f[fr > 0.35]))
    bands = {}
    for lo in (4, 8, 16, 32, 64, 128):
        sel = (fr > 1.0 / (2 * lo)) & (fr <= 1.0 / lo)
        bands[f"{lo}-{2 * lo}px"] = float(max(np.mean(f[sel]) - floor, 0.0)) if np.any(sel) else None
    return {"gradient_rms": gradient_rms, "texture_rms": texture_rms, "texture_scale": texture_scale,
            "psd_bands": bands, "psd_floor": floor}


def detect_spots(image, sigma=2.0, size=9, min_distance_bg=10, n_sigma=5.0):
    """Bright spots as smoothed local maxima ``n_sigma`` robust sigmas above the local background.

    Returns ``(n, 2)`` (x, y) [px], strongest first.
    """
    img = np.asarray(image, float)
    s = ndimage.gaussian_filter(img, sigma)
    bg = ndimage.median_filter(s, size=4 * min_distance_bg + 1)
    d = s - bg
    noise = 1.4826 * np.median(np.abs(d - np.median(d)))
    peaks = (s == ndimage.maximum_filter(s, size=size)) & (d > n_sigma * noise)
    ys, xs = np.nonzero(peaks)
    order = np.argsort(-d[ys, xs])
    return np.stack([xs[order], ys[order]], axis=1).astype(float)


def _gauss(p, yy, xx):
    a, x0, y0, s, b = p
    return a * np.exp(-((xx - x0) ** 2 + (yy - y0) ** 2) / (2 * s * s)) + b


def fit_spots(electrons, spots, half=8):
    """Fit ``a exp(-r^2 / 2 s^2) + b`` in a ``(2 half + 1)^2`` window around each spot.

    Returns
    -------
    dict
        ``sigma`` (n,) [px], ``contrast`` (n,) ``a / b``, ``xy`` (n, 2) fitted centres,
        spots too close to the edge or whose fit fails are left out.
    """
    e = np.asarray(electrons, float)
    out_s, out_c, out_xy = [], [], []
    for x, y in np.asarray(spots, float).reshape(-1, 2):
        ix, iy = int(round(x)), int(round(y))
        if ix < half or iy < half or ix >= e.shape[1] - half or iy >= e.shape[0] - half:
            continue
        win = e[iy - half:iy + half + 1, ix - half:ix + half + 1]
        yy, xx = np.mgrid[-half:half + 1, -half:half + 1].astype(float)
        b0 = float(np.median(np.concatenate([win[0], win[-1], win[:, 0], win[:, -1]])))
        p0 = [max(float(win[half - 1:half + 2, half - 1:half + 2].mean()) - b0, 1e-3), 0.0, 0.0, 3.0, b0]
        try:
            res = optimize.least_squares(lambda p: (_gauss(p, yy, xx) - win).ravel(), p0,
                                         bounds=([0, -3, -3, 0.5, 0], [np.inf, 3, 3, half, np.inf]))
        except ValueError:
            continue
        a, x0, y0, s, b = res.x
        if not res.success or b <= 0 or a <= 0:
            continue
        out_s.append(s)
        out_c.append(a / b)
        out_xy.append((ix + x0, iy + y0))
    return {"sigma": np.asarray(out_s), "contrast": np.asarray(out_c), "xy": np.asarray(out_xy).reshape(-1, 2)}
