"""Command line interface: ``synthstem <command> ...``.

ASE's pattern: a table of (name, module); each module in ``synthstem.commands`` has
``help`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``. Modules are
imported only when needed, so ``synthstem --help`` stays fast.

One error boundary (:func:`main`): an expected failure is printed as one line
``synthstem COMMAND: error: WHAT: WHY`` (a config with several problems: one line each)
and gives exit code 2 for usage and config errors (``ValueError``, ``KeyError``; a missing
input or a file where a folder is needed: ``FileNotFoundError``, ``FileExistsError``,
``NotADirectoryError``, ``IsADirectoryError``) or 1 for a failure while running (any other
``OSError``: permissions, read-only or full disk, I/O errors). ``--debug`` (anywhere on the command
line) shows the traceback instead.
"""

import argparse
import os
import sys
import warnings
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
    ("baseline", "synthstem.commands.baseline"),
    ("report", "synthstem.commands.report"),
    ("calibrate", "synthstem.commands.calibrate"),
    ("train", "synthstem.commands.train"),
    ("detect", "synthstem.commands.detect"),
]

#: exit codes
OK, RUN_FAILED, USAGE = 0, 1, 2


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
        epilog="--debug (anywhere on the line): show a Python traceback for errors.",
    )
    parser.add_argument("--version", action="version", version=f"synthstem {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a traceback for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS:
        module = _load(module_name)
        if module is None:
            continue
        p = sub.add_parser(name, help=module.help, description=module.help)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def _validation_lines(err):
    """pydantic ValidationError -> 'key.path: message' lines."""
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e.get("loc", ())) or "(top level)"
        lines.append(f"{key}: {e.get('msg', '').removeprefix('Value error, ')}")
    return "\n".join(lines)


def describe(err):
    """The message for an expected failure: what (a path or key) and why, no traceback."""
    if isinstance(err, FileExistsError) and err.filename is not None and not os.path.isdir(err.filename):
        return f"{err.filename}: exists and is a file, not a folder"
    if isinstance(err, OSError) and err.filename is not None:
        where = str(err.filename) + (f" -> {err.filename2}" if err.filename2 is not None else "")
        return f"{where}: {err.strerror or type(err).__name__}"
    if isinstance(err, UnicodeDecodeError):
        return f"not UTF-8 text: byte {err.object[err.start:err.start + 1]!r} at position {err.start}"
    if type(err).__name__ == "ValidationError" and hasattr(err, "errors"):
        return _validation_lines(err)
    if isinstance(err, KeyError) and len(err.args) == 1:
        return str(err.args[0])
    return str(err) or type(err).__name__


def _printable(text):
    """``text`` with control characters (bytes quoted from a broken input file) escaped;
    newlines, which separate the problems of one config, are kept."""
    return "".join(c if c.isprintable() or c == "\n" else ascii(c)[1:-1] for c in text)


def exit_code(err):
    """2 for usage / config errors, 1 for failures while running."""
    if isinstance(err, (ValueError, KeyError, FileNotFoundError, FileExistsError, NotADirectoryError,
                        IsADirectoryError)):
        return USAGE
    return RUN_FAILED


def _split_debug(argv):
    """Remove ``--debug`` (before any ``--``) from ``argv`` -> (argv, debug)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    end = argv.index("--") if "--" in argv else len(argv)
    debug = "--debug" in argv[:end]
    return [a for i, a in enumerate(argv) if not (i < end and a == "--debug")], debug


def one_line_warning(message, category, filename, lineno, line=None):
    """A warning as the CLI prints it: one line, no source file or source line."""
    text = " ".join(str(message).split())
    return f"synthstem: warning: {category.__name__}: {_printable(text)}\n"


def main(argv=None):
    argv, debug = _split_debug(argv)
    before = warnings.formatwarning
    if not debug:  # --debug keeps Python's format (file, line and source)
        warnings.formatwarning = one_line_warning
    try:
        return _main(argv, debug)
    finally:
        warnings.formatwarning = before


def _main(argv, debug):
    try:
        parser = build_parser()  # imports the commands: Ctrl-C may come here too
    except KeyboardInterrupt:
        if debug:
            raise
        print("synthstem: interrupted", file=sys.stderr)
        return 130
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return USAGE
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"synthstem {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # output piped into `head` and closed early: not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return OK
    except (ValueError, KeyError, OSError) as err:
        if debug:
            raise
        message = describe(err)
        if isinstance(err, UnicodeDecodeError) and isinstance(getattr(args, "config", None), str):
            message = f"{args.config}: {message}"  # the decoded text was the config file
        print(f"synthstem {args.command}: error: {_printable(message)}", file=sys.stderr)
        return exit_code(err)
    except Exception as err:  # a bug: say so in one line, the traceback is one flag away
        if debug:
            raise
        print(f"synthstem {args.command}: internal error: {type(err).__name__}: {_printable(str(err))} "
              f"(rerun with --debug for the traceback and please report it)", file=sys.stderr)
        return RUN_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
