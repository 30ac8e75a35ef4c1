"""Small synthetic items for the export tests, and a content digest of export files.

Not a test module: ``test_export_dataset.py`` and ``test_export_regression.py`` import it,
and ``make_export_fixture.py`` uses it to record the pre-registry exports.
"""

import hashlib

import numpy as np

from synthstem.io.hdf5 import Item, write_item

N = 64
NAMES = ["000101.000001", "000101.000100", "000202.000001", "000303.000001",
         "000404.000001", "000404.010001"]


def make_item(name, k):
    rng = np.random.default_rng(k)
    gx, gy = np.meshgrid(np.arange(4, N - 2, 8.0), np.arange(4, N - 2, 8.0))
    xy = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-0.4, 0.4, (gx.size, 2))
    classes = ["Sr", "O+Ti", "O"] if k % 2 == 0 else ["Sr", "O"]
    labels = [classes[i % len(classes)] for i in range(len(xy))]
    r, c = np.mgrid[0:N, 0:N]
    img = 0.05 + sum(np.exp(-((c - x) ** 2 + (r - y) ** 2) / (2 * 1.3**2)) for x, y in xy)
    img = img / img.mean()
    peak = np.zeros((N, N), bool)
    peak[np.rint(xy[:, 1]).astype(int), np.rint(xy[:, 0]).astype(int)] = True
    columns = {"xy": xy, "label": labels, "counts": np.full(len(xy), 3),
               "z_sum": np.full(len(xy), 30.0), "atom_indices": [np.array([i]) for i in range(len(xy))]}
    defect = {"kind": "vacancy", "level": 1, "center_px": [30.0, 30.0], "bbox_px": [25.0, 26.0, 10.0, 8.0],
              "conditions": ["dfct1"]}
    return Item(
        name=name,
        attrs={"angstrom_xy": "13", "chemical_formula": "'Sr Ti O3'", "hkl_plane": "(0.0, 0.0, 1.0)",
               "icsd_collcode": str(int(name[:6])), "uvw_direction": "(0.0, 0.0, 1.0)"},
        raw=img * 0.003,
        images={"stem00-clean": img.astype(np.float32), "stem00-dfct1": img.astype(np.float32)},
        peak_maps={"clean": peak, "dfct1": peak},
        full_coords=np.repeat(xy, 3, axis=0).astype(np.float32),
        columns=columns, defects=[defect],
        params={"structure": {"prototype": f"proto{k % 3}", "source": "x"}},
        seed={"run_seed": 0, "item_index": k}, version="test",
    )


def write_items(folder):
    for k, name in enumerate(NAMES):
        write_item(folder / f"{name}.h5", make_item(name, k))


#: export runs recorded in baseline_digests.json (options valid before and after the registry)
RUNS = {
    "all_formats_split_augmented": dict(
        exports=["coco", "cvat", "masks", "heatmaps", "boxes"], augment={"variants": 2, "shard_size": 10},
        splits={"by": "structure", "test_fraction": 0.3, "runs": 2}, seed=3,
        image_condition=["stem00-clean", "stem00-dfct1"]),
    "prototype_split_raw_px_radii": dict(
        exports=["coco", "cvat", "masks", "heatmaps", "boxes"],
        splits={"by": "prototype", "test_fraction": 0.5, "shots": [1, 2], "runs": 3},
        augment={"variants": 2, "splits": ["train"], "shard_size": 0, "n_transforms": [3, 5]},
        radius_px=3.0, heatmap_sigma_px=2.0, image_condition="raw", seed=11),
    "photometric_min_area": dict(
        exports=["masks", "heatmaps", "cvat", "coco"], augment={"variants": 2, "transforms": ["jpeg", "intensity", "noise"]},
        image_condition=["stem00-clean"], seed=5, min_area=5),
}


def digest(path):
    """sha256 of a file's content: decoded pixels of a PNG, arrays of an ``.npz`` (so the
    digest does not depend on the zlib / Pillow version), bytes of anything else."""
    h = hashlib.sha256()
    if path.suffix == ".png":
        from PIL import Image

        with Image.open(path) as im:
            a = np.asarray(im)
            h.update(f"{im.mode}{a.shape}{a.dtype}".encode())
        h.update(a.tobytes())
    elif path.suffix == ".npz":
        with np.load(path) as z:
            for key in sorted(z.files):
                a = z[key]
                h.update(f"{key}{a.shape}{a.dtype.str}".encode())
                h.update(a.tobytes())
    else:
        h.update(path.read_bytes())
    return h.hexdigest()


def digests(root):
    """{relative path: digest} of every file under ``root``'s export folders."""
    return {str(p.relative_to(root)): digest(p) for folder in ("annotations", "augmented")
            for p in sorted((root / folder).rglob("*")) if p.is_file()}
