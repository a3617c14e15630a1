"""A slow, straightforward LPC reference: one video frame at a time, one grid frame at a time,
``scipy.linalg.solve_toeplitz`` for the normal equations. Tests and benchmarks hold
:mod:`multanet_core.lpc` against it; nothing else uses it (it needs scipy)."""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_toeplitz

from multanet_core.lpc import NOISE_FLOOR, WHITE_NOISE_CORRECTION, FeatureConfig, n_video_frames


def lpc_frame(frame: np.ndarray, order: int) -> np.ndarray:
    frame = np.asarray(frame, dtype=np.float64)
    frame = (frame - frame.mean()) * np.hanning(frame.shape[0])
    r = np.array([np.dot(frame[: frame.shape[0] - j], frame[j:]) for j in range(order + 1)])
    if r[0] < NOISE_FLOOR:
        return np.zeros(order)
    r[0] *= 1.0 + WHITE_NOISE_CORRECTION
    return solve_toeplitz(r[:order], -r[1 : order + 1])


def features_reference(samples: np.ndarray, fps: float, config: FeatureConfig | None = None) -> np.ndarray:
    config = config or FeatureConfig()
    samples = np.asarray(samples, dtype=np.float64)
    n = n_video_frames(samples.shape[0], fps, config.sample_rate)
    hop, length = config.hop, config.frame_length
    out = np.zeros((n, config.n_frames, config.order), dtype=np.float32)
    for i in range(n):
        t = i / fps
        start = int(np.floor((t * config.sample_rate - config.window / 2) / hop + 0.5))
        for j in range(config.n_frames):
            lo = (start + j) * hop
            frame = np.zeros(length)
            a, b = max(lo, 0), min(lo + length, samples.shape[0])
            if b > a:
                frame[a - lo : b - lo] = samples[a:b]
            out[i, j] = lpc_frame(frame, config.order)
    return out
