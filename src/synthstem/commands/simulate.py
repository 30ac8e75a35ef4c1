"""``synthstem simulate``: one structure and zone axis -> one HDF5 item + PNGs.

Microscope parameters come from ``--config`` (its ``[microscope]`` table) and are
overridden by the options below; aberrations and defocus take a unit as microscopists
write them (``--cs 1.2mm``, ``--defocus -15nm``; a bare number is in Angstrom).
"""

help = "simulate one item (prototype or CIF, one zone axis) into an HDF5 file and PNGs"

#: the defaults without --config (those of a config with no keys: ``synthstem config show``;
#: tests/cli/test_cli_simulate.py checks them against the config's)
DEFAULTS_HELP = ("Defaults without --config: --method prism (f=auto: the cheapest f predicted to meet "
                 "accuracy 'dataset', checked and retried), --pixels 256, --size 26 A, "
                 "--phonons 8 (frozen-phonon configurations), --preset converged, all 16 "
                 "conditions, --seed 0, --energy 200kV, --convergence 20 mrad, --defocus 0, "
                 "--cs 0, --c5 0, --source-size 0, --detector 100 150 mrad. With --config: "
                 "the config's values; the options above override them.")

#: default output folder (never the current folder itself)
DEFAULT_OUT = "synthstem-simulate"


def add_arguments(parser):
    import argparse

    from ..parsing import UVW_HELP, allow_negative_values, parse_energy, parse_length

    allow_negative_values(parser)  # '--defocus -15nm', '--uvw -1,1,0'
    parser.epilog = DEFAULTS_HELP

    def checked(parse, what):
        def convert(text):
            try:
                return parse(text, what)
            except ValueError as err:  # argparse shows an ArgumentTypeError's own message
                raise argparse.ArgumentTypeError(str(err).removeprefix(f"{what}: ")) from None
        convert.__name__ = what
        return convert

    def length(what):
        return checked(parse_length, what)

    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--prototype", help="prototype name, e.g. perovskite or perovskite/BaTiO3")
    src.add_argument("--cif", help="CIF file")
    parser.add_argument("--elements", default=None,
                        help="decoration name, or role=element pairs: A=Ba,B=Ti,X=O")
    parser.add_argument("--uvw", nargs="+", default=["0,0,1"], metavar="U,V,W",
                        help=UVW_HELP + " (default 0,0,1)")
    parser.add_argument("--id", type=int, default=None, help="structure id (default: 1 or the CIF's)")
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help=f"output folder, created if needed (default ./{DEFAULT_OUT})")
    parser.add_argument("--config", default=None,
                        help="TOML config for microscope/simulation/output defaults")
    parser.add_argument("--conditions", nargs="+", default=None,
                        help="conditions (default: the config's, all 16 without a config)")
    parser.add_argument("--method", choices=["prism", "multislice", "incoherent"], default=None,
                        help="simulation method (default prism)")
    parser.add_argument("--pixels", type=int, default=None, help="image edge (default 256)")
    parser.add_argument("--size", type=float, default=None,
                        help="field of view [Angstrom] (default 26)")
    parser.add_argument("--phonons", type=int, default=None,
                        help="frozen-phonon configurations (default 8; 0 = static lattice, "
                             "not converged: HAADF ~60 %% too bright)")
    parser.add_argument("--preset", choices=["converged", "fast"], default=None,
                        help="slice thickness, projection and sampling: 'converged' (default "
                             "without a config) or 'fast' (preview, 10-23x cheaper, HAADF up to "
                             "~35 %% off); overrides the config's values of those keys")
    parser.add_argument("--device", choices=["cpu", "gpu"], default=None,
                        help="'cpu' (default) or 'gpu' (needs synthstem[gpu])")
    parser.add_argument("--seed", type=int, default=None,
                        help="run seed (default: the config's, 0 without a config)")
    parser.add_argument("--no-png", action="store_true", help="HDF5 only")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    m = parser.add_argument_group("microscope (override the config's [microscope])")
    m.add_argument("--energy", type=checked(parse_energy, "--energy"), default=None,
                   help="acceleration voltage: 200kV, 300keV or a number in eV (default 200kV)")
    m.add_argument("--convergence", type=float, default=None,
                   help="probe semi-angle [mrad] (default 20)")
    m.add_argument("--defocus", type=length("--defocus"), default=None,
                   help="defocus, positive = underfocus: -15nm, 50A, or a number in Angstrom "
                        "(default 0)")
    m.add_argument("--cs", dest="Cs", type=length("--cs"), default=None,
                   help="spherical aberration C30: 1.2mm, -15um, or a number in Angstrom (default 0)")
    m.add_argument("--c5", dest="C5", type=length("--c5"), default=None,
                   help="fifth-order spherical aberration: 5mm, or a number in Angstrom (default 0)")
    m.add_argument("--source-size", dest="source_size", type=length("--source-size"), default=None,
                   help="Gaussian source sigma: 0.3A, or a number in Angstrom (default 0)")
    m.add_argument("--detector", type=float, nargs=2, default=None, metavar=("INNER", "OUTER"),
                   help="annular detector angles [mrad] (default 100 150)")


MICROSCOPE_OPTIONS = ("energy", "convergence", "defocus", "Cs", "C5", "source_size", "detector")


def _elements(text):
    if text is None or "=" not in text:
        return text
    pairs = [p.split("=", 1) for p in text.split(",") if p.strip()]
    if any(len(p) != 2 or not p[0].strip() or not p[1].strip() for p in pairs):
        raise ValueError(f"--elements: expected role=element pairs like A=Ba,B=Ti,X=O, got {text!r}")
    return {k.strip(): v.strip() for k, v in pairs}


def config_of(args):
    """The validated one-item config of the command line (nothing written)."""
    from pathlib import Path

    from ..runs.config import config_from_dict, load_config
    from ..runs.physics_sections import PRESETS
    from ..parsing import parse_uvw

    base = load_config(args.config).to_dict()
    base["run"]["kind"] = "general"
    if args.seed is not None:
        base["run"]["seed"] = args.seed
    for key in ("method", "pixels", "size", "phonons", "device"):
        if getattr(args, key) is not None:
            base["simulation"][key] = getattr(args, key)
    if args.preset is not None:  # the preset's slice thickness, projection and sampling
        base["simulation"]["preset"] = args.preset
        for key in PRESETS[args.preset]:
            base["simulation"][key] = None
    for key in MICROSCOPE_OPTIONS:
        if getattr(args, key) is not None:
            base["microscope"][key] = list(getattr(args, key)) if key == "detector" else getattr(args, key)
    if args.conditions is not None:
        base["output"]["conditions"] = args.conditions
    base["output"]["png"] = not args.no_png
    base["output"]["exports"] = []
    base["output"]["augment"] = {"variants": 0}
    entry = {"uvw": [list(parse_uvw(args.uvw, "--uvw"))]}
    if args.prototype:
        entry["prototype"] = args.prototype
        if args.elements is not None:
            entry["elements"] = _elements(args.elements)
    else:
        entry["cif"] = str(Path(args.cif).resolve())
    if args.id is not None:
        entry["id"] = args.id
    base["structures"] = [entry]
    return config_from_dict(base, source="(command line)", base_dir=base.pop("base_dir", "."))


def run(args):
    import sys
    from pathlib import Path

    from ..physics.parametrization import check_elements
    from ..runs.plan import plan
    from ..runs.write import process_task
    from ..structures.readers import load_structure
    from . import _checks

    # every check before anything is written
    if args.cif:
        _checks.input_file(args.cif, "CIF file")
    config = config_of(args)
    _checks.output_folder(args.out)
    source = args.cif or args.prototype
    atoms = _checks.crystal(load_structure(source)[0], source, config.simulation.size)
    try:
        check_elements(atoms.get_chemical_symbols())
    except ValueError as err:
        raise ValueError(f"{source}: {err}") from None
    (task,) = plan(config, args.out)
    task.subset = ""
    sim = task.physics["simulation"]
    steps = ["building (structure, simulation, labels, noise)", "writing"]
    bar, builder = None, None
    if not args.no_progress:
        builder = f"{__name__}:_build_with_progress"
        from tqdm import tqdm

        desc = (f"{task.name}: {sim['method']} {sim['pixels']}px, {sim['phonons']} phonon "
                f"configuration(s), {len(task.conditions)} condition(s)")
        bar = tqdm(total=len(steps), desc=desc, unit="step", file=sys.stderr, dynamic_ncols=True,
                   bar_format="{desc} | {n}/{total}{postfix} [{elapsed}]")
        bar.set_postfix_str(steps[0])
        _Ticker.start(bar, steps[1])
    try:
        result = process_task(task, builder=builder)
    except KeyboardInterrupt:  # Ctrl-C: the bar is erased, the CLI says "interrupted"
        if bar is not None:
            _Ticker.stop()
            bar.leave = False
            bar.close()
            bar = None
        raise
    finally:
        if bar is not None:
            _Ticker.stop()
            bar.update(len(steps) - bar.n)
            bar.close()
    if not result["ok"]:
        raise _error_of(result["error"], f"{source} ({task.name})")
    out = Path(args.out)
    for rel in result["files"]:
        print(out / rel)
    return 0


def _error_of(text, what):
    """The item's error (a 'Type: message' string from the worker) as an exception to report."""
    kind, _, message = text.partition(": ")
    if kind in ("ValueError", "KeyError", "FileNotFoundError"):
        return ValueError(f"{what}: {message}")
    return OSError(f"{what}: {text}")


def _build_with_progress(task):
    """``runs.build.build_item``, then the bar moves on to its 'writing' step."""
    from ..runs.build import build_item

    result = build_item(task)
    _Ticker.next_step()
    return result


class _Ticker:
    """Refresh a tqdm bar once a second (elapsed time) while a long step runs."""

    _thread = None
    _stop = None
    _bar = None
    _next = ""

    @classmethod
    def next_step(cls):
        if cls._bar is not None:
            cls._bar.update(1)
            cls._bar.set_postfix_str(cls._next)

    @classmethod
    def start(cls, bar, next_step):
        import threading

        cls._bar, cls._next = bar, next_step
        cls._stop = threading.Event()

        def tick():
            while not cls._stop.wait(1.0):
                bar.refresh()

        cls._thread = threading.Thread(target=tick, daemon=True)
        cls._thread.start()

    @classmethod
    def stop(cls):
        if cls._thread is not None:
            cls._stop.set()
            cls._thread.join()
            cls._thread = cls._bar = None
