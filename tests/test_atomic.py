"""multanet_core.atomic: a file being written never replaces a good one, and a killed writer's leftovers are found."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from multanet_core.atomic import atomic_path, atomic_write, stale_partials


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_atomic_path_replaces_only_when_done(tmp_path):
    target = tmp_path / "shot.blend"
    target.write_bytes(b"good")
    with pytest.raises(RuntimeError), atomic_path(target, ".blend") as tmp:
        assert tmp.endswith(".partial.blend") and not os.path.exists(tmp)  # a writer finds no file to back up
        open(tmp, "wb").write(b"half")
        raise RuntimeError("killed")
    with pytest.raises(OSError, match="nothing was written"), atomic_path(target) as tmp:
        pass
    assert target.read_bytes() == b"good" and os.listdir(tmp_path) == ["shot.blend"]
    with atomic_path(target, ".blend") as tmp:
        open(tmp, "wb").write(b"new")
    assert target.read_bytes() == b"new" and os.listdir(tmp_path) == ["shot.blend"]


def test_stale_partials_are_those_of_dead_processes(tmp_path):
    dead, alive = dead_pid(), os.getppid()
    names = [f".a.pc2.{dead}.k2j_x8.partial", f".a.pc2.{alive}.k2j_x8.partial", f".b.blend.{dead}.q1.partial.blend",
             "a.pc2", f"a.pc2.{dead}.x.partial"]  # the last: not hidden, not ours
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    with atomic_write(tmp_path / "c.npy") as f:  # this process's own temporary file is never stale
        f.write(b"y")
        assert [os.path.basename(p) for p in stale_partials(tmp_path)] == sorted([names[2], names[0]])
    assert [os.path.basename(p) for p in stale_partials(tmp_path, "b.blend")] == [names[2]]


def test_blenders_own_at_file_and_long_names_are_found(tmp_path):
    """Blender writes ``<temporary>@`` and renames it; a kill leaves it. A long name's temporary file is
    shortened to fit 255 bytes and still found for that name."""
    dead = dead_pid()
    long_name = "x" * 240 + ".blend"
    with atomic_path(tmp_path / long_name, ".blend") as tmp:
        short = os.path.basename(tmp)
        assert len((short + "@").encode()) <= 255 and short.startswith(".xxx") and "~" in short
        open(tmp, "wb").write(b"new")
    assert (tmp_path / long_name).read_bytes() == b"new"
    leftovers = [f".shot.blend.{dead}.q1x.partial.blend@", short.replace(f".{os.getpid()}.", f".{dead}.") + "@"]
    for name in leftovers:
        (tmp_path / name).write_bytes(b"half")
    assert [os.path.basename(p) for p in stale_partials(tmp_path, "shot.blend")] == [leftovers[0]]
    assert [os.path.basename(p) for p in stale_partials(tmp_path, long_name)] == [leftovers[1]]
    assert stale_partials(tmp_path, "x" * 239 + "y.blend") == []  # another long name: another hash


def test_a_replaced_file_keeps_its_mode_and_group_and_a_link_is_written_through(tmp_path):
    target = tmp_path / "real" / "shot.blend"
    target.parent.mkdir()
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    group = os.getgid() if os.geteuid() else 4242  # root may give the file any group
    os.chown(target, -1, group)
    link = tmp_path / "latest.blend"
    link.symlink_to(target)
    with atomic_path(link, ".blend") as tmp:
        assert os.path.dirname(tmp) == str(target.parent)  # beside the real file
        open(tmp, "wb").write(b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"
    st = os.stat(target)
    assert (st.st_mode & 0o7777, st.st_gid) == (0o640, group)
    with atomic_write(tmp_path / "copy", like=str(target)) as f:  # or the mode of another file
        f.write(b"x")
    assert os.stat(tmp_path / "copy").st_mode & 0o7777 == 0o640


def test_exclusive_refuses_a_second_holder_and_a_replaced_file(tmp_path, monkeypatch):
    from multanet_core.atomic import FileBusy, exclusive

    path = tmp_path / "shot.blend"
    path.write_bytes(b"a")
    with exclusive(path):
        with pytest.raises(FileBusy, match="another process holds its lock"), exclusive(path):
            pass
    with exclusive(path):  # released
        pass
    import fcntl

    import multanet_core.atomic as atomic

    class RenamedMeanwhile:  # another bake publishes its result between this one's open and its lock
        LOCK_EX, LOCK_NB = fcntl.LOCK_EX, fcntl.LOCK_NB

        @staticmethod
        def flock(fd, how):
            (tmp_path / "new").write_bytes(b"b")
            os.replace(tmp_path / "new", path)
            fcntl.flock(fd, how)

    monkeypatch.setattr(atomic, "fcntl", RenamedMeanwhile)
    with pytest.raises(FileBusy, match="was replaced"), exclusive(path):
        pass
