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
