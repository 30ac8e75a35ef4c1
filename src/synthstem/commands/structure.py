"""``synthstem structure``: list prototypes and preview projected columns.

Examples::

    synthstem structure list
    synthstem structure list --decorations
    synthstem structure preview perovskite rutile my.cif --uvw 0,0,1 --uvw 1,1,0 --out preview.png
    synthstem structure preview perovskite/BaTiO3 --zone-axes 4 --size 25 --pixels 256 --out sheet.png
"""

import os

import numpy as np

from ..parsing import UVW_HELP, allow_negative_values, parse_uvw

help = "list structure prototypes, preview projected atom columns as a PNG contact sheet"


def add_arguments(parser):
    sub = parser.add_subparsers(dest="structure_command", metavar="ACTION")
    p = sub.add_parser("list", help="prototype names with crystal system and space group")
    p.add_argument("--decorations", action="store_true", help="also list each prototype's named decorations")
    p = sub.add_parser("preview", help="PNG contact sheet of projected columns")
    allow_negative_values(p)  # '--uvw -1,1,0'
    p.add_argument("sources", nargs="+", metavar="NAME_OR_FILE",
                   help="prototype name ('perovskite', 'perovskite/BaTiO3') or structure file (CIF, ...)")
    p.add_argument("--uvw", action="append", default=None, metavar="U,V,W",
                   help=UVW_HELP + " (repeatable; default 0,0,1)")
    p.add_argument("--zone-axes", type=int, default=None, metavar="N",
                   help="use the first N symmetry-distinct zone axes of each structure instead of --uvw")
    p.add_argument("--size", type=float, default=25.0, help="cube edge [Angstrom] (default 25)")
    p.add_argument("--pixels", type=int, default=256, help="tile edge [pixels] (default 256)")
    p.add_argument("--out", default="preview.png", help="output PNG path (default preview.png)")


def _list(args):
    from ase.spacegroup import Spacegroup

    from ..structures.prototypes import decorations, prototype_info, prototypes

    names = prototypes()
    width = max(len(n) for n in names)
    for name in names:
        info = prototype_info(name)
        symbol = Spacegroup(info["spacegroup"]).symbol
        line = f"{name:<{width}}  {info['system']:<12}  {symbol:<12} ({info['spacegroup']:>3})  {info['description']}"
        print(line)
        if args.decorations:
            print(" " * (width + 2) + "decorations: " + ", ".join(decorations(name)))
    print(f"{len(names)} prototypes")
    return 0


def render_tile(cell, pixels, label=""):
    """Render projected columns of an `OrientedCell` as an RGB uint8 image (pixels, pixels, 3).

    Dots are coloured by the heaviest element of the column (Jmol colours) and sized by
    its atomic number; heavier columns are drawn last.
    """
    from ase.data.colors import jmol_colors
    from PIL import Image, ImageDraw

    from ..structures.columns import merge_columns

    cols = merge_columns(cell, pixels)
    image = Image.new("RGB", (pixels, pixels), (16, 16, 24))
    draw = ImageDraw.Draw(image)
    scale = pixels / cell.size  # [pixels / Angstrom]
    heaviest = np.array([max(cell.atoms.numbers[g]) for g in cols.atom_indices], dtype=int) if len(cols) else []
    for k in np.argsort(heaviest, kind="stable"):
        z = int(heaviest[k])
        radius = max(1.0, (0.18 + 0.035 * z ** 0.6) * scale)
        x, y = cols.xy[k] + 0.5  # pixel-centre convention -> PIL's continuous coordinates
        rgb = jmol_colors[z] if z < len(jmol_colors) else (0.6, 0.6, 0.6)  # Jmol stops at Z = 109
        colour = tuple(int(255 * c) for c in rgb)
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour)
    if label:
        draw.rectangle([0, 0, pixels, 12], fill=(0, 0, 0))
        draw.text((2, 0), label, fill=(255, 255, 255))
    return np.asarray(image)


def _png_bytes(image):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image, mode="RGB").save(buf, format="PNG")
    return buf.getvalue()


def _preview(args):
    from ..io.files import write_bytes
    from ._checks import crystal, output_file
    from ..structures.orient import orient
    from ..structures.readers import load_structure
    from ..structures.zone_axes import zone_axes

    if args.pixels < 16:
        raise ValueError(f"--pixels must be at least 16, got {args.pixels}")
    if not 0 < args.size <= 500:
        raise ValueError(f"--size must be in (0, 500] Angstrom, got {args.size}")
    if args.zone_axes is not None and args.zone_axes < 1:
        raise ValueError(f"--zone-axes must be a positive integer, got {args.zone_axes}")
    fixed = [parse_uvw(t, "--uvw") for t in (args.uvw or ["0,0,1"])]
    output_file(args.out)
    loaded = [load_structure(source) for source in args.sources]  # every input read before writing
    for source, (atoms, _, _) in zip(args.sources, loaded):
        crystal(atoms, source, args.size)
    rows = []
    for source, (atoms, source_id, _) in zip(args.sources, loaded):
        axes = zone_axes(atoms)[: args.zone_axes] if args.zone_axes else fixed
        tiles = []
        for uvw in axes:
            try:
                cell = orient(atoms, uvw, size=args.size, source=source_id)
            except ValueError as err:
                raise ValueError(f"{source} [{' '.join(map(str, uvw))}]: {err}") from None
            name = os.path.basename(source) if os.path.exists(source) else source
            label = f"{name} [{' '.join(str(i) for i in uvw)}] {cell.formula}"
            tiles.append(render_tile(cell, args.pixels, label))
        rows.append(tiles)
    n_cols = max(len(r) for r in rows)
    gap = 4
    sheet = np.full((len(rows) * (args.pixels + gap) - gap, n_cols * (args.pixels + gap) - gap, 3), 255, np.uint8)
    for i, tiles in enumerate(rows):
        for j, tile in enumerate(tiles):
            y0, x0 = i * (args.pixels + gap), j * (args.pixels + gap)
            sheet[y0:y0 + args.pixels, x0:x0 + args.pixels] = tile
    write_bytes(args.out, _png_bytes(sheet))
    print(f"wrote {args.out} ({len(rows)} x {n_cols} tiles)")
    return 0


def run(args):
    action = getattr(args, "structure_command", None)
    if action == "list":
        return _list(args)
    if action == "preview":
        return _preview(args)
    raise ValueError("choose an action: synthstem structure list | preview NAME_OR_FILE ... (see --help)")
