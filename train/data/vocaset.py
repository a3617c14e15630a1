"""VOCASET in its release layout.

::

    ROOT/data_verts.npy          [N, 5023, 3] float32, every frame of every sequence (memory-mapped)
    ROOT/raw_audio_fixed.pkl     {subject: {sequence: {"audio": array, "sample_rate": int}}}
    ROOT/templates.pkl           {subject: [5023, 3] array}
    ROOT/subj_seq_to_idx.pkl     {subject: {sequence: {frame_number: row of data_verts}}}
    ROOT/FLAME_masks.pkl         optional: {"lips": indices, "forehead": ..., "eye_region": ...}
    ROOT/FLAME_sample.ply        optional faces (ASCII), or faces.npy / faces.obj

Captured at 60 fps. Subjects are split as in VOCA (8 train, 2 val, 2 test); other subjects are
train unless ``splits`` says otherwise. Every pickle goes through the restricted unpickler.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import DatasetError, PickledTemplatesDataset, Sequence, to_mono_float
from .checks import checked_fps, require_name
from .meshio import read_faces
from .safe_pickle import safe_load

FPS = 60.0
VOCA_SPLITS = {
    "train": ["FaceTalk_170728_03272_TA", "FaceTalk_170904_00128_TA", "FaceTalk_170725_00137_TA",
              "FaceTalk_170915_00223_TA", "FaceTalk_170811_03274_TA", "FaceTalk_170913_03279_TA",
              "FaceTalk_170904_03276_TA", "FaceTalk_170912_03278_TA"],
    "val": ["FaceTalk_170811_03275_TA", "FaceTalk_170908_03277_TA"],
    "test": ["FaceTalk_170809_00138_TA", "FaceTalk_170731_00024_TA"],
}


class VocasetDataset(PickledTemplatesDataset):
    unit = "m"  # FLAME's

    def __init__(self, root: str | Path, splits: dict[str, list[str]] | None = None, fps: float = FPS):
        self.root = Path(root)
        self.fps = checked_fps(fps, self.root)
        for name in ("data_verts.npy", "templates.pkl", "subj_seq_to_idx.pkl", "raw_audio_fixed.pkl"):
            if not (self.root / name).is_file():
                raise DatasetError(f"{self.root / name}: missing (VOCASET release layout)")
        self._verts = _open_vertices(self.root / "data_verts.npy")
        self._templates_raw = safe_load(self.root / "templates.pkl")
        index_path = self.root / "subj_seq_to_idx.pkl"
        index = safe_load(index_path)
        if not isinstance(index, dict) or not all(
                isinstance(seqs, dict) and all(isinstance(frames, dict) for frames in seqs.values())
                for seqs in index.values()):
            raise DatasetError(f"{index_path}: expected a dict of subject -> sequence -> frame -> row of data_verts")
        self._audio_raw: dict | None = None
        split_of = {}
        for split, subjects in (splits or VOCA_SPLITS).items():
            for subj in subjects:
                split_of[subj] = split
        self._sequences = []
        for subj in sorted(index):
            for seq_name in sorted(index[subj]):
                frames = index[subj][seq_name]
                try:
                    rows = np.array([frames[k] for k in sorted(frames)], np.int64)
                except (TypeError, ValueError, OverflowError) as exc:
                    raise DatasetError(f"{index_path}: {subj}/{seq_name}: expected integer frame -> row of "
                                       f"data_verts ({exc})") from exc
                self._sequences.append(Sequence(character=require_name(str(subj), "character", index_path),
                                                split=split_of.get(subj, "train"),
                                                id=require_name(str(seq_name), "sequence", index_path), language="en",
                                                source=self.root / "data_verts.npy", extra={"rows": rows}))
        self.characters = sorted({s.character for s in self._sequences})
        self.splits = sorted({s.split for s in self._sequences})
        self._lips = self._upper = np.zeros(0, np.int32)
        masks_path = self.root / "FLAME_masks.pkl"
        if masks_path.is_file():
            masks = safe_load(masks_path)
            if not isinstance(masks, dict):
                raise DatasetError(f"{masks_path}: expected a dict of region name -> vertex indices")
            try:
                self._lips = np.asarray(masks.get("lips", []), np.int32)
                upper = [np.asarray(masks[k], np.int32).reshape(-1) for k in ("forehead", "eye_region") if k in masks]
            except (TypeError, ValueError, OverflowError) as exc:
                raise DatasetError(f"{masks_path}: expected integer vertex indices per region ({exc})") from exc
            self._upper = np.unique(np.concatenate(upper)).astype(np.int32) if upper else self._upper
        self._faces = read_faces(self.root, ("faces.npy", "FLAME_sample.ply", "FLAME_sample.obj", "faces.obj"))

    def load_vertices(self, seq: Sequence) -> np.ndarray:
        rows = seq.extra["rows"]
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self._verts)):
            raise DatasetError(f"{self.root / 'subj_seq_to_idx.pkl'}: {seq.key} points past the "
                               f"{len(self._verts)} frames of data_verts.npy")
        return np.asarray(self._verts[rows], np.float32)

    def audio_path(self, seq: Sequence) -> str:
        return f"{self.root / 'raw_audio_fixed.pkl'}[{seq.character!r}][{seq.id!r}]"

    def _audio_entry(self, seq: Sequence) -> dict:
        if self._audio_raw is None:
            self._audio_raw = safe_load(self.root / "raw_audio_fixed.pkl")
        entry = self._audio_raw.get(seq.character, {}).get(seq.id)
        if entry is None:
            raise FileNotFoundError(self.audio_path(seq))
        return entry

    def audio_info(self, seq: Sequence) -> tuple[int, int]:
        entry = self._audio_entry(seq)
        return len(entry["audio"]), int(entry["sample_rate"])

    def load_audio(self, seq: Sequence) -> tuple[np.ndarray, int]:
        try:
            entry = self._audio_entry(seq)
        except FileNotFoundError as exc:
            raise DatasetError(f"{exc}: audio missing for sequence {seq.key}") from exc
        return to_mono_float(np.asarray(entry["audio"])), int(entry["sample_rate"])


def _open_vertices(path: Path) -> np.ndarray:
    """data_verts.npy memory-mapped, once its header says it holds numbers [frames, vertices, 3] (never pickle)."""
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(f)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise DatasetError(f"{path}: not a .npy array file ({exc})") from exc
    if dtype.hasobject or dtype.kind not in "fiu":
        raise DatasetError(f"{path}: holds {dtype} data, not numbers (an array of objects would need pickle, which "
                           f"is never used); expected float vertices [frames, vertices, 3]")
    if len(shape) != 3 or shape[2] != 3:
        raise DatasetError(f"{path}: holds an array of shape {tuple(shape)}, expected [frames, vertices, 3]")
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot be read ({exc})") from exc
