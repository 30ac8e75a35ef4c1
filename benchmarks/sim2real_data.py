"""Training data of the sim-to-real recipe (benchmarks/sim2real.py): supported Pt atoms.

Scenes: ``synthstem.scenes.supported.build_supported`` (amorphous N-doped carbon film with a
thickness map, vacuum edges, holes, texture; Pt atoms, pairs, small clusters).

Images: the project's simulator, ``synthstem.simulate(..., method="incoherent", phonons=0)``
(per-element detector cross-sections, depth-resolved probe; docs/physics.md), with a
``Microscope`` drawn per scene (``draw_microscope``): 200 kV, 20 mrad, a source size that
brings the spot to the calibrated width, defocus anywhere in the film +-20 A, focal spread
20-60 A, Cs +-5 um, so atoms away from focus are blurred (depth of field ~110 A). The
support and the heavy atoms are simulated separately and summed (the incoherent image is
linear in the atoms, so the sum is the image of the whole scene) so that the calibrated
single-atom contrast can be set (below).

Named approximation of the recipe (not of the simulator): the real supports are tens of nm
thick, the rendered film 30-70 A (a 300 A film is ~10^6 atoms). The missing support is an
extra background that follows the film's smoothed projected signal (``background_map`` of
``noise.conditions.Condition``), scaled so the single-atom contrast (peak / local background)
matches one real image's calibrated value; the ``full`` variant also adds the simulated
supports of 2-6 other scenes (``stack_support``: projections of independent slabs add in the
incoherent model), for the film's granularity.

Calibration variants (``VARIANTS``), for the ablation:
- ``spots``: calibrated spot width (probe) and atom contrast, Poisson at 400 e/px;
- ``noise``: + calibrated dose (with its image-to-image spread), detector offset, gain and
  integer counts;
- ``full``: + scan streaks (row gain with the fitted spectrum) and a thicker support
  (``stack_support``);
- ``matched``: ``full`` with the spot width, atom contrast and row gain each scaled by real /
  generated of that statistic, as ``calibrate`` measures it on ``full`` images (``MATCH``):
  the calibration closed once around the generator.

Every image is drawn from ``numpy.random.default_rng([seed, index])``: same seed, same set.
Per image, one real image's calibration record (chosen at random) supplies the condition
(an empirical condition distribution over the calibration images).
"""

from __future__ import annotations

import json
import os

import numpy as np
from scipy import ndimage

from synthstem import simulate
from synthstem.noise.conditions import Condition
from synthstem.physics.optics import Microscope
from synthstem.labels.focus import in_focus
from synthstem.scenes.base import INSTANCE_KEY, SITE_KEY
from synthstem.scenes.supported import build_supported

VARIANTS = ("spots", "noise", "full", "matched", "deep")
#: simulated / wanted spot sigma: the fit on generated images measures wider than rendered (SIM2REAL.md)
SPOT_MATCH = 0.85
#: the ``matched`` variant: ``full`` with each statistic's generator setting scaled by real / generated
#: as measured by ``calibrate`` on generated images of ``full`` (SIM2REAL.md, calibration table):
#: spot sigma 3.90 / 4.30 px, single-atom contrast 0.284 / 0.342, row-to-row 0.0220 / 0.0403
MATCH = {"spot": 3.90 / 4.30, "contrast": 0.284 / 0.342, "row_gain": 0.0220 / 0.0403}
#: Gaussian sigma [Angstrom] of the intensity of the aberration-free 200 kV, 20 mrad probe
#: (FWHM 0.51 lambda / alpha = 0.64 A); the source size adds in quadrature
PROBE_SIGMA = 0.27


def draw_scene(rng, size):
    """A supported-Pt scene with randomised support (the recipe's scene distribution)."""
    return build_supported(
        rng=rng, size=size, support="CN", thickness=float(rng.uniform(30, 70)),
        thickness_amplitude=float(rng.uniform(0.05, 0.3)), correlation_length=float(rng.uniform(20, 60)),
        vacuum_fraction=float(rng.choice([0.0, 0.0, 0.0, 0.15, 0.3])), holes=int(rng.integers(0, 3)),
        texture_amplitude=float(rng.uniform(0.05, 0.25)), texture_length=float(rng.uniform(5, 20)),
        heavy="Pt", heavy_density=float(rng.uniform(0.08, 0.45)), group_fractions=(0.85, 0.1, 0.05),
        cluster_size=(3, 5), sites=(0.45, 0.45, 0.1))


def draw_microscope(rng, spot_sigma, thickness):
    """Microscope of one scene: the source size brings the spot to ``spot_sigma`` [Angstrom]
    (with the probe's own width ``PROBE_SIGMA``), focus anywhere in a film of ``thickness``
    [Angstrom] +-20 A, focal spread 20-60 A, Cs +-5 um (an aberration-corrected instrument)."""
    return Microscope(
        energy=200e3, convergence=20.0, source_size=float(np.sqrt(max(spot_sigma**2 - PROBE_SIGMA**2, 0.0))),
        defocus=float(rng.uniform(-20.0, thickness + 20.0)), focal_spread=float(rng.uniform(20.0, 60.0)),
        Cs=float(rng.uniform(-5e4, 5e4)))


#: ``deep`` variant: fraction of the heavy-atom groups moved into the missing support, and the
#: range [Angstrom] of that support's thickness (the real one is ~10x the 30-70 A film: the
#: single-atom contrast, SIM2REAL.md)
DEEP_FRACTION = 0.5
DEEP_RANGE = (100.0, 400.0)


def deepen(atoms, heavy, rng, extra):
    """Move a random ``DEEP_FRACTION`` of the heavy-atom groups (``INSTANCE_KEY``: a pair or a
    cluster moves as one) down by ``U(0, extra)`` [Angstrom] each: Pt anywhere in a support
    ``extra`` thicker than the simulated film (a porous support; the missing thickness is the
    recipe's extra background). Returns a copy with the cell deep enough."""
    a = atoms.copy()
    ids = a.arrays[INSTANCE_KEY]
    z = a.positions[:, 2].copy()
    for g in np.unique(ids[heavy]):
        if rng.random() < DEEP_FRACTION:
            z[heavy & (ids == g)] += rng.uniform(0.0, extra)
    a.positions[:, 2] = z
    cell = a.cell.lengths()
    a.set_cell([cell[0], cell[1], max(cell[2], float(z.max()) + 1.0)])
    return a


def deep_scene(atoms, heavy, microscope, rng):
    """The ``deep`` variant's atoms (``deepen`` with a support thickness drawn from
    ``DEEP_RANGE``) and its labelled atoms: the heavy ones within the depth of field."""
    a = deepen(atoms, heavy, rng, float(rng.uniform(*DEEP_RANGE)))
    return a, heavy & in_focus(a.positions[:, 2], microscope)


def render_scene(scene, microscope, n, rng=None):
    """``(support, heavy, xy)``: incoherent images (``synthstem.simulate``) of the support and
    of the heavy atoms, ``n x n`` px over the scene, and the labelled heavy atoms' pixel
    positions (x, y): all of them, or with ``rng`` (the ``deep`` variant) the scene's heavy
    atoms partly moved deep into a thicker support (``deepen``) and only those within the
    probe's depth of field labelled (``synthstem.labels.focus.in_focus``: the others are
    blurred blobs an annotator does not mark; the real labels are of visible atoms)."""
    a = scene.atoms
    pixel = a.cell.lengths()[0] / n
    heavy = a.arrays[SITE_KEY] != ""
    labelled = heavy
    if rng is not None:
        a, labelled = deep_scene(a, heavy, microscope, rng)
    imgs = [simulate(a[sel], microscope, pixels=n, method="incoherent", phonons=0, workers=1).image
            if np.any(sel) else np.zeros((n, n)) for sel in (~heavy, heavy)]
    return imgs[0], imgs[1], a.positions[labelled, :2] / pixel


def _record(calibration, rng):
    images = calibration["images"]
    return images[sorted(images)[int(rng.integers(0, len(images)))]]


def stack_support(raw, others, rng, layers=(2, 6)):
    """A thicker film: the scene's simulated support image plus those of ``k`` other scenes
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


def single_atom_peak(heavy, xy):
    """Median of the heavy-atom image at the heavy atoms' pixels: a single atom's peak
    (85 % of the atoms are isolated), at the scene's defocus."""
    if len(xy) == 0:
        return float(heavy.max()) if heavy.size else 0.0
    n = heavy.shape[0]
    ij = np.rint(xy).astype(int) % n
    return float(np.median(heavy[ij[:, 1], ij[:, 0]]))


def make_image(raw, variant, calibration, pixel, rng, others=()):
    """Noisy image (float64) of one simulated scene under a calibration variant, and its record.

    ``others``: simulated scenes whose supports thicken this one's (``stack_support``; the
    ``full`` variant only)."""
    support, heavy, xy = raw[:3]
    if variant in ("full", "matched", "deep"):
        support = stack_support(raw, list(others), rng)
    rec = _record(calibration, rng)
    det = calibration["detector"]
    # extra background (the real support is thicker than the simulated film) to reach the
    # calibrated single-atom contrast; it follows the film's smoothed signal (background_map)
    peak = single_atom_peak(heavy, xy)
    supported = support > 0.2 * np.median(support[support > 0]) if np.any(support > 0) else np.ones_like(support, bool)
    level = float(np.mean(support[supported])) if np.any(supported) else 0.0
    contrast = rec["spot_contrast"] * float(rng.uniform(0.8, 1.25)) * (MATCH["contrast"] if variant == "matched" else 1.0)
    extra = max(peak / contrast - level, 0.0)
    img = support + heavy
    # the thickness map of the (stacked) support: its image smoothed over 30 px (~9 A), so
    # that the atomic granularity is not amplified by the extra background
    bmap = ndimage.gaussian_filter(support, 30.0, mode="wrap") + 1e-3 * max(level, 1e-12)
    params = {"blur": 0.0, "scan": 0.0, "background": extra / float(img.mean())}
    if variant == "spots":
        params.update(counts=400.0)
    else:
        params.update(counts=rec["dose"], quantise=True, detector_offset=max(det["offset"], 0.0),
                      detector_gain=det["gain"])
    if variant in ("full", "matched", "deep"):
        gain = rec["row_gain"] * (MATCH["row_gain"] if variant == "matched" else 1.0)
        params.update(row_gain=gain, row_exponent=rec["row_exponent"])
    cond = Condition("calibrated", **params)
    out = cond.apply(img, rng=rng, background_map=bmap)
    return out, {"variant": variant, "contrast_target": contrast, "single_atom_peak": peak,
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
        records[name] = dict(rec, microscope=raw[3] if len(raw) > 3 else None)
    with open(os.path.join(folder, "dataset.json"), "w") as fh:
        json.dump({"pixel_size": pixel, "variant": variant, "seed": seed, "records": records}, fh)
    return folder


def render_all(n_scenes, seed, pixel, n, spot_sigma, start=0, cache=None, deep=False):
    """Simulated scenes ``[(support, heavy, xy, microscope), ...]``: scene ``k`` from
    ``default_rng([seed, 0, k])``, its microscope from ``default_rng([seed, 2, k])``
    (``draw_microscope`` with the spot sigma ``spot_sigma`` [Angstrom] +-10 %).

    With ``cache`` (a folder), each scene is stored as an ``.npz`` and read back when
    present, so several processes can render disjoint ranges in parallel.
    """
    raws = []
    for k in range(start, start + n_scenes):
        path = None if cache is None else os.path.join(
            cache, f"scene-inc{'-deep' if deep else ''}-{seed}-{n}-{pixel:.4f}-{spot_sigma:.4f}-{k}.npz")
        if path is not None and os.path.exists(path):
            with np.load(path) as z:
                raws.append((z["support"], z["heavy"], z["xy"], json.loads(str(z["microscope"]))))
            continue
        scene = draw_scene(np.random.default_rng([seed, 0, k]), size=pixel * n)
        z = scene.atoms.positions[:, 2]
        mrng = np.random.default_rng([seed, 2, k])
        mic = draw_microscope(mrng, spot_sigma * float(mrng.uniform(0.9, 1.1)), float(np.ptp(z)) if len(z) else 0.0)
        support, heavy, xy = render_scene(scene, mic, n, np.random.default_rng([seed, 3, k]) if deep else None)
        raw = (support, heavy, xy, mic.to_dict())
        if path is not None:
            os.makedirs(cache, exist_ok=True)
            tmp = path + f".{os.getpid()}.tmp.npz"
            np.savez(tmp, support=support, heavy=heavy, xy=xy, microscope=json.dumps(raw[3]))
            os.replace(tmp, path)
        raws.append(raw)
    return raws
