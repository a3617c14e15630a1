"""Write-then-rename: a file being written never replaces a good one until it is complete.

The temporary file is ``.<name>.<pid>.<random>.partial`` beside the target; a process killed while
writing leaves it, and :func:`stale_partials` finds those whose process is gone so the next writer
can delete them."""

from __future__ import annotations

import contextlib
import os
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


def stale_partials(folder: str | os.PathLike) -> list[str]:
    """The temporary files in ``folder`` that :func:`atomic_write` calls of dead processes left behind."""
    folder = os.fspath(folder)
    out = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if not (name.startswith(".") and name.endswith(PARTIAL)):
            continue
        parts = name[:-len(PARTIAL)].rsplit(".", 2)  # [".<name>", pid, random]
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) != os.getpid() and not pid_alive(int(parts[1])):
            out.append(os.path.join(folder, name))
    return out


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yield a binary file in the target's folder; on success it is renamed onto ``path``."""
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.{os.getpid()}.", suffix=PARTIAL,
                               dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
