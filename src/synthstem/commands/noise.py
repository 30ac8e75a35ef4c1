"""``synthstem noise``: apply distortion conditions to existing items or raw images."""

help = "apply noise conditions to existing HDF5 items (added in place) or .npy raw images"


def add_arguments(parser):
    parser.add_argument("paths", nargs="+", help=".h5 items, folders of items, or .npy images")
    parser.add_argument("--conditions", nargs="+", required=True,
                        help="condition names, e.g. clean blbk1 (defect ones need a new simulation)")
    parser.add_argument("--seed", type=int, default=None,
                        help="run seed (default: the item's own, so images equal the pipeline's)")
    parser.add_argument("--png", action="store_true", help="also write PNG previews")
    parser.add_argument("--out", default=None, help="folder for .npy outputs (default: next to input)")


def condition_table(user=None):
    """{name: Condition}: the named conditions plus an item's recorded user conditions."""
    from ..noise.conditions import CONDITIONS, condition_from_dict

    table = dict(CONDITIONS)
    for name, d in (user or {}).items():
        table[name] = condition_from_dict(name, {k: v for k, v in d.items() if k != "name"})
    return table


def noise_item(item, conditions, seed=None):
    """Add the images of ``conditions`` to ``item`` (in place) with the pipeline's streams.

    The streams are ``synthstem.noise.conditions.noise_seed_sequence(run_seed, item_index, name)``
    and the pixel size ``angstrom_xy / width``, exactly as in
    ``synthstem.runs.build.build_item``; so re-noising an item reproduces its images. User
    conditions recorded in the item's settings can be used by name. Each image's condition
    and draws are recorded in ``item.noise``.
    """
    import numpy as np

    from ..noise.conditions import noise_seed_sequence

    info = item.seed if isinstance(item.seed, dict) else {}
    run_seed = info.get("run_seed", 0) if seed is None else seed
    index = info.get("item_index", 0)
    settings = (item.params or {}).get("settings") or {}
    table = condition_table(settings.get("conditions"))
    try:
        pixel_size = float(str(item.attrs["angstrom_xy"]).strip("'\" ")) / np.shape(item.raw)[1]
    except (KeyError, ValueError):
        pixel_size = None
    for name in conditions:
        if name not in table:
            raise ValueError(f"unknown condition {name!r}; known: {list(table)}")
        cond = table[name]
        if name == "raw":
            continue
        if cond.defect_level:
            raise ValueError(f"condition {name!r} needs a defect simulation; use 'synthstem run'")
        rng = np.random.default_rng(noise_seed_sequence(run_seed, index, name))
        img, params = cond.apply(item.raw, rng=rng, pixel_size=pixel_size, return_params=True)
        item.images[cond.dataset_name] = np.asarray(img, np.float32)
        item.noise[cond.dataset_name] = {
            "condition": cond.to_dict(), "pixel_size": pixel_size, "draws": params.to_dict(),
            "source": "raw", "moves_image": params.drift is not None or cond.flyback > 0}
    return item


def run(args):
    from pathlib import Path

    import numpy as np

    from ..io.hdf5 import read_item, write_item
    from ..io.png import write_png
    from ..noise.conditions import CONDITIONS, REFERENCE_CONDITIONS, SEED_CHILDREN

    files = []
    for p in map(Path, args.paths):
        if p.is_dir():
            files += sorted(x for x in p.rglob("*.h5") if "annotations" not in x.parts and "augmented" not in x.parts)
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    for f in files:
        if f.suffix == ".npy":
            raw = np.load(f)
            out = Path(args.out) if args.out else f.parent
            for name in args.conditions:
                if name not in REFERENCE_CONDITIONS:
                    raise ValueError(f"unknown condition {name!r}; known: {list(REFERENCE_CONDITIONS)}")
                cond = CONDITIONS[name]
                k = SEED_CHILDREN[name]
                if cond.defect_level:
                    raise ValueError(f"condition {name!r} needs a defect simulation")
                rng = np.random.default_rng(np.random.SeedSequence([args.seed or 0, k]))
                img = np.asarray(cond.apply(raw, rng=rng), np.float32)
                target = out / f"{f.stem}-{cond.dataset_name}.npy"
                np.save(target, img)
                print(target)
                if args.png:
                    print(write_png(target.with_suffix(".png"), img))
            continue
        item = noise_item(read_item(f), args.conditions, seed=args.seed)
        write_item(f, item)
        print(f)
        if args.png:
            table = condition_table(((item.params or {}).get("settings") or {}).get("conditions"))
            for name in args.conditions:
                key = table[name].dataset_name
                img = item.raw if key == "raw" else item.images[key]
                print(write_png(f.parent / f"{item.name}-{key}.png", img))
    return 0
