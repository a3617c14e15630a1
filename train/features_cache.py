"""LPC features of every training sequence, computed once and cached on disk.

A clip's per-frame windows overlap by most of their length, so what is stored is the clip's LPC
grid (float32 [G, order]) and each video frame's window offset into it (int64 [T]); a batch
gathers ``grid[offset + arange(n_frames)]``. This is what :func:`multanet_core.lpc.features` computes,
at about 1/8 of its memory. A cache file records what it was computed from (audio file size and
modification time, feature config, augmentation) and is recomputed when that changes.

Variant 0 of a sequence is its clean audio; variants 1..N (training only) are the same audio through
:func:`train.augment.degrade`, seeded by the sequence's key and the variant number. A degraded clip
keeps its length, so every variant has the same window offsets and the same ground truth.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from multanet_core.atomic import atomic_write
from multanet_core.audio import prepare
from multanet_core.lpc import FeatureConfig, grid_lpc, n_video_frames, window_starts
from multanet_core.npz_guard import check_npz
from train.data.base import MotionDataset, Sequence
from train.data.checks import inside

from .augment import AugmentConfig, degrade, variant_rng

BABBLE_CLIPS_PER_CHARACTER = 3
MAX_CACHE_BYTES = 2 << 30  # a cache file declaring more is not read (a zip bomb in the dataset folder): recomputed


class BabblePool:
    """Clips that other voices are mixed from: the first few sequences of every character in ``split``
    (loaded once, at 16 kHz). A sequence's babble never uses its own character's voice."""

    def __init__(self, dataset: MotionDataset, split: str = "train"):
        self.dataset = dataset
        self.sequences = []
        for name in dataset.characters:
            seqs = sorted(dataset.sequences(split=split, character=name), key=lambda s: s.id)
            self.sequences += seqs[:BABBLE_CLIPS_PER_CHARACTER]
        self._audio: dict[str, np.ndarray] = {}

    def key(self) -> str:
        return ",".join(s.key for s in self.sequences)

    def clips_for(self, seq: Sequence) -> list[np.ndarray]:
        out = []
        for other in self.sequences:
            if other.character == seq.character:
                continue
            if other.key not in self._audio:
                samples, rate = self.dataset.load_audio(other)
                self._audio[other.key] = prepare(samples, rate, name=self.dataset.audio_path(other))
            out.append(self._audio[other.key])
        return out


def clip_grid(samples16k: np.ndarray, fps: float, cfg: FeatureConfig) -> tuple[np.ndarray, np.ndarray]:
    """(grid float32 [G, order], offsets int64 [T]) with ``grid[offsets[t] + arange(n_frames)]`` =
    ``multanet_core.lpc.features(...)[t]``."""
    n = n_video_frames(samples16k.shape[0], fps, cfg.sample_rate)
    starts = window_starts(n, fps, cfg)
    first = int(starts[0])
    grid = grid_lpc(samples16k, first, int(starts[-1]) - first + cfg.n_frames, cfg)
    return grid.astype(np.float32), (starts - first).astype(np.int64)


def _stamp(dataset: MotionDataset, seq: Sequence, fps: float, cfg: FeatureConfig,
           augment: AugmentConfig | None, variant: int, pool: BabblePool | None) -> str:
    audio = dataset.audio_path(seq)
    try:
        st = os.stat(audio)
        where = [audio, st.st_size, st.st_mtime_ns]
    except OSError:
        where = [seq.key]
    stamp = {"audio": where, "fps": fps, "features": cfg.to_dict()}
    if variant:
        # clean_share only says how often training picks the clean audio: it changes no variant's audio
        audio_config = {k: v for k, v in augment.to_dict().items() if k != "clean_share"}
        stamp.update(augment=audio_config, variant=variant, babble=pool.key() if pool else "")
    return json.dumps(stamp, sort_keys=True)


def sequence_grid(dataset: MotionDataset, seq: Sequence, cfg: FeatureConfig, cache_dir: Path | None,
                  augment: AugmentConfig | None = None, variant: int = 0,
                  pool: BabblePool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The cached (grid, offsets) of one sequence's clean audio (variant 0) or of its degraded ``variant``
    (1..augment.variants), computing and storing them when missing or stale."""
    if variant and (augment is None or not 1 <= variant <= augment.variants):
        raise ValueError(f"variant {variant} needs an augmentation config with at least that many variants")
    fps = dataset.sequence_fps(seq)
    stamp = _stamp(dataset, seq, fps, cfg, augment, variant, pool)
    path = None
    if cache_dir is not None:
        path = inside(cache_dir, seq.character, seq.split, f"{seq.id}.aug{variant}.npz" if variant else
                      f"{seq.id}.npz")
        if path.is_file():
            try:
                check_npz(path, MAX_CACHE_BYTES)
                with np.load(path, allow_pickle=False) as z:
                    if str(z["stamp"]) == stamp:
                        return z["grid"], z["offsets"]
            except (OSError, ValueError, KeyError):
                pass  # unreadable: recompute
    samples, rate = dataset.load_audio(seq)
    samples = prepare(samples, rate, name=dataset.audio_path(seq))
    if variant:
        samples, _ = degrade(samples, variant_rng(augment.seed, seq.key, variant), augment,
                             pool.clips_for(seq) if pool else ())
    grid, offsets = clip_grid(samples, fps, cfg)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as f:
            np.savez(f, grid=grid, offsets=offsets, stamp=np.array(stamp))
    return grid, offsets


def default_cache_dir(data: Path, cfg: FeatureConfig) -> Path:
    """``DATA/.feature_cache/<config>`` when the data folder is writable, else a user cache folder."""
    tag = f"w{cfg.window}_n{cfg.n_frames}_o{cfg.order}_sr{cfg.sample_rate}"
    if cfg.level != "none":
        tag += f"_{cfg.level}"
    folder = Path(data) / ".feature_cache" / tag
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:
        import hashlib

        h = hashlib.sha256(str(Path(data).resolve()).encode()).hexdigest()[:12]
        return Path.home() / ".cache" / "multanet" / f"{h}_{tag}"
