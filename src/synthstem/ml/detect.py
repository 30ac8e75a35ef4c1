"""Apply a trained detector to images of any size (``synthstem detect``).

Each image is resampled to the model's pixel size, normalised, run through the U-Net
in overlapping tiles (each tile's centre kept), and the local maxima of each class's
heatmap (sigmoid) above the threshold become ``[x, y, class, score]`` in the input
image's pixels (x = column, y = row).
"""

from __future__ import annotations

import numpy as np

from . import require_torch
from .data import NORMALISATIONS, from_model_coords, normalise, peaks, resample

__all__ = ["detect_image", "load_ensemble", "load_model"]


def load_model(path):
    """``(model, config)`` from a model file written by :func:`synthstem.ml.train.train`."""
    torch = require_torch()
    from .unet import UNet

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as err:
        raise ValueError(f"{path}: not a synthstem detector model ({type(err).__name__})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != "synthstem-detector-1":
        raise ValueError(f"{path}: not a synthstem detector model (no 'format: synthstem-detector-1')")
    cfg = ckpt["config"]
    model = UNet(len(cfg["classes"]), int(cfg["width"]), int(cfg["depth"]))
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    if cfg.get("normalisation") not in NORMALISATIONS:  # models before 0.3 recorded the formula
        cfg = {**cfg, "normalisation": "global"}
    return model, {**cfg, "training": ckpt.get("training", {})}


#: model settings that must agree for an ensemble to average its heatmaps
ENSEMBLE_KEYS = ("pixel_size", "classes", "depth", "normalisation")


def load_ensemble(paths):
    """``(models, config)`` of several model files that share ``ENSEMBLE_KEYS`` (their
    heatmaps are averaged by :func:`detect_image`); the config is the first model's, its
    ``threshold`` the mean of theirs."""
    loaded = [load_model(p) for p in paths]
    if not loaded:
        raise ValueError("no model files")
    first = loaded[0][1]
    for p, (_, cfg) in zip(paths[1:], loaded[1:]):
        for key in ENSEMBLE_KEYS:
            if cfg[key] != first[key]:
                raise ValueError(f"{p}: {key} {cfg[key]!r} differs from {paths[0]}'s {first[key]!r}: "
                                 "not one ensemble")
    config = {**first, "threshold": float(np.mean([c["threshold"] for _, c in loaded])),
              "ensemble": [str(p) for p in paths]}
    return [m for m, _ in loaded], config


def _windows(n, tile, margin):
    if n <= tile:
        return [(0, n, 0, n)]
    step = tile - 2 * margin
    starts = list(range(0, n - tile, step)) + [n - tile]
    out = []
    for k, s in enumerate(starts):
        keep0 = 0 if k == 0 else s + margin
        keep1 = n if k == len(starts) - 1 else s + tile - margin
        out.append((s, s + tile, keep0, keep1))
    return out


def heatmaps(model, config, image, tile=512, margin=32):
    """Sigmoid heatmaps ``(classes, H, W)`` of a normalised model-scale image, tiled;
    ``model`` may be a list (an ensemble): the mean of the members' heatmaps."""
    if isinstance(model, (list, tuple)):
        return np.mean([heatmaps(m, config, image, tile, margin) for m in model], axis=0)
    torch = require_torch()
    mult = 2 ** int(config["depth"])
    ny, nx = image.shape
    py, px = (-ny) % mult, (-nx) % mult
    img = np.pad(image, ((0, py), (0, px)), mode="reflect" if min(ny, nx) > max(py, px, 1) else "edge")
    tile = max(mult, tile // mult * mult)
    out = np.zeros((len(config["classes"]), *img.shape), np.float32)
    with torch.no_grad():
        for y0, y1, ky0, ky1 in _windows(img.shape[0], tile, margin):
            for x0, x1, kx0, kx1 in _windows(img.shape[1], tile, margin):
                x = torch.from_numpy(np.ascontiguousarray(img[y0:y1, x0:x1])[None, None])
                h = torch.sigmoid(model(x))[0].numpy()
                out[:, ky0:ky1, kx0:kx1] = h[:, ky0 - y0:ky1 - y0, kx0 - x0:kx1 - x0]
    return out[:, :ny, :nx]


def detect_image(model, config, image, pixel_size, threshold=None, tile=512):
    """Detections ``[[x, y, class, score], ...]`` [input pixels] of one image.

    Parameters
    ----------
    model : torch.nn.Module or list of them
        From :func:`load_model`, or an ensemble from :func:`load_ensemble` (mean heatmap).
    pixel_size : float
        The image's pixel size [Angstrom]; the image is rescaled to the model's.
    threshold : float, optional
        Heatmap threshold (default: the model's recorded one).
    """
    if pixel_size is None or not np.isfinite(pixel_size) or pixel_size <= 0:
        raise ValueError(f"pixel size must be a positive number [Angstrom], got {pixel_size!r}")
    threshold = float(config["threshold"] if threshold is None else threshold)
    factor = pixel_size / float(config["pixel_size"])
    img = normalise(resample(image, factor), config.get("normalisation", "global"))
    if min(img.shape) < 8:
        raise ValueError(f"image of {image.shape} px is smaller than 8 model pixels after rescaling")
    heat = heatmaps(model, config, img, tile=tile)
    out = []
    for c, name in enumerate(config["classes"]):
        xy, score = peaks(heat[c], threshold)
        xy = from_model_coords(xy, factor)
        out += [[float(x), float(y), name, float(s)] for (x, y), s in zip(xy, score)]
    out.sort(key=lambda d: -d[3])
    return out
