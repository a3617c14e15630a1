"""Checks of what a dataset or a run folder says, made where it is read: names that become parts of paths, and fps.

A character's, split's or sequence's name becomes a folder or file name in the feature cache and the run folder,
so it must be a plain name: never absolute, never ``..``, no separator. The writers build their paths with
:func:`inside`, which also follows symbolic links, so that nothing is ever written outside the folder meant.
"""

from __future__ import annotations

import math
import os
from pathlib import Path, PureWindowsPath

from .base import DatasetError

MAX_FPS = 1000.0  # the checkpoint's limit


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot be one part of a path, or None."""
    if not isinstance(name, str):
        return f"is not text but {type(name).__name__}"
    if not name:
        return "is empty"
    if os.path.isabs(name) or PureWindowsPath(name).drive:
        return "is an absolute path"
    if name in (".", ".."):
        return f"is {name!r}"
    if "/" in name or "\\" in name:
        return "holds a path separator"
    if "\0" in name:
        return "holds a NUL character"
    return None


def require_name(name: object, what: str, where: str | os.PathLike) -> str:
    """``name`` if it is a plain folder name; else a ``DatasetError`` naming ``where`` it comes from and why."""
    problem = name_problem(name)
    if problem is not None:
        raise DatasetError(f"{where}: {what} {name!r} {problem}; it must be a plain folder name (it names folders "
                           f"and files in the feature cache and the run folder)")
    return str(name)


def inside(folder: str | os.PathLike, *parts: str) -> Path:
    """``folder / parts``, each part a plain name (:func:`require_name`), refused when the path, symbolic links
    followed, leads outside ``folder``."""
    for part in parts:
        require_name(part, "the name", folder)
    path = Path(folder).joinpath(*parts)
    base = os.path.realpath(folder)
    if os.path.commonpath([base, os.path.realpath(path)]) != base:
        raise DatasetError(f"{path}: leads outside {folder} (through a symbolic link to "
                           f"{os.path.realpath(path)}); nothing is written there")
    return path


def checked_fps(value: object, where: str | os.PathLike) -> float:
    """``value`` as frames per second if it is a finite number above 0 and at most 1000; else a ``DatasetError``."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not 0 < value <= MAX_FPS:  # type: ignore[operator]
        raise DatasetError(f"{where}: 'fps' must be a number of frames per second above 0 and at most "
                           f"{MAX_FPS:g}, not {value!r}")
    return float(value)  # type: ignore[arg-type]
