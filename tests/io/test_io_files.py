"""Atomic writers: file modes follow the umask; a write failing part-way leaves no file."""

import errno
import os
import stat

import numpy as np
import pytest

from synthstem.io import files
from synthstem.io.files import atomic_path, remove_temporaries, write_bytes, write_json
from synthstem.io.hdf5 import Item, read_item, root_attrs, write_item
from synthstem.io.png import write_png


def _item(n=16):
    rng = np.random.default_rng(0)
    raw = rng.random((n, n)) + 0.5
    return Item(name="000001.000001", attrs=root_attrs(10.0, "Cu", (0.0, 0.0, 3.6), 1, (0, 0, 1)),
                raw=raw, images={"stem00-clean": raw.astype(np.float32)},
                peak_maps={"clean": raw > 1.2}, full_coords=np.zeros((3, 2), np.float32))


@pytest.fixture
def umask():
    """Set the process umask for one test and restore it afterwards."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002, 0o027, 0o000])
def test_files_get_0666_minus_umask(tmp_path, umask, mask):
    umask(mask)
    expected = 0o666 & ~mask
    paths = [write_bytes(tmp_path / "a.bin", b"x" * 10),
             write_json(tmp_path / "sub" / "b.json", {"k": 1}),
             write_png(tmp_path / "c.png", np.random.default_rng(1).random((20, 20))),
             write_item(tmp_path / "d.h5", _item())]
    for p in paths:
        assert _mode(p) == expected, (p, oct(_mode(p)), oct(expected))
    # a replaced file gets the mode of a new one, not the old file's
    os.chmod(paths[0], 0o600)
    assert _mode(write_bytes(paths[0], b"y")) == expected
    # folders created on the way follow the umask too (mkdir 0o777 & ~umask)
    assert _mode(tmp_path / "sub") == 0o777 & ~mask


def test_write_bytes_round_trip_and_no_leftovers(tmp_path):
    data = bytes(range(256)) * 1000
    write_bytes(tmp_path / "f", data)
    write_bytes(tmp_path / "empty", b"")
    assert (tmp_path / "f").read_bytes() == data and (tmp_path / "empty").read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "f"]


def _failing_os_write(monkeypatch, code, after_bytes):
    """Make ``os.write`` write ``after_bytes`` bytes, then fail with ``code`` (ENOSPC, EIO)."""
    real = os.write
    state = {"written": 0}

    def write(fd, data):
        room = after_bytes - state["written"]
        if room <= 0:
            raise OSError(code, os.strerror(code))
        n = real(fd, bytes(memoryview(data)[:room]))
        state["written"] += n
        return n

    monkeypatch.setattr(files.os, "write", write)
    return state


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
def test_failed_write_leaves_old_file_and_no_partial(tmp_path, monkeypatch, code):
    target = tmp_path / "data.bin"
    target.write_bytes(b"old contents")
    state = _failing_os_write(monkeypatch, code, after_bytes=1000)
    with pytest.raises(OSError) as info:
        write_bytes(target, b"n" * 5000)
    assert state["written"] == 1000  # the failure really was part-way through the file
    assert info.value.errno == code and info.value.filename == str(target)
    assert target.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
def test_failed_item_write_leaves_nothing(tmp_path, monkeypatch, code):
    _failing_os_write(monkeypatch, code, after_bytes=2048)
    with pytest.raises(OSError) as info:
        write_item(tmp_path / "items" / "x.h5", _item())
    assert info.value.errno == code and info.value.filename == str(tmp_path / "items" / "x.h5")
    assert list((tmp_path / "items").iterdir()) == []
    monkeypatch.undo()
    item = read_item(write_item(tmp_path / "items" / "x.h5", _item()))
    np.testing.assert_array_equal(item.raw, _item().raw)


def test_error_inside_atomic_path_names_the_target(tmp_path):
    # errors raised by libraries writing the temporary file (h5py: no file name) name the target
    with pytest.raises(OSError) as info:
        with atomic_path(tmp_path / "t.h5"):
            raise OSError(errno.EIO, "Can't write data")
    assert info.value.filename == str(tmp_path / "t.h5") and info.value.errno == errno.EIO
    with pytest.raises(OSError, match="t.h5: unable to flush"):
        with atomic_path(tmp_path / "t.h5"):
            raise OSError("unable to flush")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(tmp_path / "t.h5") as tmp:
            open(tmp, "wb").write(b"half")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_remove_temporaries_keeps_real_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".x.h5.0badc0de.tmp").write_bytes(b"")
    (tmp_path / "a" / "x.h5").write_bytes(b"")
    assert [p.name for p in remove_temporaries(tmp_path)] == [".x.h5.0badc0de.tmp"]
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["x.h5"]
