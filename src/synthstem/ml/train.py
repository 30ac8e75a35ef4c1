"""Train the U-Net heatmap detector on images with point labels (``synthstem train``).

Seeded and deterministic on the CPU (``torch.use_deterministic_algorithms``; the same
dataset, parameters and thread count give the same weights). Each step takes a batch
of random ``tile x tile`` crops (random flips and 90-degree turns) of the images, resampled
to the model's pixel size and normalised (:func:`synthstem.ml.data.normalise`); the target is
one Gaussian heatmap per class (peak 1, ``sigma`` [px]); the loss is binary cross-entropy
with logits, weighted ``1 + pos_weight * target`` so the sparse atoms count.
"""

from __future__ import annotations

import time

import numpy as np

from ..io.files import atomic_path
from . import require_torch
from .data import NORMALISATIONS, heatmap, normalise, resample, to_model_coords

__all__ = ["TrainConfig", "prepare", "train"]

#: training defaults (every one recorded in the model file)
DEFAULTS = dict(pixel_size=None, sigma=1.5, width=16, depth=3, tile=128, batch=8, epochs=10, lr=2e-3,
                pos_weight=20.0, seed=0, threshold=0.5, threads=None, normalisation="global", crops=1)


def prepare(samples, pixel_size, sigma, classes, normalisation="global"):
    """Resample, normalise and make heatmap targets: list of (image (H, W), target (C, H, W))."""
    out = []
    for s in samples:
        factor = s["pixel_size"] / pixel_size
        img = normalise(resample(s["image"], factor), normalisation)
        xy = to_model_coords(s["xy"], factor)
        labels = [classes.index(c) for c in s["classes"]]
        out.append((img, heatmap(xy, labels, img.shape, len(classes), sigma)))
    return out


def _crop(img, target, tile, rng):
    ny, nx = img.shape
    if ny < tile or nx < tile:
        py, px = max(tile - ny, 0), max(tile - nx, 0)
        img = np.pad(img, ((0, py), (0, px)), mode="reflect" if min(ny, nx) > max(py, px) else "edge")
        target = np.pad(target, ((0, 0), (0, py), (0, px)))
        ny, nx = img.shape
    y, x = int(rng.integers(0, ny - tile + 1)), int(rng.integers(0, nx - tile + 1))
    img, target = img[y:y + tile, x:x + tile], target[:, y:y + tile, x:x + tile]
    k = int(rng.integers(0, 4))
    img, target = np.rot90(img, k), np.rot90(target, k, axes=(1, 2))
    if rng.integers(0, 2):
        img, target = img[:, ::-1], target[:, :, ::-1]
    return np.ascontiguousarray(img), np.ascontiguousarray(target)


def train(samples, out, progress=None, **params):
    """Train a detector and write the model file.

    Parameters
    ----------
    samples : list of dict
        From :func:`synthstem.ml.data.load_points_dataset`.
    out : str
        Model file to write (a torch checkpoint: ``state_dict``, ``config``, ``training``).
    progress : callable, optional
        Called with a one-line message after each epoch.
    **params
        Any key of ``DEFAULTS``: ``pixel_size`` [Angstrom] (default: the first sample's),
        ``sigma`` [px], ``width``, ``depth``, ``tile`` [px], ``batch``, ``epochs``, ``lr``,
        ``pos_weight``, ``seed``, ``threshold`` (recorded default of detect), ``threads``,
        ``normalisation`` (``"global"`` or ``"highpass"``, :func:`synthstem.ml.data.normalise`),
        ``crops`` (random crops per image and epoch).

    Returns
    -------
    dict
        The ``training`` record (losses per epoch, seconds, images).
    """
    torch = require_torch()
    from .unet import UNet

    unknown = sorted(set(params) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown training parameter(s): {', '.join(unknown)}")
    cfg = {**DEFAULTS, **{k: v for k, v in params.items() if v is not None}}
    if not samples:
        raise ValueError("no training samples")
    if cfg["normalisation"] not in NORMALISATIONS:
        raise ValueError(f"unknown normalisation {cfg['normalisation']!r} (one of {', '.join(NORMALISATIONS)})")
    for key in ("epochs", "batch", "width", "depth", "crops"):
        if int(cfg[key]) < 1:
            raise ValueError(f"{key} must be >= 1, got {cfg[key]}")
    if int(cfg["tile"]) % 2 ** int(cfg["depth"]):
        raise ValueError(f"tile must be a multiple of 2**depth = {2 ** int(cfg['depth'])}, got {cfg['tile']}")
    cfg["pixel_size"] = float(cfg["pixel_size"] or samples[0]["pixel_size"])
    classes = sorted({c for s in samples for c in s["classes"]}) or ["atom"]
    if cfg["threads"]:
        torch.set_num_threads(int(cfg["threads"]))
    torch.manual_seed(int(cfg["seed"]))
    torch.use_deterministic_algorithms(True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    data = prepare(samples, cfg["pixel_size"], float(cfg["sigma"]), classes, cfg["normalisation"])
    model = UNet(len(classes), int(cfg["width"]), int(cfg["depth"])).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=float(cfg["lr"]))
    steps = max(1, int(np.ceil(len(data) * int(cfg["crops"]) / int(cfg["batch"]))))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=float(cfg["lr"]), total_steps=steps * int(cfg["epochs"]))
    rng = np.random.default_rng(int(cfg["seed"]))
    losses, t0 = [], time.perf_counter()
    for epoch in range(int(cfg["epochs"])):
        model.train()
        order = np.concatenate([rng.permutation(len(data)) for _ in range(int(cfg["crops"]))])
        total = 0.0
        for step in range(steps):
            idx = order[step * int(cfg["batch"]):(step + 1) * int(cfg["batch"])]
            if idx.size == 0:
                idx = order[: int(cfg["batch"])]
            crops = [_crop(*data[i], int(cfg["tile"]), rng) for i in idx]
            x = torch.from_numpy(np.stack([c[0] for c in crops])[:, None]).to(device)
            y = torch.from_numpy(np.stack([c[1] for c in crops])).to(device)
            logits = model(x)
            w = 1.0 + float(cfg["pos_weight"]) * y
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, weight=w)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        losses.append(total / steps)
        if progress:
            progress(f"epoch {epoch + 1}/{cfg['epochs']}: loss {losses[-1]:.4f} ({time.perf_counter() - t0:.0f} s)")
    record = {"losses": losses, "seconds": time.perf_counter() - t0, "images": len(samples),
              "device": device, "torch": str(torch.__version__), "threads": torch.get_num_threads()}
    config = {k: cfg[k] for k in ("pixel_size", "sigma", "width", "depth", "threshold")}
    config.update(classes=classes, normalisation=cfg["normalisation"])
    training = {k: cfg[k] for k in ("tile", "batch", "epochs", "crops", "lr", "pos_weight", "seed")}
    training.update(record)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    with atomic_path(out) as tmp:
        torch.save({"format": "synthstem-detector-1", "state_dict": state, "config": config,
                    "training": training}, tmp)
    return training
