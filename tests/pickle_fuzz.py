"""Seeded hostile inputs for the restricted unpickler: valid pickles of dicts of float arrays (every
protocol, Python 2 style text data, and the forged structured-dtype pickle that once segfaulted),
mutated by flipping, inserting, deleting and repeating bytes, plus random bytes.

Run as a script it loads ``--count`` of them in this process and prints one JSON line of counts:
each input must load to plain data or raise ``UnsafePickleError``; anything else ends the run with
a traceback (so does a refusal caused by a MemoryError: a few bytes must not claim gigabytes; the
address space is limited so that one fails fast), and a crash ends the process, so the caller runs it
as a child and checks its exit status:
``python -m tests.pickle_fuzz --count 300 --seed 0``.
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import resource
import sys
import time

import numpy as np

# run from the repository root (python -m tests.pickle_fuzz): train is importable from the working directory
from train.data.safe_pickle import UnsafePickleError, safe_loads

_OPCODES = bytes(sorted({op[0] for name, op in vars(pickle).items() if name.isupper() and isinstance(op, bytes)
                         and len(op) == 1}))


class _Py2Array:
    """An array pickled the way Python 2 numpy did: its data as latin-1 text."""

    def __init__(self, arr: np.ndarray):
        self.arr = arr

    def __reduce__(self):
        state = (1, self.arr.shape, self.arr.dtype, False, self.arr.tobytes().decode("latin1"))
        return np.core.multiarray._reconstruct, (np.ndarray, (0,), b"b"), state


class ForgedDtype:
    """A structured dtype with an object field whose state says it holds no objects (flags 0)."""

    def __init__(self, spec: str = "V8", field: str = "O"):
        self.spec, self.field = spec, field

    def __reduce__(self):
        return np.dtype, (self.spec, False, True), (3, "|", None, ("a",), {"a": (np.dtype(self.field), 0)}, 8, 1, 0)


class ForgedArray:
    """One element of a ``ForgedDtype``, its 8 bytes an address numpy would follow as a Python object."""

    def __init__(self, spec: str = "V8", field: str = "O", address: bytes = b"\x41" * 8):
        self.spec, self.field, self.address = spec, field, address

    def __reduce__(self):
        state = (1, (1,), ForgedDtype(self.spec, self.field), False, self.address)
        return np.core.multiarray._reconstruct, (np.ndarray, (0,), b"b"), state


def seeds() -> list[bytes]:
    """The valid (and the forged) pickles the mutations start from."""
    rng = np.random.default_rng(0)
    value = {"F2": rng.normal(size=(5, 3)), "M3": rng.normal(size=(4, 3)).astype(np.float32),
             "lips": np.arange(6, dtype=np.int64), "n": 3, "name": "sentence01", "scale": np.float64(0.5)}
    out = [pickle.dumps(value, protocol=p) for p in range(5)]
    out.append(pickle.dumps({"a": _Py2Array(rng.normal(size=(3, 3))), "sr": 22000}, protocol=2))
    out.append(pickle.dumps({"big": np.arange(4, dtype=">f8"), "empty": np.zeros((0, 3))}, protocol=2))
    out += [pickle.dumps({"tmpl": ForgedArray(spec)}, protocol=p) for spec in ("V8", "f8") for p in (2, 4)]
    return out


def mutate(data: bytes, rnd: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        op, at = rnd.randrange(6), rnd.randrange(len(buf) + 1)
        if op == 0 and buf:  # flip one bit
            at = min(at, len(buf) - 1)
            buf[at] ^= 1 << rnd.randrange(8)
        elif op == 1:  # insert random bytes
            buf[at:at] = rnd.randbytes(rnd.randint(1, 8))
        elif op == 2:  # insert an opcode
            buf[at:at] = bytes([rnd.choice(_OPCODES)])
        elif op == 3:  # delete a run
            del buf[at:at + rnd.randint(1, 8)]
        elif op == 4 and buf:  # overwrite with a random byte
            at = min(at, len(buf) - 1)
            buf[at] = rnd.randrange(256)
        else:  # repeat a chunk somewhere else
            chunk = bytes(buf[at:at + rnd.randint(1, 16)])
            pos = rnd.randrange(len(buf) + 1)
            buf[pos:pos] = chunk
    return bytes(buf)


def inputs(count: int, seed: int):
    rnd, base = random.Random(seed), seeds()
    for i in range(count):
        if i % 20 == 19:
            yield rnd.randbytes(rnd.randint(0, 64))
        else:
            yield mutate(rnd.choice(base), rnd)


def touch(value, depth: int = 0) -> None:
    """Read every loaded array's bytes and values: a forged one would crash here."""
    if isinstance(value, np.ndarray):
        assert type(value) is np.ndarray and value.dtype.kind in "biufc" and not value.dtype.hasobject, value.dtype
        assert len(value.tobytes()) == value.size * value.dtype.itemsize
        np.asarray(value, np.complex128).sum()
    elif isinstance(value, dict):
        for k, v in value.items():
            touch(k, depth + 1)
            touch(v, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            touch(v, depth + 1)
    else:
        assert isinstance(value, str | bytes | int | float | complex | np.generic | type(None)), type(value)
        assert not isinstance(value, np.generic) or value.dtype.kind in "biufc", value


def run(count: int, seed: int) -> dict:
    loaded = refused = 0
    start = time.perf_counter()
    for i, data in enumerate(inputs(count, seed)):
        try:
            value = safe_loads(data, f"input {i}")
        except UnsafePickleError as exc:
            if isinstance(exc.__cause__, MemoryError):  # a few bytes asked for gigabytes: a failure too
                raise
            refused += 1
            continue
        touch(value)
        loaded += 1
    return {"inputs": count, "loaded": loaded, "refused": refused, "seconds": round(time.perf_counter() - start, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-gb", type=float, default=4.0, help="address-space limit: a memory bomb fails fast")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_AS, (int(args.memory_gb * 2**30), resource.getrlimit(resource.RLIMIT_AS)[1]))
    print(json.dumps(run(args.count, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
