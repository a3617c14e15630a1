"""Faces for template meshes that come without them (BIWI, VOCASET): .npy, .obj or ASCII .ply."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import DatasetError


def read_faces(root: Path, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, Path | None]:
    """(flat indices, sizes, the file) from the first of ``names`` found in ``root``; empty when none is."""
    for name in names:
        path = Path(root) / name
        if path.is_file():
            return (*load_faces(path), path)
    return np.zeros(0, np.int32), np.zeros(0, np.int32), None


def load_faces(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Polygons of at least 3 vertices; a malformed file raises ``DatasetError`` naming it (and the line).
    Indices are not checked against a vertex count here: ``PickledTemplatesDataset.template`` does that."""
    path = Path(path)
    if path.suffix == ".npy":
        faces = np.load(path, allow_pickle=False)
        if faces.ndim != 2 or faces.shape[1] < 3 or faces.dtype.kind not in "iu":
            raise DatasetError(f"{path}: expected integer faces [F, 3 or more], got {faces.dtype} {faces.shape}")
        return faces.reshape(-1).astype(np.int32), np.full(len(faces), faces.shape[1], np.int32)
    polys: list[list[int]] = []
    lines = path.read_text(errors="replace").splitlines()
    if path.suffix == ".obj":
        for number, line in enumerate(lines, 1):
            if line.startswith("f "):
                try:
                    ids = [int(tok.split("/")[0]) for tok in line.split()[1:]]
                except ValueError:
                    raise _malformed(path, number, line, "a face's vertex indices must be whole numbers") from None
                if len(ids) < 3 or min(ids) < 1:
                    raise _malformed(path, number, line, "a face needs 3 or more vertex indices, counted from 1 "
                                     "(relative, negative indices are not read)")
                polys.append([i - 1 for i in ids])
    elif path.suffix == ".ply":
        if not lines or lines[0].strip() != "ply" or not any("format ascii" in x for x in lines[:3]):
            raise DatasetError(f"{path}: only ASCII .ply files are read; convert it or save faces.npy")
        n_vertex = n_face = 0
        end = None
        for i, line in enumerate(lines):
            parts = line.split()
            try:
                if parts[:2] == ["element", "vertex"]:
                    n_vertex = int(parts[2])
                elif parts[:2] == ["element", "face"]:
                    n_face = int(parts[2])
            except (IndexError, ValueError):
                raise _malformed(path, i + 1, line, "an element needs a count") from None
            if line.strip() == "end_header":
                end = i + 1
                break
        if end is None:
            raise DatasetError(f"{path}: no end_header line: not a .ply header")
        face_lines = lines[end + n_vertex:end + n_vertex + n_face]
        if len(face_lines) < n_face:
            raise DatasetError(f"{path}: the header promises {n_vertex} vertices and {n_face} faces, but the file "
                               f"ends {n_face - len(face_lines)} face(s) short")
        for number, line in enumerate(face_lines, end + n_vertex + 1):
            parts = line.split()
            try:
                count = int(parts[0])
                polys.append([int(v) for v in parts[1:1 + count]])
            except (IndexError, ValueError):
                raise _malformed(path, number, line, "a face is a vertex count and that many indices") from None
            if count < 3 or len(polys[-1]) != count:
                raise _malformed(path, number, line, "a face is a vertex count (3 or more) and that many indices")
    else:
        raise DatasetError(f"{path}: faces must be .npy, .obj or ASCII .ply")
    if not polys:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    try:
        return (np.concatenate([np.array(p, np.int32) for p in polys]),
                np.array([len(p) for p in polys], np.int32))
    except OverflowError:
        raise DatasetError(f"{path}: a vertex index does not fit in 32 bits") from None


def _malformed(path: Path, number: int, line: str, why: str) -> DatasetError:
    return DatasetError(f"{path}: line {number}: {line.strip()[:80]!r}: {why}")
