"""The install story the README tells: torch is an optional extra (``ml``), the test extra
stays light, and .ci/run installs torch (pinned) before the README's test command."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _extras():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]


def test_torch_is_in_the_ml_extra_only():
    extras = _extras()
    assert extras["ml"] == ["torch>=2.0"]
    assert not any(r.startswith("torch") for r in extras["test"])


def test_ci_installs_torch_then_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^    (python3 -m pip install .*)$", readme, flags=re.M)
    assert len(commands) >= 2
    test_command = commands[1]
    assert test_command == 'python3 -m pip install -e ".[test]" && lint-imports && python3 -m pytest -q'
    lines = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    torch_at = lines.index('python3 -m pip install "torch==2.13.0"')
    assert lines.index('python3 -m pip install -e ".[ml]"') > torch_at
    assert lines[-1] == test_command  # the README's command, last and unchanged


def test_the_dataloader_test_skips_with_its_reason_without_torch(tmp_path):
    """A torch that cannot be imported (a shadowing module) -> the test is skipped, saying why."""
    (tmp_path / "torch.py").write_text("raise ImportError('no torch here')\n")
    env_path = f"{tmp_path}"
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                        str(ROOT / "tests/loaders/test_loaders.py"), "-k", "torch_dataloader"],
                       capture_output=True, text=True, cwd=ROOT,
                       env={"PATH": "/usr/bin:/bin", "PYTHONPATH": env_path,
                            "HOME": str(tmp_path), "NUMBA_CACHE_DIR": str(tmp_path / "nb")})
    assert "1 skipped" in r.stdout, r.stdout + r.stderr
    assert "torch is not installed (the optional extra synthstem[ml]" in r.stdout
