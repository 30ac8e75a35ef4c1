"""``synthstem simulate``: one structure and zone axis -> one HDF5 item + PNGs."""

help = "simulate one item (prototype or CIF, one zone axis) into an HDF5 file and PNGs"


def add_arguments(parser):
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--prototype", help="prototype name, e.g. perovskite or perovskite/BaTiO3")
    src.add_argument("--cif", help="CIF file")
    parser.add_argument("--elements", default=None,
                        help="decoration name, or role=element pairs: A=Ba,B=Ti,X=O")
    parser.add_argument("--uvw", type=int, nargs=3, default=[0, 0, 1], metavar=("U", "V", "W"),
                        help="zone axis (default 0 0 1)")
    parser.add_argument("--id", type=int, default=None, help="structure id (default: 1 or the CIF's)")
    parser.add_argument("--out", default=".", help="output folder (default .)")
    parser.add_argument("--config", default=None,
                        help="TOML config for microscope/simulation/output defaults")
    parser.add_argument("--conditions", nargs="+", default=None,
                        help="conditions (default: the config's, all 16 without a config)")
    parser.add_argument("--method", choices=["prism", "multislice", "incoherent"], default=None)
    parser.add_argument("--pixels", type=int, default=None)
    parser.add_argument("--size", type=float, default=None, help="field of view [Angstrom]")
    parser.add_argument("--phonons", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None, help="run seed (default: the config's)")
    parser.add_argument("--no-png", action="store_true", help="HDF5 only")


def _elements(text):
    if text is None or "=" not in text:
        return text
    pairs = [p.split("=", 1) for p in text.split(",") if p.strip()]
    return {k.strip(): v.strip() for k, v in pairs}


def run(args):
    from pathlib import Path

    from ..runs.config import config_from_dict, load_config
    from ..runs.plan import plan
    from ..runs.write import process_task

    base = load_config(args.config).to_dict()
    base["run"]["kind"] = "general"
    if args.seed is not None:
        base["run"]["seed"] = args.seed
    for key in ("method", "pixels", "size", "phonons"):
        if getattr(args, key) is not None:
            base["simulation"][key] = getattr(args, key)
    if args.conditions is not None:
        base["output"]["conditions"] = args.conditions
    base["output"]["png"] = not args.no_png
    base["output"]["exports"] = []
    base["output"]["augment"] = {"variants": 0}
    entry = {"uvw": [list(args.uvw)]}
    if args.prototype:
        entry["prototype"] = args.prototype
        if args.elements is not None:
            entry["elements"] = _elements(args.elements)
    else:
        entry["cif"] = str(Path(args.cif).resolve())
    if args.id is not None:
        entry["id"] = args.id
    base["structures"] = [entry]
    config = config_from_dict(base, source="(command line)", base_dir=base.pop("base_dir", "."))
    (task,) = plan(config, args.out)
    task.subset = ""
    result = process_task(task)
    if not result["ok"]:
        raise ValueError(f"{task.name}: {result['error']}")
    out = Path(args.out)
    for rel in result["files"]:
        print(out / rel)
    return 0
