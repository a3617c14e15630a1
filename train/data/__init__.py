"""Datasets: the folder format, BIWI and VOCASET behind one interface (``MotionDataset``)."""

from __future__ import annotations

from pathlib import Path

from .base import DatasetError, MotionDataset, Sequence, Template
from .folder import FolderDataset


def open_dataset(path: str | Path, kind: str | None = None, **options) -> MotionDataset:
    """Open a dataset, guessing its layout when ``kind`` is None ("folder", "biwi" or "vocaset")."""
    path = Path(path)
    if kind is None:
        if (path / "dataset.json").is_file():
            kind = "folder"
        elif (path / "data_verts.npy").is_file():
            kind = "vocaset"
        elif (path / "vertices_npy").is_dir():
            kind = "biwi"
        else:
            raise DatasetError(f"{path}: not a known dataset layout (no dataset.json, data_verts.npy or vertices_npy/)")
    if kind == "folder":
        return FolderDataset(path)
    if kind == "biwi":
        from .biwi import BiwiDataset

        return BiwiDataset(path, **options)
    if kind == "vocaset":
        from .vocaset import VocasetDataset

        return VocasetDataset(path, **options)
    raise ValueError(f"unknown dataset kind {kind!r}")


__all__ = ["DatasetError", "FolderDataset", "MotionDataset", "Sequence", "Template", "open_dataset"]
