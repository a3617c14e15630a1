"""Training frames of several characters held in memory: LPC grids, window offsets, vertex targets.

Frame ``i`` (over all characters and sequences) has its window at ``grid[win[i] : win[i] + n_frames]``,
its character ``char[i]`` and its target ``targets[char[i]][row[i]]`` (flattened vertices [3V]).
``pairs`` lists every ``i`` whose next frame ``i + 1`` belongs to the same sequence: Karras's motion
loss compares such consecutive pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.lpc import FeatureConfig
from train.data.base import MotionDataset, Sequence, Template

from .features_cache import sequence_grid


@dataclass
class FrameData:
    characters: list[str]
    templates: list[Template]
    grid: np.ndarray  # float32 [G, order], all sequences' grids concatenated
    win: np.ndarray  # int64 [N] window start into grid
    char: np.ndarray  # int64 [N]
    row: np.ndarray  # int64 [N] row of targets[char]
    seq: np.ndarray  # int64 [N] index into sequences
    targets: list[np.ndarray]  # per character float32 [N_c, 3V]
    sequences: list[Sequence]
    n_frames: int  # grid frames per window

    @property
    def n(self) -> int:
        return int(self.win.shape[0])

    @property
    def pairs(self) -> np.ndarray:
        return np.flatnonzero(self.seq[:-1] == self.seq[1:])

    def windows(self, idx: np.ndarray) -> np.ndarray:
        """float32 [len(idx), n_frames, order]."""
        return self.grid[self.win[idx][:, None] + np.arange(self.n_frames)]

    def frames_of(self, c: int) -> np.ndarray:
        return np.flatnonzero(self.char == c)


def select_sequences(dataset: MotionDataset, character: str, split: str, sentences: int | None) -> list[Sequence]:
    seqs = sorted(dataset.sequences(split=split, character=character), key=lambda s: s.id)
    return seqs[:sentences] if sentences else seqs


def load_frames(dataset: MotionDataset, characters: list[str], split: str, cfg: FeatureConfig,
                cache_dir: Path | None, sentences: int | None = None, progress=None) -> FrameData:
    """Every frame of ``split`` for ``characters`` (the first ``sentences`` sequences of each, by id)."""
    grids, wins, chars, rows, seq_ids, targets, sequences = [], [], [], [], [], [], []
    templates = [dataset.template(c) for c in characters]
    offset = 0
    for c, name in enumerate(characters):
        seqs = select_sequences(dataset, name, split, sentences)
        if not seqs:
            raise ValueError(f"no {split!r} sequences for character {name!r}")
        per_char = []
        row = 0
        for seq in seqs:
            grid, offs = sequence_grid(dataset, seq, cfg, cache_dir)
            verts = dataset.load_vertices(seq)
            n = min(len(offs), len(verts))
            grids.append(grid)
            wins.append(offs[:n] + offset)
            offset += grid.shape[0]
            chars.append(np.full(n, c, np.int64))
            rows.append(np.arange(row, row + n, dtype=np.int64))
            seq_ids.append(np.full(n, len(sequences), np.int64))
            sequences.append(seq)
            per_char.append(np.asarray(verts[:n], np.float32).reshape(n, -1))
            row += n
            if progress:
                progress()
        targets.append(np.concatenate(per_char))
    return FrameData(characters=list(characters), templates=templates, grid=np.concatenate(grids),
                     win=np.concatenate(wins), char=np.concatenate(chars), row=np.concatenate(rows),
                     seq=np.concatenate(seq_ids), targets=targets, sequences=sequences, n_frames=cfg.n_frames)


def frame_counts(dataset: MotionDataset, characters: list[str], split: str, cfg: FeatureConfig,
                 cache_dir: Path | None, sentences: int | None = None) -> list[int]:
    """How many frames :func:`load_frames` takes per character, from the feature cache and the motion
    files' shapes (without loading the motion)."""
    counts = []
    for name in characters:
        n = 0
        for seq in select_sequences(dataset, name, split, sentences):
            _, offs = sequence_grid(dataset, seq, cfg, cache_dir)
            path = getattr(dataset, "_path", None)
            if path is not None:
                t = np.load(path(seq, ".npy"), mmap_mode="r", allow_pickle=False).shape[0]
            else:
                t = len(dataset.load_vertices(seq))
            n += min(len(offs), t)
        counts.append(n)
    return counts
