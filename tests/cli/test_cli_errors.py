"""The CLI's error boundary: one line naming the path and the cause, exit 2 for usage, 1 for
failures while running, no traceback unless --debug; nothing written when validation fails;
a write failing part-way (full disk, I/O error) is reported and a re-run completes."""

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synthstem.cli import describe, exit_code, main
from synthstem.io import files
from synthstem.io.hdf5 import Item, root_attrs, write_item

SRC = str(Path(__file__).resolve().parents[2] / "src")

SMALL = """
[run]
seed = 3
[simulation]
method = "incoherent"
pixels = 32
size = 8.0
phonons = 0
[output]
conditions = ["raw", "clean"]
[[structures]]
prototype = "fcc"
elements = "Cu"
uvw = [[0, 0, 1], [1, 1, 0], [1, 1, 1]]
"""

SIM = ["simulate", "--prototype", "fcc/Cu", "--method", "incoherent", "--pixels", "32", "--size", "8",
       "--phonons", "0", "--conditions", "raw", "clean", "--no-progress"]


def _item(n=32):
    raw = np.random.default_rng(0).random((n, n)) + 0.5
    return Item(name="000001.000001", attrs=root_attrs(8.0, "Cu", (0.0, 0.0, 3.6), 1, (0, 0, 1)),
                raw=raw, images={"stem00-clean": raw.astype(np.float32)},
                peak_maps={"clean": raw > 1.2}, full_coords=np.zeros((3, 2), np.float32))


@pytest.fixture
def place(tmp_path):
    """A folder with a config, an item, a .npy image, a text file and a plain file."""
    (tmp_path / "c.toml").write_text(SMALL)
    write_item(tmp_path / "item.h5", _item())
    np.save(tmp_path / "img.npy", np.random.default_rng(1).random((32, 32)) + 0.5)
    (tmp_path / "text.h5").write_text("hello, I am not HDF5\n")
    (tmp_path / "afile").write_text("a plain file\n")
    return tmp_path


def _snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}


def _one_error_line(err, command):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"synthstem {command}: error: ") and "Traceback" not in err, err
    return lines[0]


def _commands(p, out):
    """(argv, what the error line must name) writing to ``out``."""
    return {
        "run": (["run", str(p / "c.toml"), "--out", str(out), "--workers", "1", "--no-progress"], str(out)),
        "preview": (["preview", str(p / "item.h5"), "--out", str(out / "sheet.png")], str(out)),
        "structure": (["structure", "preview", "fcc/Cu", "--pixels", "32", "--out", str(out / "s.png")], str(out)),
        "noise": (["noise", str(p / "img.npy"), "--conditions", "clean", "--out", str(out / "n")], str(out)),
        "simulate": ([*SIM, "--out", str(out / "sim")], str(out)),
    }


@pytest.mark.parametrize("argv", [
    ["run", "{p}/c.toml", "--out", "{p}/afile", "--workers", "1", "--no-progress"],
    ["preview", "{p}/item.h5", "--out", "{p}/afile/sheet.png"],
    ["structure", "preview", "fcc/Cu", "--pixels", "32", "--out", "{p}/afile/s.png"],
    ["noise", "{p}/img.npy", "--conditions", "clean", "--out", "{p}/afile"],
    [*SIM, "--out", "{p}/afile"],
])
def test_out_is_an_existing_file(place, capsys, argv):
    argv = [a.format(p=place) for a in argv]
    before = _snapshot(place)
    assert main(argv) == 2
    line = _one_error_line(capsys.readouterr().err, argv[0])
    assert str(place / "afile") in line and ("not a folder" in line or "is a file" in line), line
    assert _snapshot(place) == before


@pytest.mark.parametrize("argv, named", [
    (["run", "{p}/missing.toml", "--out", "{p}/x"], "missing.toml"),
    (["run", "{p}", "--out", "{p}/x"], "is a folder, expected a TOML config file"),
    (["run", "/dev/null", "--out", "{p}/x"], "/dev/null: is not a regular file"),
    (["preview", "{p}/missing"], "missing"),
    (["structure", "preview", "{p}/missing.cif"], "missing.cif"),
    (["noise", "{p}/missing.h5", "--conditions", "clean"], "missing.h5"),
    (["simulate", "--cif", "{p}/missing.cif", "--out", "{p}/x"], "missing.cif"),
    (["noise", "{p}/text.h5", "--conditions", "clean"], "text.h5: not an HDF5 file"),
    (["preview", "{p}/text.h5", "--out", "{p}/x.png"], "text.h5: not an HDF5 file"),
    (["noise", "{p}/afile", "--conditions", "clean"], "afile: expected an .h5 item"),
    (["noise", "{p}/item.h5", "--conditions", "nosuch"], "unknown condition 'nosuch'"),
    (["simulate", "--prototype", "fcc/Cu", "--uvw", "1,2", "--out", "{p}/x"], "--uvw: expected three integers"),
    (["simulate", "--prototype", "fcc/Cu", "--uvw", "0,0,0", "--out", "{p}/x"], "[0, 0, 0] is not a direction"),
    (["simulate", "--prototype", "nosuch", "--out", "{p}/x"], "nosuch"),
    (["simulate", "--prototype", "perovskite", "--elements", "A=Xx,B=Ti,X=O", "--out", "{p}/x"],
     "element for role 'A' 'Xx' is not a chemical element"),
    (["simulate", "--prototype", "perovskite", "--elements", "A=,B=Ti", "--out", "{p}/x"], "--elements"),
    (["structure", "preview", "fcc/Cu", "--uvw", "1,x,0", "--out", "{p}/x.png"], "--uvw"),
])
def test_bad_inputs_are_one_line_exit_2_nothing_written(place, capsys, argv, named):
    argv = [a.format(p=place) for a in argv]
    command = argv[0]
    before = _snapshot(place)
    assert main(argv) == 2
    line = _one_error_line(capsys.readouterr().err, command)
    assert named in line, line
    assert _snapshot(place) == before


def test_bad_unit_is_an_argparse_error(place, capsys):
    with pytest.raises(SystemExit) as info:
        main([*SIM, "--cs", "3furlong", "--out", str(place / "x")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --cs: unknown unit 'furlong' in '3furlong'" in err and "Traceback" not in err


def test_debug_shows_the_traceback(place, capsys):
    with pytest.raises(ValueError, match="not an HDF5 file"):
        main(["--debug", "noise", str(place / "text.h5"), "--conditions", "clean"])
    with pytest.raises(ValueError, match="not an HDF5 file"):
        main(["noise", str(place / "text.h5"), "--conditions", "clean", "--debug"])
    r = subprocess.run([sys.executable, "-m", "synthstem", "noise", str(place / "text.h5"), "--conditions",
                        "clean", "--debug"], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": SRC})
    assert r.returncode == 1 and "Traceback" in r.stderr and "not an HDF5 file" in r.stderr


def test_a_bug_is_one_line_too(monkeypatch, capsys):
    import synthstem.commands.validate as validate

    def broken(args):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(validate, "run", broken)
    assert main(["validate", "."]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: TypeError: unsupported operand" in err and "--debug" in err


def test_describe_and_exit_codes():
    err = PermissionError(errno.EACCES, "Permission denied", "/data/x")
    assert describe(err) == "/data/x: Permission denied" and exit_code(err) == 1
    err = OSError(errno.EROFS, "Read-only file system", "/data")
    assert describe(err) == "/data: Read-only file system" and exit_code(err) == 1
    err = OSError(errno.ENOSPC, "No space left on device", "/data/a.h5")
    assert describe(err) == "/data/a.h5: No space left on device" and exit_code(err) == 1
    assert exit_code(ValueError("x")) == 2 and exit_code(KeyError("k")) == 2
    assert exit_code(FileNotFoundError(errno.ENOENT, "No such file", "/x")) == 2
    assert describe(KeyError("microscope.energy")) == "microscope.energy"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a folder without write permission")
def test_folder_without_write_permission(place, capsys):
    ro = place / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        for command, (argv, named) in _commands(place, ro / "out").items():
            assert main(argv) == 1, command
            line = _one_error_line(capsys.readouterr().err, command)
            assert str(ro) in line and "ermission denied" in line, line
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


def _namespace_works():
    """`unshare -rm` may mount a read-only bind mount and a tmpfs here (user namespaces allowed)."""
    if not shutil.which("unshare"):
        return False
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        script = (f"mount --bind {tmp} {tmp} && mount -o remount,bind,ro {tmp} && "
                  f"mount -t tmpfs -o size=64k tmpfs {tmp}")
        try:
            return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True,
                                  timeout=30).returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False


needs_namespace = pytest.mark.skipif(not _namespace_works(), reason="needs `unshare -rm` (user+mount namespace)")


def _in_namespace(script, cwd):
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": SRC}, timeout=600)


@needs_namespace
def test_read_only_output_folder(place):
    """A real read-only mount (a bind mount remounted ro in a private mount namespace)."""
    ro = place / "ro"
    ro.mkdir()
    write_item(ro / "item.h5", _item())
    cmds = _commands(place, ro / "out")
    cmds["noise-in-place"] = (["noise", str(ro / "item.h5"), "--conditions", "clean"], str(ro))
    script = f"mount --bind {ro} {ro} && mount -o remount,bind,ro {ro} || exit 99\n"
    for name, (argv, _) in cmds.items():
        args = " ".join(f"'{a}'" for a in argv)
        script += f"echo '== {name}'; {sys.executable} -m synthstem {args} 2>&1; echo \"rc $?\"\n"
    r = _in_namespace(script, place)
    assert r.returncode == 0, r.stdout + r.stderr
    blocks = {b.split("\n", 1)[0]: b.split("\n", 1)[1] for b in r.stdout.split("== ")[1:]}
    for name, (argv, named) in cmds.items():
        out = blocks[name].strip().splitlines()
        assert out[-1] == "rc 1" and len(out) == 2, (name, blocks[name])
        command = argv[0]
        # names the read-only folder (or the folder it could not create in it)
        assert out[0].startswith(f"synthstem {command}: error: {ro}"), (name, out[0])
        assert out[0].endswith(": Read-only file system") and out[0].count(":") == 3, (name, out[0])
    assert sorted(p.name for p in ro.iterdir()) == ["item.h5"]


def _failing_write_for(monkeypatch, name_part, code=errno.ENOSPC, after_bytes=1000):
    """``os.write`` fails with ``code`` part-way through any file whose name contains ``name_part``."""
    real = os.write
    written = {}

    def write(fd, data):
        target = os.readlink(f"/proc/self/fd/{fd}")
        if name_part in target:
            room = after_bytes - written.get(target, 0)
            if room <= 0:
                raise OSError(code, os.strerror(code))
            data = bytes(memoryview(data)[:room])
        n = real(fd, data)
        written[target] = written.get(target, 0) + n
        return n

    monkeypatch.setattr(files.os, "write", write)
    return written


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
@pytest.mark.parametrize("code, target", [(errno.ENOSPC, ".000001.010100.h5."),
                                          (errno.EIO, ".000001.010101-stem00-clean.png.")])
def test_write_failing_part_way_then_resume(place, monkeypatch, capsys, code, target):
    out = place / "data"
    written = _failing_write_for(monkeypatch, target, code)
    argv = ["run", str(place / "c.toml"), "--out", str(out), "--workers", "1", "--no-progress", "--no-preview"]
    assert main(argv) == 1
    assert [n for t, n in written.items() if target in t] == [1000]  # it failed part-way through
    err = capsys.readouterr().err
    failed = [line for line in err.splitlines() if "failed" in line and os.strerror(code) in line]
    assert len(failed) == 1 and "Traceback" not in err, err
    assert str(out / "items") in failed[0], failed[0]
    names = sorted(p.name for p in (out / "items").iterdir())
    assert not [n for n in names if n.endswith(".tmp")], names
    bad = "000001.010100.h5" if code == errno.ENOSPC else "000001.010101-stem00-clean.png"
    assert bad not in names and "000001.000001.h5" in names
    assert json.loads((out / "failures.json").read_text())
    monkeypatch.undo()
    assert main(argv) == 0
    assert "1 made, 2 already there, 0 failed" in capsys.readouterr().out
    assert main(["validate", str(out)]) == 0


@needs_namespace
def test_full_disk_then_resume(place):
    """A real full disk: a 120 kB tmpfs; the run fails naming the files, a re-run after
    making room completes the dataset and it validates."""
    disk = place / "disk"
    disk.mkdir()
    py = f"{sys.executable} -m synthstem"
    run = f"{py} run {place / 'c.toml'} --out {disk / 'data'} --workers 1 --no-progress --no-preview"
    script = (f"mount -t tmpfs -o size=120k tmpfs {disk} || exit 99\n"
              f"{run}; echo \"rc $?\"; ls -a {disk / 'data' / 'items'}; echo '=='\n"
              f"mount -o remount,size=10m {disk}\n"
              f"{run}; echo \"rc $?\"; {py} validate {disk / 'data'}; echo \"rc $?\"\n")
    r = _in_namespace(script, place)
    assert r.returncode == 0, r.stdout + r.stderr
    first, second = r.stdout.split("==\n")
    assert "rc 1" in first and "Traceback" not in r.stderr and "Exception ignored" not in r.stderr, r.stderr
    failed = [line for line in r.stderr.splitlines() if "No space left on device" in line]
    assert failed and all(str(disk / "data") in line for line in failed), r.stderr
    assert ".tmp" not in first, first
    assert second.strip().splitlines()[-1] == "rc 0" and "rc 0" in second.strip().splitlines()[-3], second
    assert "valid; 3 items" in second


def test_dataset_files_follow_the_umask(place, capsys):
    """Every file a run makes (items, PNGs, manifest, key, exports, preview) and every folder,
    written by pool workers as well as the main process, gets the umask's permissions."""
    cfg = place / "c.toml"
    cfg.write_text(SMALL.replace('conditions = ["raw", "clean"]', 'conditions = ["raw", "clean"]\nexports = ["coco"]'))
    mask = 0o027  # not the usual 022, so that a default could not pass by chance
    old = os.umask(mask)
    try:
        assert main(["run", str(cfg), "--out", str(place / "data"), "--workers", "2", "--no-progress"]) == 0
    finally:
        os.umask(old)
    paths = list((place / "data").rglob("*"))
    modes = {p.relative_to(place).as_posix(): oct(p.stat().st_mode & 0o777) for p in paths}
    files_ = [p for p in paths if p.is_file()]
    assert len(files_) >= 12 and any(p.suffix == ".h5" for p in files_)
    assert any("annotations" in p.parts for p in files_)
    assert all(p.stat().st_mode & 0o777 == 0o666 & ~mask for p in files_), modes
    assert all(p.stat().st_mode & 0o777 == 0o777 & ~mask for p in paths if p.is_dir()), modes


def test_a_warning_is_one_line_without_its_source():
    code = ("import warnings\n"
            "import synthstem.commands.validate as v\n"
            "from synthstem.physics.prism_check import PrismAccuracyWarning\n"
            "def run(args):\n"
            "    warnings.warn('PRISM check: error 0.21 above the tolerance 0.1\\n(see docs)', PrismAccuracyWarning)\n"
            "    return 0\n"
            "v.run = run\n"
            "from synthstem.cli import main\n"
            "raise SystemExit(main(['validate', '.']))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": SRC})
    assert r.returncode == 0
    assert r.stderr == ("synthstem: warning: PrismAccuracyWarning: PRISM check: error 0.21 above "
                        "the tolerance 0.1 (see docs)\n")


def test_config_typos_get_a_suggestion_and_values_are_shown_once(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[simulaton]\npixels = 64\n[microscope]\nenergy = -5\nconvergance = 3\n'
                   '[[structures]]\nprototyp = "rutile"\nuvw = [[0, 0, 1]]\n')
    assert main(["config", "check", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "simulaton: unknown key; did you mean 'simulation'?" in err
    assert "microscope.convergance: unknown key; did you mean 'convergence'?" in err
    assert "structures[0].prototyp: unknown key; did you mean 'prototype'?" in err
    assert "microscope.energy: must lie in (0, inf], got -5\n" in err  # the value once
    cfg.write_text('[output]\nzzzz = 1\n[[structures]]\nprototype = "rutile"\nuvw = [[0, 0, 1]]\n')
    assert main(["config", "check", str(cfg)]) == 2
    assert "output.zzzz: unknown key\n" in capsys.readouterr().err  # nothing close: no guess


def test_a_misspelt_prototype_with_a_decoration_gets_a_suggestion(place, capsys):
    assert main(["simulate", "--prototype", "perovskit/SrTiO3", "--out", str(place / "x")]) == 2
    err = capsys.readouterr().err
    assert "unknown prototype 'perovskit'; did you mean 'perovskite'" in err
    assert "does not exist" not in err and not (place / "x").exists()
