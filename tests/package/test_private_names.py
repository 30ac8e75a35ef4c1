"""No module reaches into another's private names (``from .x import _y``): a name shared
between modules is public. Private modules (``commands._checks``) may be imported whole."""

import ast
from pathlib import Path

import synthstem

SRC = Path(synthstem.__file__).parent


def private_imports(root):
    """``(file, line, module, name)`` of every underscore name imported from a synthstem module."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level == 0 and not (node.module or "").startswith("synthstem"):
                continue  # e.g. ase.units' _e, _hplanck: constants of another package
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    mod = "." * node.level + (node.module or "")
                    if node.module is None and (path.parent / f"{alias.name}.py").is_file():
                        continue  # `from . import _checks`: a private module, imported whole
                    found.append((str(path.relative_to(root)), node.lineno, mod, alias.name))
    return found


def test_the_scan_finds_a_private_import(tmp_path):
    (tmp_path / "a.py").write_text("def _helper():\n    pass\n")
    (tmp_path / "b.py").write_text("from .a import _helper, public\nfrom ase.units import _e\n")
    (tmp_path / "_checks.py").write_text("")
    (tmp_path / "c.py").write_text("from . import _checks\n")
    assert private_imports(tmp_path) == [("b.py", 1, ".a", "_helper")]


def test_no_module_imports_another_modules_private_name():
    assert private_imports(SRC) == []
