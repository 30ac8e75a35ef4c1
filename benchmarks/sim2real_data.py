"""Training data of the sim-to-real recipe (benchmarks/sim2real.py): supported Pt atoms.

Scenes: ``synthstem.scenes.supported.build_supported`` (amorphous N-doped carbon film with a
thickness map, vacuum edges, holes, texture; Pt atoms, pairs, small clusters).

Image model (named approximation, the recipe's own): *image-space incoherent imaging*. Each
atom deposits ``Z**1.7`` (bilinear) on the scan grid, and the sum is convolved with a
Gaussian spot of the calibrated width (probe, source size, vibration and scan noise
together, as measured on the real spots). No channelling, no probe tails. It was chosen for
speed (a 512 x 512 image of 10^5 atoms in well under a second) because the dynamical methods
cost minutes per image on this 2-core machine; `simulate(method="incoherent")` sums a
structure factor over all atoms and pixels (10^5 x 512 x 512), too slow for a training set.

Calibration variants (``VARIANTS``), for the ablation:
- ``before``: the default condition 'clean' (atomagined noise) and a 1.7 px spot, no
  contrast matching: what a new user gets;
- ``spots``: + calibrated spot width and atom contrast (background from the thickness map);
- ``noise``: + calibrated dose (with its image-to-image spread), detector offset, gain and
  integer counts;
- ``full``: + scan streaks (row gain with the fitted spectrum) and a thicker support
  (``stack_support``) whose granularity gives the measured mid-scale texture.

Every image is drawn from ``numpy.random.default_rng([seed, index])``: same seed, same set.
Per image, one real image's calibration record (chosen at random) supplies the condition
(an empirical condition distribution over the calibration images).
"""

from __future__ import annotations

import json
import os

import numpy as np
from scipy import ndimage

from synthstem.noise.conditions import CONDITIONS, Condition
from synthstem.scenes.base import SITE_KEY
from synthstem.scenes.supported import build_supported

VARIANTS = ("before", "spots", "noise", "full")
#: rendered / wanted spot sigma, from fitting generated images (calibration table, SIM2REAL.md)
SPOT_MATCH = 0.85
#: spot sigma [Angstrom] of the uncalibrated 'before' variant (a 0.5 A probe-sized spot)
BEFORE_SPOT_ANGSTROM = 0.5


def draw_scene(rng, size):
    """A supported-Pt scene with randomised support (the recipe's scene distribution)."""
    return build_supported(
        rng=rng, size=size, support="CN", thickness=float(rng.uniform(30, 70)),
        thickness_amplitude=float(rng.uniform(0.05, 0.3)), correlation_length=float(rng.uniform(20, 60)),
        vacuum_fraction=float(rng.choice([0.0, 0.0, 0.0, 0.15, 0.3])), holes=int(rng.integers(0, 3)),
        texture_amplitude=float(rng.uniform(0.05, 0.25)), texture_length=float(rng.uniform(5, 20)),
        heavy="Pt", heavy_density=float(rng.uniform(0.08, 0.45)), group_fractions=(0.85, 0.1, 0.05),
        cluster_size=(3, 5), sites=(0.45, 0.45, 0.1))


def deposit(xy, weights, n):
    """Bilinear deposit of ``weights`` at pixel coordinates ``xy`` on a periodic ``n x n`` grid."""
    out = np.zeros((n, n))
    x0, y0 = np.floor(xy[:, 0]).astype(int), np.floor(xy[:, 1]).astype(int)
    fx, fy = xy[:, 0] - x0, xy[:, 1] - y0
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            np.add.at(out, ((y0 + dy) % n, (x0 + dx) % n), weights * wx * wy)
    return out


def render_scene(scene, pixel, n):
    """``(support, heavy, xy)``: unblurred Z^1.7 deposits of the support and heavy atoms, and
    the heavy atoms' pixel positions (x, y)."""
    a = scene.atoms
    xy = a.positions[:, :2] / pixel
    w = a.get_atomic_numbers().astype(float) ** 1.7
    heavy = a.arrays[SITE_KEY] != ""
    return deposit(xy[~heavy], w[~heavy], n), deposit(xy[heavy], w[heavy], n), xy[heavy]


def _record(calibration, rng):
    images = calibration["images"]
    return images[sorted(images)[int(rng.integers(0, len(images)))]]


def stack_support(raw, others, rng, layers=(2, 6)):
    """A thicker film: the scene's support deposit plus those of ``k`` other scenes
    (``k`` uniform in ``layers``), kept only where this scene has support (its vacuum and
    holes stay empty). Projections of independent amorphous slabs add in the incoherent
    model, so this is a film ``k + 1`` times as thick (real supports: tens of nm) at the
    cost of rendering one thin film."""
    support = raw[0]
    if not others:
        return support
    k = int(rng.integers(layers[0], layers[1] + 1))
    idx = rng.choice(len(others), size=min(k, len(others)), replace=False)
    smooth = ndimage.gaussian_filter(support, 4.0, mode="wrap")
    mask = smooth > 0.25 * np.median(smooth[smooth > 0]) if np.any(smooth > 0) else np.ones_like(support, bool)
    return support + mask * sum(others[i][0] for i in idx)


def make_image(raw, variant, calibration, pixel, rng, others=()):
    """Noisy image (float64) of one rendered scene under a calibration variant, and its record.

    ``others``: rendered scenes whose supports thicken this one's (``stack_support``; the
    ``full`` variant only)."""
    support, heavy, _ = raw
    if variant == "full":
        support = stack_support(raw, list(others), rng)
    if variant == "before":
        sigma = BEFORE_SPOT_ANGSTROM / pixel
        img = ndimage.gaussian_filter(support + heavy, sigma, mode="wrap")
        out = CONDITIONS["clean"].apply(img, rng=rng)
        return out, {"variant": variant, "spot_sigma_px": sigma, "condition": "clean"}
    rec = _record(calibration, rng)
    det = calibration["detector"]
    # spot width: the median over the calibration images (one image's fit is 7 px: clusters
    # and a defocused frame), +-10 %, times SPOT_MATCH: the same fit on generated images
    # measured 4.6 px for a rendered 3.9 px (pairs and clusters in the window), so one
    # iteration of matching the measured width
    sigma = calibration["spot_sigma_median"] * SPOT_MATCH * float(rng.uniform(0.9, 1.1))
    s_img = ndimage.gaussian_filter(support, sigma, mode="wrap")
    h_img = ndimage.gaussian_filter(heavy, sigma, mode="wrap")
    # extra background (thicker support than the film, carbon contamination) to reach the
    # calibrated single-atom contrast; it follows the film's thickness (background_map)
    peak = 78.0**1.7 / (2 * np.pi * sigma * sigma)
    supported = s_img > 0.2 * np.median(s_img[s_img > 0]) if np.any(s_img > 0) else np.ones_like(s_img, bool)
    level = float(np.mean(s_img[supported])) if np.any(supported) else 0.0
    contrast = rec["spot_contrast"] * float(rng.uniform(0.8, 1.25))
    extra = max(peak / contrast - level, 0.0)
    img = s_img + h_img
    # the thickness map of the (stacked) support: its deposit smoothed over 30 px (~9 A), so
    # that the atomic granularity is not amplified by the extra background
    bmap = ndimage.gaussian_filter(support, 30.0, mode="wrap") + 1e-3 * max(level, 1.0)
    params = {"blur": 0.0, "scan": 0.0, "background": extra / float(img.mean())}
    if variant == "spots":
        params.update(counts=400.0)
    else:
        params.update(counts=rec["dose"], quantise=True, detector_offset=max(det["offset"], 0.0),
                      detector_gain=det["gain"])
    if variant == "full":
        params.update(row_gain=rec["row_gain"], row_exponent=rec["row_exponent"])
    cond = Condition("calibrated", **params)
    out = cond.apply(img, rng=rng, background_map=bmap)
    return out, {"variant": variant, "spot_sigma_px": sigma, "contrast_target": contrast,
                 "condition": {k: v for k, v in cond.to_dict().items() if k != "name"}}


def write_points_folder(folder, raws, variant, calibration, pixel, seed, start=0):
    """Write a points folder (images/*.npy, labels/*.csv, dataset.json) of one variant."""
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    os.makedirs(os.path.join(folder, "labels"), exist_ok=True)
    records = {}
    for k, raw in enumerate(raws):
        rng = np.random.default_rng([seed, 1, start + k])
        img, rec = make_image(raw, variant, calibration, pixel, rng, others=raws[:k] + raws[k + 1:])
        name = f"gen{start + k:04d}"
        np.save(os.path.join(folder, "images", name + ".npy"), img.astype(np.float32))
        with open(os.path.join(folder, "labels", name + ".csv"), "w") as fh:
            fh.write(",X,Y,class\n" + "".join(f"{i},{x:.3f},{y:.3f},Pt\n" for i, (x, y) in enumerate(raw[2])))
        records[name] = rec
    with open(os.path.join(folder, "dataset.json"), "w") as fh:
        json.dump({"pixel_size": pixel, "variant": variant, "seed": seed, "records": records}, fh)
    return folder


def render_all(n_scenes, seed, pixel, n, start=0, cache=None):
    """Rendered scenes ``[(support, heavy, xy), ...]``, scene ``k`` from ``default_rng([seed, 0, k])``.

    With ``cache`` (a folder), each scene is stored as ``scene-<seed>-<n>-<k>.npz`` and read back
    when present, so several processes can render disjoint ranges in parallel.
    """
    raws = []
    for k in range(start, start + n_scenes):
        path = None if cache is None else os.path.join(cache, f"scene-{seed}-{n}-{pixel:.4f}-{k}.npz")
        if path is not None and os.path.exists(path):
            with np.load(path) as z:
                raws.append((z["support"], z["heavy"], z["xy"]))
            continue
        scene = draw_scene(np.random.default_rng([seed, 0, k]), size=pixel * n)
        raw = render_scene(scene, pixel, n)
        if path is not None:
            os.makedirs(cache, exist_ok=True)
            tmp = path + f".{os.getpid()}.tmp.npz"
            np.savez(tmp, support=raw[0], heavy=raw[1], xy=raw[2])
            os.replace(tmp, path)
        raws.append(raw)
    return raws
