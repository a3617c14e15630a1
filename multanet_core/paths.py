"""Input paths: only a regular file is ever opened (a FIFO, device or socket would block forever)."""

from __future__ import annotations

import os
import stat


def require_regular_file(path: str | os.PathLike, what: str, error: type[Exception]) -> str:
    """``path`` as a string if it names an existing regular file; else ``error`` saying what it is instead."""
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise error(f"{what} '{path}' does not exist") from None
    except OSError as exc:
        raise error(f"{what} '{path}' cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise error(f"{what} '{path}' is a folder, not a file")
    if not stat.S_ISREG(mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        raise error(f"{what} '{path}' is {kind}; only regular files are read (reading it could wait forever)")
    return path


def require_output_path(path: str | os.PathLike, what: str, error: type[Exception]) -> str:
    """``path`` as a string if a file can be written there: its folder exists and it is not a folder itself."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise error(f"{what} '{path}' is a folder; give a file name")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise error(f"{what} '{path}': the folder '{folder}' does not exist")
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        raise error(f"{what} '{path}' exists and is not a regular file")
    return path
