"""Write-then-rename: a file being written never replaces a good one until it is complete.

:func:`atomic_write` yields a file object, :func:`atomic_path` a path (for writers that want a name).
The temporary file is ``.<name>.<pid>.<random>.partial`` beside the target; a process killed while
writing leaves it, and :func:`stale_partials` finds those whose process is gone so the next writer
can delete them."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

PARTIAL = ".partial"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<random>\w+)\.partial(?:\.\w+)?$")


def stale_partials(folder: str | os.PathLike, target: str | None = None) -> list[str]:
    """The temporary files in ``folder`` that :func:`atomic_write` and :func:`atomic_path` calls of dead
    processes left behind (only those for the file named ``target``, when given)."""
    folder = os.fspath(folder)
    out = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        m = _TEMP.match(name)
        if m is None or (target is not None and m["name"] != target):
            continue
        pid = int(m["pid"])
        if pid != os.getpid() and not pid_alive(pid):
            out.append(os.path.join(folder, name))
    return out


def _publish(tmp: str, path: str) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[str]:
    """Yield a temporary path beside ``path`` (``.<name>.<pid>.<random>.partial<suffix>``; nothing is
    there yet) for a writer that wants a file name, such as Blender's save; when the block ends and the
    file is there and not empty, it is flushed to disk and renamed onto ``path``. Any failure removes it."""
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.{os.getpid()}.", suffix=PARTIAL + suffix,
                               dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    os.unlink(tmp)  # a writer that finds a file may keep a backup of it (Blender's .blend1)
    try:
        yield tmp
        if not os.path.isfile(tmp) or os.path.getsize(tmp) == 0:
            raise OSError(f"nothing was written to '{tmp}'")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        _publish(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yield a binary file in the target's folder; on success it is renamed onto ``path``."""
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.{os.getpid()}.", suffix=PARTIAL,
                               dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        _publish(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
