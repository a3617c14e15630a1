"""LPC features of every training sequence, computed once and cached on disk.

A clip's per-frame windows overlap by most of their length, so what is stored is the clip's LPC
grid (float32 [G, order]) and each video frame's window offset into it (int64 [T]); a batch
gathers ``grid[offset + arange(n_frames)]``. This is what :func:`core.lpc.features` computes,
at about 1/8 of its memory. A cache file records what it was computed from (audio file size and
modification time, feature config) and is recomputed when that changes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from core.audio import prepare
from core.lpc import FeatureConfig, grid_lpc, n_video_frames, window_starts
from train.data.base import MotionDataset, Sequence


def clip_grid(samples16k: np.ndarray, fps: float, cfg: FeatureConfig) -> tuple[np.ndarray, np.ndarray]:
    """(grid float32 [G, order], offsets int64 [T]) with ``grid[offsets[t] + arange(n_frames)]`` =
    ``core.lpc.features(...)[t]``."""
    n = n_video_frames(samples16k.shape[0], fps, cfg.sample_rate)
    starts = window_starts(n, fps, cfg)
    first = int(starts[0])
    grid = grid_lpc(samples16k, first, int(starts[-1]) - first + cfg.n_frames, cfg)
    return grid.astype(np.float32), (starts - first).astype(np.int64)


def _stamp(dataset: MotionDataset, seq: Sequence, fps: float, cfg: FeatureConfig) -> str:
    audio = dataset.audio_path(seq)
    try:
        st = os.stat(audio)
        where = [audio, st.st_size, st.st_mtime_ns]
    except OSError:
        where = [seq.key]
    return json.dumps({"audio": where, "fps": fps, "features": cfg.to_dict()}, sort_keys=True)


def sequence_grid(dataset: MotionDataset, seq: Sequence, cfg: FeatureConfig,
                  cache_dir: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """The cached (grid, offsets) of one sequence, computing and storing them when missing or stale."""
    fps = dataset.sequence_fps(seq)
    stamp = _stamp(dataset, seq, fps, cfg)
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / seq.character / seq.split / f"{seq.id}.npz"
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as z:
                    if str(z["stamp"]) == stamp:
                        return z["grid"], z["offsets"]
            except (OSError, ValueError, KeyError):
                pass  # unreadable: recompute
    samples, rate = dataset.load_audio(seq)
    grid, offsets = clip_grid(prepare(samples, rate, name=dataset.audio_path(seq)), fps, cfg)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
        np.savez(tmp, grid=grid, offsets=offsets, stamp=np.array(stamp))
        os.replace(tmp, path)
    return grid, offsets


def default_cache_dir(data: Path, cfg: FeatureConfig) -> Path:
    """``DATA/.feature_cache/<config>`` when the data folder is writable, else a user cache folder."""
    tag = f"w{cfg.window}_n{cfg.n_frames}_o{cfg.order}_sr{cfg.sample_rate}"
    folder = Path(data) / ".feature_cache" / tag
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:
        import hashlib

        h = hashlib.sha256(str(Path(data).resolve()).encode()).hexdigest()[:12]
        return Path.home() / ".cache" / "multanet" / f"{h}_{tag}"
