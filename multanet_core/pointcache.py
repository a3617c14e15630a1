"""Vertex animation files written frame-chunk by frame-chunk: PC2 point caches and .npy arrays.

PC2 (Blender's Mesh Cache modifier reads it): little-endian header ``'<12siiffi'`` =
(b"POINTCACHE2\\0", 1, n_points, start_frame, sample_rate, n_samples), then
n_samples x n_points x 3 float32.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterable

import numpy as np

from .atomic import atomic_write
from .errors import MulTaNetError

PC2_HEADER = struct.Struct("<12siiffi")
PC2_MAGIC = b"POINTCACHE2\0"


def _write_frames(path: str, header: bytes, chunks: Iterable[np.ndarray], n_points: int) -> int:
    """Header then chunks of [t, n_points, 3] float32, atomically; returns the frames written."""
    frames = 0
    with atomic_write(path) as f:
        f.write(header)
        for chunk in chunks:
            if chunk.ndim != 3 or chunk.shape[1:] != (n_points, 3):
                raise MulTaNetError(f"vertex chunk shaped {chunk.shape}, expected [t, {n_points}, 3]")
            f.write(np.ascontiguousarray(chunk, dtype="<f4").tobytes())
            frames += chunk.shape[0]
    return frames


def write_pc2(path: str | os.PathLike, chunks: Iterable[np.ndarray], n_frames: int, n_points: int,
              start_frame: float = 0.0, sample_rate: float = 1.0) -> None:
    """Write a PC2 cache of ``n_frames`` frames given as chunks of [t, n_points, 3] vertices."""
    header = PC2_HEADER.pack(PC2_MAGIC, 1, n_points, float(start_frame), float(sample_rate), n_frames)
    written = _write_frames(os.fspath(path), header, chunks, n_points)
    if written != n_frames:
        raise MulTaNetError(f"PC2 '{path}': {written} frames written, {n_frames} announced")


def read_pc2(path: str | os.PathLike) -> tuple[np.ndarray, float, float]:
    """(vertices [n_samples, n_points, 3], start_frame, sample_rate)."""
    with open(path, "rb") as f:
        head = f.read(PC2_HEADER.size)
        if len(head) != PC2_HEADER.size:
            raise MulTaNetError(f"'{path}' is too short to be a PC2 file")
        magic, version, n_points, start, rate, n = PC2_HEADER.unpack(head)
        if magic != PC2_MAGIC or version != 1:
            raise MulTaNetError(f"'{path}' is not a PC2 point cache")
        data = np.fromfile(f, dtype="<f4", count=n * n_points * 3)
    if data.size != n * n_points * 3:
        raise MulTaNetError(f"PC2 '{path}' is truncated: {data.size // (3 * max(n_points, 1))} of {n} frames")
    return data.reshape(n, n_points, 3), start, rate


def write_npy(path: str | os.PathLike, chunks: Iterable[np.ndarray], n_frames: int, n_points: int) -> None:
    """Write a float32 [n_frames, n_points, 3] .npy file from chunks, never holding it all in memory."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": (n_frames, n_points, 3)}
    )
    written = _write_frames(os.fspath(path), buf.getvalue(), chunks, n_points)
    if written != n_frames:
        raise MulTaNetError(f"'{path}': {written} frames written, {n_frames} announced")
