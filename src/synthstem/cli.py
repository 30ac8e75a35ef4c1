"""Command line interface: ``synthstem <command> ...``.

ASE's pattern: a table of (name, module); each module in ``synthstem.commands`` has
``help`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``. Modules are
imported only when needed, so ``synthstem --help`` stays fast.
"""

import argparse
import sys
from importlib import import_module

from ._version import __version__

COMMANDS = [
    ("run", "synthstem.commands.run"),
    ("simulate", "synthstem.commands.simulate"),
    ("noise", "synthstem.commands.noise"),
    ("validate", "synthstem.commands.validate"),
    ("preview", "synthstem.commands.preview"),
    ("structure", "synthstem.commands.structure"),
    ("config", "synthstem.commands.config"),
    ("bench", "synthstem.commands.bench"),
    ("eval", "synthstem.commands.eval"),
    ("report", "synthstem.commands.report"),
]


def _load(module):
    try:
        return import_module(module)
    except ModuleNotFoundError as err:
        if err.name == module:
            return None
        raise


def build_parser():
    parser = argparse.ArgumentParser(
        prog="synthstem",
        description="Synthetic HAADF-STEM datasets with exact ground truth.",
    )
    parser.add_argument("--version", action="version", version=f"synthstem {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS:
        module = _load(module_name)
        if module is None:
            continue
        p = sub.add_parser(name, help=module.help, description=module.help)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # output piped into `head` and closed early: not an error of ours
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (ValueError, FileNotFoundError, KeyError) as err:
        print(f"synthstem {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
