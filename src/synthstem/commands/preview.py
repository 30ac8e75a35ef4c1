"""``synthstem preview DIR``: a contact sheet of some items with their peak maps."""

from pathlib import Path

import numpy as np

help = "contact-sheet PNG of some items of a dataset, peak maps overlaid"


def add_arguments(parser):
    parser.add_argument("dataset", help="dataset folder (or one .h5 item)")
    parser.add_argument("--out", default=None, help="PNG path (default DATASET/preview.png)")
    parser.add_argument("-n", "--items", type=int, default=12, help="items shown (default 12)")
    parser.add_argument("--image", default="stem00-clean",
                        help="image shown per item: 'raw' or a dataset name (default stem00-clean)")
    parser.add_argument("--tile", type=int, default=256, help="tile edge [pixels]")


def _items(dataset, n):
    dataset = Path(dataset)
    if not dataset.is_dir():
        from ._checks import input_file

        return [input_file(dataset, "dataset folder or .h5 item")]
    skip = {"annotations", "augmented"}
    paths = sorted(p for p in dataset.rglob("*.h5") if not set(p.relative_to(dataset).parts[:-1]) & skip)
    if not paths:
        raise FileNotFoundError(f"no .h5 items under {dataset}")
    if len(paths) <= n:
        return paths
    pick = np.linspace(0, len(paths) - 1, n).round().astype(int)
    return [paths[i] for i in pick]


def _peak_map(item, image):
    """The peak map that goes with ``image``: that of its defect level (dfct/comb images),
    moved like the image by drift / flyback (synthstem.exports.records.condition_coords)."""
    from ..exports.records import condition_coords, defect_level as _defect_level, peak_key as _peak_key

    level = 0 if image == "raw" else _defect_level(item, image)
    pm = item.peak_maps.get(_peak_key(image, level), item.peak_maps.get("clean"))
    if pm is None or image == "raw":
        return pm
    return condition_coords(item, image, np.zeros((0, 2)), pm)[1]


def _tile(item, image, tile):
    from PIL import Image, ImageDraw

    from ..io.png import stretch

    img = item.raw if image == "raw" or image not in item.images else item.images[image]
    grey = stretch(img)
    rgb = Image.fromarray(np.stack([grey] * 3, axis=-1), mode="RGB")
    scale = tile / grey.shape[0]
    rgb = rgb.resize((tile, tile), Image.NEAREST)
    draw = ImageDraw.Draw(rgb)
    pm = _peak_map(item, image if image in item.images else "raw")
    if pm is not None:
        ys, xs = np.nonzero(pm)
        r = max(1.5, 1.5 * scale)
        for x, y in zip((xs + 0.5) * scale, (ys + 0.5) * scale):
            draw.ellipse([x - r, y - r, x + r, y + r], outline=(255, 40, 40))
    label = f"{item.name} {image if image in item.images else 'raw'}"
    draw.rectangle([0, 0, 7 * len(label) + 4, 12], fill=(0, 0, 0))
    draw.text((2, 0), label, fill=(255, 255, 0))
    return rgb


def contact_sheet(dataset, out=None, n=12, image="stem00-clean", tile=256):
    """Write a grid of ``n`` items (tiles of ``tile`` pixels) with peak maps; returns the path."""
    from PIL import Image

    from ..io.files import write_bytes
    from ._checks import hdf5_item, output_file

    if n < 1:
        raise ValueError(f"items must be >= 1, got {n}")
    if tile < 16:
        raise ValueError(f"tile must be >= 16 pixels, got {tile}")
    paths = _items(dataset, n)
    out = Path(out) if out else (Path(dataset) if Path(dataset).is_dir() else Path(dataset).parent) / "preview.png"
    output_file(out)
    cols = int(np.ceil(np.sqrt(len(paths))))
    rows = int(np.ceil(len(paths) / cols))
    sheet = Image.new("RGB", (cols * tile, rows * tile), (40, 40, 40))
    for k, p in enumerate(paths):
        sheet.paste(_tile(hdf5_item(p), image, tile), ((k % cols) * tile, (k // cols) * tile))
    import io

    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    write_bytes(out, buf.getvalue())
    return out


def run(args):
    print(contact_sheet(args.dataset, args.out, n=args.items, image=args.image, tile=args.tile))
    return 0
