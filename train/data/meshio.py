"""Faces for template meshes that come without them (BIWI, VOCASET): .npy, .obj or ASCII .ply."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import DatasetError


def read_faces(root: Path, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(flat indices, sizes) from the first of ``names`` found in ``root``; empty when none is."""
    for name in names:
        path = Path(root) / name
        if path.is_file():
            return load_faces(path)
    return np.zeros(0, np.int32), np.zeros(0, np.int32)


def load_faces(path: Path) -> tuple[np.ndarray, np.ndarray]:
    path = Path(path)
    if path.suffix == ".npy":
        faces = np.load(path, allow_pickle=False)
        return faces.reshape(-1).astype(np.int32), np.full(len(faces), faces.shape[1], np.int32)
    polys: list[list[int]] = []
    lines = path.read_text(errors="replace").splitlines()
    if path.suffix == ".obj":
        for line in lines:
            if line.startswith("f "):
                polys.append([int(tok.split("/")[0]) - 1 for tok in line.split()[1:]])
    elif path.suffix == ".ply":
        if not lines or lines[0].strip() != "ply" or not any("format ascii" in x for x in lines[:3]):
            raise DatasetError(f"{path}: only ASCII .ply files are read; convert it or save faces.npy")
        n_vertex = n_face = 0
        end = 0
        for i, line in enumerate(lines):
            parts = line.split()
            if parts[:2] == ["element", "vertex"]:
                n_vertex = int(parts[2])
            elif parts[:2] == ["element", "face"]:
                n_face = int(parts[2])
            elif line.strip() == "end_header":
                end = i + 1
                break
        for line in lines[end + n_vertex:end + n_vertex + n_face]:
            vals = [int(v) for v in line.split()]
            polys.append(vals[1:1 + vals[0]])
    else:
        raise DatasetError(f"{path}: faces must be .npy, .obj or ASCII .ply")
    if not polys:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    return (np.concatenate([np.array(p, np.int32) for p in polys]),
            np.array([len(p) for p in polys], np.int32))
