"""Write-then-rename: a file being written never replaces a good one until it is complete.

:func:`atomic_write` yields a file object, :func:`atomic_path` a path (for writers that want a name).
The temporary file is ``.<name>.<pid>.<random>.partial`` beside the target (``<name>`` shortened to
``<start>~<hash>`` when the whole would pass the file system's 255-byte name limit); a process killed
while writing leaves it (and Blender's own ``<temporary>@`` beside it), and :func:`stale_partials`
finds those whose process is gone so the next writer can delete them. A target that is a symbolic link
is written through (the link stays); the file that replaces one keeps its permissions, owner and group
where allowed. :func:`exclusive` is the lock that keeps two writers of one file apart."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; exclusive() only checks the file
    fcntl = None  # type: ignore[assignment]

PARTIAL = ".partial"
NAME_MAX = 255  # bytes in one file name (ext4, xfs, btrfs, NTFS, APFS)
_ROOM = 1 + 1 + 7 + 1 + 8 + len(PARTIAL) + 16 + 1  # "." name "." pid "." random ".partial" suffix "@"
STEM_MAX = NAME_MAX - _ROOM


class FileBusy(OSError):
    """Another process holds the file's lock, or replaced the file while this one waited for it."""


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def temp_stem(name: str) -> str:
    """The ``<name>`` part of a temporary file's name for target ``name``: the name itself, or when that
    would make the temporary name too long, its first bytes, ``~`` and 8 hex digits of its hash."""
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) <= STEM_MAX:
        return name
    start = raw[:STEM_MAX - 9].decode("utf-8", "ignore")  # "ignore": never half a character
    return f"{start}~{hashlib.sha1(raw).hexdigest()[:8]}"


_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<random>\w+)\.partial(?:\.\w+)?@?$")


def stale_partials(folder: str | os.PathLike, target: str | None = None) -> list[str]:
    """The temporary files in ``folder`` that :func:`atomic_write` and :func:`atomic_path` calls of dead
    processes left behind, Blender's ``@`` files included (only those for the file named ``target``,
    when given)."""
    folder = os.fspath(folder)
    stem = temp_stem(target) if target is not None else None
    out = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        m = _TEMP.match(name)
        if m is None or (stem is not None and m["name"] != stem):
            continue
        pid = int(m["pid"])
        if pid != os.getpid() and not pid_alive(pid):
            out.append(os.path.join(folder, name))
    return out


def _mkstemp(path: str, suffix: str) -> tuple[int, str]:
    if len(suffix) > 16:
        raise ValueError(f"suffix '{suffix}' is longer than 16 characters")
    return tempfile.mkstemp(prefix=f".{temp_stem(os.path.basename(path))}.{os.getpid()}.",
                            suffix=PARTIAL + suffix, dir=os.path.dirname(path))


def _publish(tmp: str, path: str, like: str | None) -> None:
    """Give ``tmp`` the permissions (and owner and group, where allowed) of ``like`` (default: the file it
    replaces; a new file gets the usual umask permissions) and rename it onto ``path``."""
    try:
        st = os.stat(like if like is not None else path)
    except FileNotFoundError:
        st = None
    if st is None:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
    else:
        mine = os.stat(tmp)
        if (mine.st_uid, mine.st_gid) != (st.st_uid, st.st_gid):
            for uid in (st.st_uid, -1):  # only root may give a file away; a member may set its group
                with contextlib.suppress(PermissionError):
                    os.chown(tmp, uid, st.st_gid)
                    break
        os.chmod(tmp, stat.S_IMODE(st.st_mode))  # after chown, which clears set-id bits
    os.replace(tmp, path)


def resolved(path: str | os.PathLike) -> str:
    """The absolute path a write to ``path`` lands on: symbolic links followed (a link is written through)."""
    return os.path.realpath(os.fspath(path))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "", like: str | None = None) -> Iterator[str]:
    """Yield a temporary path beside ``path`` (``.<name>.<pid>.<random>.partial<suffix>``; nothing is
    there yet) for a writer that wants a file name, such as Blender's save; when the block ends and the
    file is there and not empty, it is flushed to disk and renamed onto ``path`` (see :func:`_publish`
    for ``like``). Any failure removes it."""
    path = resolved(path)
    fd, tmp = _mkstemp(path, suffix)
    os.close(fd)
    os.unlink(tmp)  # a writer that finds a file may keep a backup of it (Blender's .blend1)
    try:
        yield tmp
        if not os.path.isfile(tmp) or os.path.getsize(tmp) == 0:
            raise OSError(f"nothing was written to '{tmp}'")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        _publish(tmp, path, like)
    except BaseException:
        for leftover in (tmp, tmp + "@"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
        raise


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, like: str | None = None) -> Iterator[BinaryIO]:
    """Yield a binary file in the target's folder; on success it is renamed onto ``path``."""
    path = resolved(path)
    fd, tmp = _mkstemp(path, "")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        _publish(tmp, path, like)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def exclusive(path: str | os.PathLike, read: tuple[int, int] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` names (``fcntl.flock``, never waiting) for the block.

    Raises :class:`FileBusy` when another process holds it, when ``path`` no longer names the file that
    was locked (a writer that held the lock meanwhile renamed its result onto ``path``), or, with ``read``
    (the (device, inode) the caller read ``path`` as, before it could lock), when it is not the one read.
    Writers that replace the file by renaming keep holding the lock on the old one until they are done."""
    path = os.fspath(path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise FileBusy(f"'{path}' is in use: another process holds its lock (a bake of the "
                               f"same file running now?)") from None
        locked, now = os.fstat(fd), os.stat(path)
        if (locked.st_dev, locked.st_ino) != (now.st_dev, now.st_ino):
            raise FileBusy(f"'{path}' was replaced by another process while this one opened it")
        if read is not None and read != (locked.st_dev, locked.st_ino):
            raise FileBusy(f"'{path}' was replaced by another process (a bake of the same file?) after this one "
                           f"read it: open it again")
        yield
    finally:
        os.close(fd)  # releases the lock
