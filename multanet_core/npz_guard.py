"""The zip-bomb guard of every ``.npz`` read: checkpoints, and the training data's template and rig-key files.

:func:`check_npz` reads only the zip directory and each member's ``.npy`` header, never an array's data: a
file that is not a zip, or that declares more than it may hold (in all, or one member more than its bytes), or
an array that needs pickle, raises :class:`NpzRefused` before anything is decompressed. The caller turns that
into its own error, naming the file.
"""

from __future__ import annotations

import math
import os
import zipfile

import numpy as np

MAX_MEMBERS = 100_000
ZIP_MAGIC = b"PK\x03\x04"


class NpzRefused(ValueError):
    """An .npz file refused unread; the message says why, without the file's name (the caller adds it)."""


def check_npz(path: str | os.PathLike, max_bytes: int, max_members: int = MAX_MEMBERS) -> None:
    """Refuse a zip bomb before anything is decompressed: the file is a zip, the declared sizes in its directory
    and every member's .npy header (dtype, shape) are plain, consistent with each other, and ``max_bytes`` at
    most in total."""
    _check_magic(path)
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            if len(members) > max_members:
                _refuse(f"it holds {len(members):,} arrays (at most {max_members:,})")
            total = sum(m.file_size for m in members)
            if total > max_bytes:
                _refuse(f"its arrays declare {total / (1 << 30):.1f} GB uncompressed (at most {max_bytes >> 30} GB)")
            for m in members:
                _check_member(zf, m)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise NpzRefused(f"truncated or corrupt ({exc})") from exc


def _refuse(msg: str) -> None:
    raise NpzRefused(f"{msg}; refused before decompressing anything")


def _check_magic(path: str | os.PathLike) -> None:
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise NpzRefused(f"cannot be read ({exc.strerror or exc})") from exc
    if magic[:1] == b"\x80":
        raise NpzRefused("is a Python pickle, not an .npz archive; it was not loaded, since a pickle can run code")
    if magic != ZIP_MAGIC:
        raise NpzRefused(f"is not an .npz archive (a zip of .npy arrays); its header is {magic!r}")


def _check_member(zf: zipfile.ZipFile, m: zipfile.ZipInfo) -> None:
    """One member: an .npy whose header declares exactly the bytes it holds, of a dtype that needs no pickle."""
    if m.is_dir() or not m.filename.endswith(".npy"):
        _refuse(f"'{m.filename}' is not an array")
    with zf.open(m) as f:
        try:
            version = np.lib.format.read_magic(f)
            read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                    else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read(f, max_header_size=10_000)  # type: ignore[call-arg]  # numpy>=1.24
        except (ValueError, SyntaxError, EOFError) as exc:
            _refuse(f"'{m.filename}' has no valid .npy header ({exc})")
        header = f.tell()
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        _refuse(f"'{m.filename}' holds {dtype} data, which needs pickle")
    count = math.prod(int(n) for n in shape)
    if count * dtype.itemsize != m.file_size - header:
        _refuse(f"'{m.filename}' declares {count:,} x {dtype.itemsize}-byte elements (shape {tuple(shape)}) "
                f"but holds {max(0, m.file_size - header):,} bytes")
