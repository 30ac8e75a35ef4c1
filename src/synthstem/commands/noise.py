"""``synthstem noise``: apply distortion conditions to existing items or raw images."""

help = "apply noise conditions to existing HDF5 items (added in place) or .npy raw images"


def add_arguments(parser):
    parser.add_argument("paths", nargs="+", help=".h5 items, folders of items, or .npy images")
    parser.add_argument("--conditions", nargs="+", required=True,
                        help="condition names, e.g. clean blbk1 (defect ones need a new simulation)")
    parser.add_argument("--seed", type=int, default=None,
                        help="run seed (default: the item's own, so images equal the pipeline's)")
    parser.add_argument("--png", action="store_true", help="also write PNG previews")
    parser.add_argument("--out", default=None,
                        help="folder for .npy outputs, created if needed (default: next to input)")


def condition_table(user=None):
    """{name: Condition}: the named conditions plus an item's recorded user conditions."""
    from ..noise.conditions import CONDITIONS, condition_from_dict

    table = dict(CONDITIONS)
    for name, d in (user or {}).items():
        table[name] = condition_from_dict(name, {k: v for k, v in d.items() if k != "name"})
    return table


def noise_item(item, conditions, seed=None):
    """Add the images of ``conditions`` to ``item`` (in place) with the pipeline's streams.

    The streams are ``synthstem.noise.reference.noise_seed_sequence(run_seed, item_index, name)``
    and the pixel size ``angstrom_xy / width``, exactly as in
    ``synthstem.runs.build.build_item``; so re-noising an item reproduces its images. User
    conditions recorded in the item's settings can be used by name. Each image's condition
    and draws are recorded in ``item.noise``.
    """
    import numpy as np

    from ..noise.reference import noise_seed_sequence

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


def _inputs(paths):
    """Expand folders into their items; check every input before anything is written."""
    from pathlib import Path

    from . import _checks

    files = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(x for x in p.rglob("*.h5") if "annotations" not in x.parts and "augmented" not in x.parts)
        else:
            _checks.input_file(p, "file or folder")
            if p.suffix not in (".h5", ".npy"):
                raise ValueError(f"{p}: expected an .h5 item, a folder of items or a .npy image")
            files.append(p)
    if not files:
        raise FileNotFoundError(f"no .h5 items in {', '.join(map(str, paths))}")
    return files


def _check_npy_conditions(conditions):
    from ..noise.conditions import CONDITIONS, REFERENCE_CONDITIONS

    for name in conditions:
        if name not in REFERENCE_CONDITIONS:
            raise ValueError(f"unknown condition {name!r}; known: {list(REFERENCE_CONDITIONS)}")
        if CONDITIONS[name].defect_level:
            raise ValueError(f"condition {name!r} needs a defect simulation; use 'synthstem run'")


def _npy_bytes(array):
    import io

    import numpy as np

    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def run(args):
    from pathlib import Path

    import numpy as np

    from ..io.files import write_bytes
    from ..io.hdf5 import write_item
    from ..io.png import write_png
    from ..noise.conditions import CONDITIONS, SEED_CHILDREN
    from . import _checks

    files = _inputs(args.paths)
    npys = [f for f in files if f.suffix == ".npy"]
    if npys:
        _check_npy_conditions(args.conditions)
        if args.out:
            _checks.output_folder(args.out)
    for folder in {Path(args.out) if args.out and f.suffix == ".npy" else f.parent for f in files}:
        _checks.output_folder(folder)  # items are rewritten in place, images written next to them
    for f in files:
        if f.suffix == ".npy":
            raw = _checks.npy_image(f)
            out = Path(args.out) if args.out else f.parent
            for name in args.conditions:
                cond = CONDITIONS[name]
                k = SEED_CHILDREN[name]
                rng = np.random.default_rng(np.random.SeedSequence([args.seed or 0, k]))
                try:
                    img = np.asarray(cond.apply(raw, rng=rng), np.float32)
                except ValueError as err:
                    raise ValueError(f"{f}: {err}") from None
                target = write_bytes(out / f"{f.stem}-{cond.dataset_name}.npy", _npy_bytes(img))
                print(target)
                if args.png:
                    print(write_png(target.with_suffix(".png"), img))
            continue
        item = _checks.hdf5_item(f)
        try:
            item = noise_item(item, args.conditions, seed=args.seed)
        except ValueError as err:
            raise ValueError(f"{f}: {err}") from None
        write_item(f, item)
        print(f)
        if args.png:
            table = condition_table(((item.params or {}).get("settings") or {}).get("conditions"))
            for name in args.conditions:
                key = table[name].dataset_name
                img = item.raw if key == "raw" else item.images[key]
                print(write_png(f.parent / f"{item.name}-{key}.png", img))
    return 0
