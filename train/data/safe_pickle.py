"""A restricted unpickler for the pickles of BIWI and VOCASET releases.

It admits only dicts, lists, tuples, strings, bytes, numbers, booleans, None and numpy arrays
(plus numpy scalars and dtypes, which arrays are made of). Any other global (a class, a function
such as ``os.system``) is refused with ``UnsafePickleError`` before anything is called, so a
malicious pickle runs nothing.

numpy's own reconstruction is not trusted either: a dtype's pickled state (BUILD, ``__setstate__``)
can describe a structured dtype with an object field that reports ``hasobject == False``, whose
array bytes numpy would then follow as pointers. So only plain numeric and bool dtypes are built,
from a dtype string, and their state is set from a tuple made here, only when the pickle's equals
it; every array's state is checked (shape, dtype, data length) before numpy sees it. This needs
the pure-Python unpickler, whose BUILD can be overridden (the C one always calls ``__setstate__``);
it is slower per opcode but these pickles are few opcodes and large strings.
"""

from __future__ import annotations

import io
import math
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
    ("builtins", "bytes"), ("__builtin__", "bytes"),  # ... and b"" (an empty array's data) as bytes()
    ("builtins", "set"), ("builtins", "frozenset"), ("__builtin__", "set"), ("__builtin__", "frozenset"),
}
_PLAIN_KINDS = "biufc"  # bool, signed and unsigned integers, floats, complex numbers


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle asked for something other than plain data and numpy arrays, or is not a readable pickle."""


class _NdarrayGlobal:
    """Stands for ``numpy.ndarray``, which a pickle names as ``_reconstruct``'s first argument but may not call."""

    def __new__(cls, *args, **kwargs):
        raise UnsafePickleError("refused to call numpy.ndarray directly")


def _plain_dtype(dtype) -> np.dtype:
    """``dtype`` when it is a plain numeric or bool dtype, the same as the one its ``.str`` names."""
    if not isinstance(dtype, np.dtype):
        raise UnsafePickleError(f"expected a numpy dtype, got {type(dtype).__name__}")
    if (dtype.kind not in _PLAIN_KINDS or dtype.hasobject or dtype.fields is not None or dtype.names is not None
            or dtype.subdtype is not None or dtype.flags != 0 or dtype.metadata is not None
            or dtype != np.dtype(dtype.str) or dtype.itemsize != np.dtype(dtype.str).itemsize):
        raise UnsafePickleError(f"refused numpy dtype {dtype!r}: only plain numeric and bool dtypes are allowed")
    return dtype


def _latin1_bytes(data) -> bytes:
    if isinstance(data, str):  # how Python 2 pickles (VOCASET) hold array data
        try:
            return data.encode("latin1")
        except UnicodeEncodeError:
            raise UnsafePickleError("array data is text that is not latin-1") from None
    if not isinstance(data, bytes):
        raise UnsafePickleError(f"array data must be bytes, got {type(data).__name__}")
    return data


def _latin1_encode(text, encoding="utf-8", errors="strict"):
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1") or errors != "strict":
        raise UnsafePickleError(f"refused _codecs.encode with {type(text).__name__}, {encoding!r}")
    return text.encode("latin1")


def _empty_bytes(*args):
    if args:
        raise UnsafePickleError("refused bytes() with arguments")
    return b""


class _Opcodes(dict):
    def __missing__(self, key: int):
        raise pickle.UnpicklingError(f"invalid load key {bytes([key])!r}")


class _Restricted(pickle._Unpickler):
    dispatch = _Opcodes(pickle._Unpickler.dispatch)

    def __init__(self, file):
        super().__init__(file, encoding="latin1")
        self._unbuilt: dict[int, object] = {}  # dtypes and arrays made here, waiting for their one BUILD

    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise UnsafePickleError(f"refused to load {module}.{name}: this pickle may only hold "
                                    "dicts, lists, strings, numbers and numpy arrays")
        return {"_reconstruct": self._reconstruct, "scalar": self._scalar, "ndarray": _NdarrayGlobal,
                "dtype": self._dtype, "encode": _latin1_encode, "bytes": _empty_bytes,
                }.get(name) or super().find_class(module, name)

    def persistent_load(self, pid):
        raise UnsafePickleError("refused a persistent reference in the pickle")

    def _dtype(self, spec, align=False, copy=True):
        """``numpy.dtype(spec, align, copy)`` for a plain dtype string; always a new object (copy=False
        would hand BUILD numpy's shared float64 itself)."""
        if not isinstance(spec, str) or len(spec) > 8:
            raise UnsafePickleError(f"refused numpy dtype from {type(spec).__name__} {spec!r:.40}")
        try:
            dtype = np.dtype(spec, False, True)
        except (TypeError, ValueError) as exc:
            raise UnsafePickleError(f"refused numpy dtype {spec!r}: {exc}") from None
        self._unbuilt[id(dtype)] = _plain_dtype(dtype)
        return dtype

    def _reconstruct(self, cls, shape, dtype):
        """An empty ndarray whose BUILD sets its shape, dtype and data; the arguments are not used."""
        if cls is not _NdarrayGlobal:
            raise UnsafePickleError(f"refused to build an array of class {cls!r}")
        arr = np.ndarray.__new__(np.ndarray, (0,), np.uint8)
        self._unbuilt[id(arr)] = arr
        return arr

    def _scalar(self, dtype, data):
        dtype = self._built_dtype(dtype)
        data = _latin1_bytes(data)
        if len(data) != dtype.itemsize:
            raise UnsafePickleError(f"a numpy {dtype.str} scalar needs {dtype.itemsize} bytes, got {len(data)}")
        return np.frombuffer(data, dtype)[0]

    def _built_dtype(self, dtype) -> np.dtype:
        """A plain dtype whose state is set: a later BUILD cannot change it under an array made with it."""
        if id(dtype) in self._unbuilt:
            raise UnsafePickleError("refused a numpy dtype used before its state was set")
        return _plain_dtype(dtype)

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if self._unbuilt.pop(id(inst), None) is not inst:
            raise UnsafePickleError(f"refused to set the state of a {type(inst).__name__}")
        if isinstance(inst, np.dtype):
            _build_dtype(inst, state)
        else:
            self._build_array(inst, state)

    dispatch[pickle.BUILD[0]] = load_build

    def load_bytearray8(self):
        """Refused before the pure-Python unpickler zero-fills a bytearray of the length the pickle claims."""
        raise UnsafePickleError("refused a bytearray (protocol 5 buffer data)")

    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8

    def _build_array(self, arr: np.ndarray, state) -> None:
        """Check an array's state (version, shape, dtype, Fortran order, data) before numpy sets it."""
        if not isinstance(state, tuple) or len(state) not in (4, 5) or (len(state) == 5 and state[0] != 1):
            raise UnsafePickleError(f"refused numpy array state {state!r:.200}")
        shape, dtype, fortran, data = state[-4:]
        if (not isinstance(shape, tuple) or len(shape) > 32
                or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
            raise UnsafePickleError(f"refused numpy array shape {shape!r:.200}")
        dtype = self._built_dtype(dtype)
        if not isinstance(fortran, bool | int):
            raise UnsafePickleError(f"refused numpy array order flag {fortran!r:.40}")
        data = _latin1_bytes(data)
        if len(data) != math.prod(shape) * dtype.itemsize:
            raise UnsafePickleError(f"numpy array of shape {shape} and dtype {dtype.str} needs "
                                    f"{math.prod(shape) * dtype.itemsize} bytes of data, got {len(data)}")
        arr.__setstate__((1, shape, dtype, bool(fortran), data))
        _check_array(arr)
        if arr.shape != shape or arr.dtype not in (dtype, dtype.newbyteorder("=")):  # numpy swaps to native order
            raise UnsafePickleError(f"numpy array state gave {arr.shape} {arr.dtype.str}, expected {shape} {dtype.str}")


def _build_dtype(dtype: np.dtype, state) -> None:
    """Set the byte order the pickle asks for, only when its state is exactly a plain dtype's."""
    order = state[1] if isinstance(state, tuple) and len(state) > 1 else None
    if order not in ("<", ">", "|", "="):
        raise UnsafePickleError(f"refused numpy dtype state {state!r:.200}")
    expected = dtype.newbyteorder(order) if order in "<>" else dtype
    trusted = expected.__reduce__()[2]
    if state != trusted:
        raise UnsafePickleError(f"refused numpy dtype state {state!r:.200}: a plain {dtype.str} dtype's is {trusted}")
    dtype.__setstate__(trusted)
    _plain_dtype(dtype)
    if dtype.str != expected.str:
        raise UnsafePickleError(f"numpy dtype state gave {dtype.str}, expected {expected.str}")


def _check_array(arr: np.ndarray) -> None:
    if type(arr) is not np.ndarray:
        raise UnsafePickleError(f"refused an array of class {type(arr).__name__}")
    dtype = _plain_dtype(arr.dtype)
    if arr.nbytes != math.prod(arr.shape) * dtype.itemsize:
        raise UnsafePickleError(f"numpy array of shape {arr.shape} and dtype {dtype.str} holds {arr.nbytes} bytes")


def _check(value, depth: int = 0):
    if depth > 50:
        raise UnsafePickleError("nested too deeply")
    if isinstance(value, np.ndarray):
        _check_array(value)
    elif isinstance(value, np.generic):
        _plain_dtype(value.dtype)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check(k, depth + 1)
            _check(v, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            _check(v, depth + 1)
    elif not isinstance(value, str | bytes | int | float | complex | bool | type(None)):
        raise UnsafePickleError(f"refused a value of type {type(value).__name__}")


def _load(file, source: str):
    try:
        value = _Restricted(file).load()
        _check(value)
    except UnsafePickleError as exc:
        raise UnsafePickleError(f"{source}: {exc}") from None
    except Exception as exc:  # a truncated or corrupt pickle: whatever the opcodes ran into
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise UnsafePickleError(f"{source}: not a readable pickle ({detail})") from exc
    return value


def safe_loads(data: bytes, source: str = "<bytes>"):
    return _load(io.BytesIO(data), source)


def safe_load(path: str | Path):
    """Load a pickle file holding only plain data and numpy arrays."""
    path = Path(path)
    with open(path, "rb") as f:
        return _load(f, str(path))
