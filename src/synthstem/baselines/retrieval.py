"""Classical retrieval descriptor: a rotation- and translation-tolerant power spectrum.

For an image: subtract the mean, apply a Hann window, take the power spectrum |FFT|^2
(invariant to translations, which is what separates a target from its shifted twin),
``log1p`` it, resample it on a polar grid (``n_radii`` radii up to ``k_max`` [1/px],
``n_angles`` angles over pi, the spectrum being centrosymmetric), and keep the magnitude
of the angular Fourier series of each radius up to harmonic ``n_harmonics``: a rotation
of the image shifts the angle, which changes only phases. The descriptor is standardised
(zero mean, unit norm); similarity is the dot product (cosine).

Ranking a target against the choices: a choice item's score is the best similarity of
any of its images.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["descriptor", "rank_choices", "predict_retrieval"]


def descriptor(image, n_radii=48, n_angles=90, n_harmonics=12, k_max=0.35):
    """1D float64 descriptor of an image (see module docstring); ``k_max`` [1/px] <= 0.5."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2 or min(image.shape) < 8:
        raise ValueError(f"image must be 2D and at least 8 x 8, got shape {image.shape}")
    if not 0 < k_max <= 0.5:
        raise ValueError(f"k_max must be in (0, 0.5] [1/px], got {k_max}")
    h, w = image.shape
    window = np.outer(np.hanning(h), np.hanning(w))
    power = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2((image - image.mean()) * window))) ** 2)
    k = np.linspace(k_max / n_radii, k_max, n_radii)
    theta = np.linspace(0, np.pi, n_angles, endpoint=False)
    rows = h / 2 + np.outer(k * h, np.sin(theta))
    cols = w / 2 + np.outer(k * w, np.cos(theta))
    polar = ndimage.map_coordinates(power, [rows, cols], order=1, mode="nearest")
    d = np.abs(np.fft.rfft(polar, axis=1))[:, : n_harmonics + 1].ravel()
    d -= d.mean()
    norm = np.linalg.norm(d)
    return d / norm if norm > 0 else d


def rank_choices(target_descriptors, choice_descriptors, choice_items, top=10):
    """Ranked choice items per target (best first).

    Parameters
    ----------
    target_descriptors : (T, D) array
    choice_descriptors : (C, D) array, one row per choice *image*
    choice_items : sequence (C,) of the item each choice image belongs to
    top : int, items returned per target

    Returns
    -------
    list of T lists of item names.
    """
    sim = np.asarray(target_descriptors) @ np.asarray(choice_descriptors).T
    items = sorted(set(choice_items))
    col = {it: k for k, it in enumerate(items)}
    best = np.full((sim.shape[0], len(items)), -np.inf)
    idx = np.array([col[it] for it in choice_items])
    for j in range(sim.shape[1]):
        best[:, idx[j]] = np.maximum(best[:, idx[j]], sim[:, j])
    order = np.argsort(-best, axis=1, kind="stable")[:, :top]
    return [[items[j] for j in row] for row in order]


def predict_retrieval(targets, choices, top=10, **options):
    """Prediction JSON object (``synthstem eval retrieval``) from two
    :func:`synthstem.open_dataset` datasets (the targets' images and the choices' images)."""
    t_names, t_desc = [], []
    for i in range(len(targets)):
        s = targets[i]
        t_names.append(s["name"])
        t_desc.append(descriptor(s["image"], **options))
    c_items, c_desc = [], []
    for i in range(len(choices)):
        s = choices[i]
        c_items.append(s["item"])
        c_desc.append(descriptor(s["image"], **options))
    ranked = rank_choices(np.array(t_desc), np.array(c_desc), c_items, top=top)
    return dict(zip(t_names, ranked))
