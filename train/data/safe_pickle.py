"""A restricted unpickler for the pickles of BIWI and VOCASET releases.

It admits only dicts, lists, tuples, strings, bytes, numbers, booleans, None and numpy arrays
(plus numpy scalars and dtypes, which arrays are made of). Any other global (a class, a function
such as ``os.system``) is refused with ``UnsafePickleError`` before anything is called, so a
malicious pickle runs nothing.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("collections", "OrderedDict"),
    ("_codecs", "encode"),  # protocol-2 pickles store bytes (and array data) as latin-1 text
    ("builtins", "set"), ("builtins", "frozenset"), ("__builtin__", "set"), ("__builtin__", "frozenset"),
}


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle asked for something other than plain data and numpy arrays."""


class _Restricted(pickle.Unpickler):
    def __init__(self, file, source: str):
        super().__init__(file, encoding="latin1")
        self.source = source

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            if name == "_reconstruct":
                return _reconstruct_ndarray_only
            return super().find_class(module, name)
        raise UnsafePickleError(f"{self.source}: refused to load {module}.{name}: this pickle may only hold "
                                "dicts, lists, strings, numbers and numpy arrays")

    def persistent_load(self, pid):
        raise UnsafePickleError(f"{self.source}: refused a persistent reference in the pickle")


def _reconstruct_ndarray_only(cls, shape, dtype):
    if cls is not np.ndarray:
        raise UnsafePickleError(f"refused to build an array of class {cls!r}")
    return np.ndarray.__new__(np.ndarray, shape, dtype)


def _check(value, source: str, depth: int = 0):
    if depth > 50:
        raise UnsafePickleError(f"{source}: nested too deeply")
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise UnsafePickleError(f"{source}: refused a numpy array of Python objects")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check(k, source, depth + 1)
            _check(v, source, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            _check(v, source, depth + 1)
    elif not isinstance(value, str | bytes | int | float | complex | bool | np.generic | type(None)):
        raise UnsafePickleError(f"{source}: refused a value of type {type(value).__name__}")


def safe_loads(data: bytes, source: str = "<bytes>"):
    value = _Restricted(io.BytesIO(data), source).load()
    _check(value, source)
    return value


def safe_load(path: str | Path):
    """Load a pickle file holding only plain data and numpy arrays."""
    path = Path(path)
    with open(path, "rb") as f:
        value = _Restricted(f, str(path)).load()
    _check(value, str(path))
    return value
