"""LPC speech features on one global 4 ms grid (the definition that makes checkpoints compatible).

Grid frame ``k`` spans samples ``[k*hop, k*hop + 2*hop)`` of the 16 kHz signal, zeros outside it.
Each frame: remove its mean, Hann window (``np.hanning``), autocorrelation ``r[0..order]``,
white-noise correction ``r[0] *= 1 + 1e-4``; a frame with ``r[0] < 1e-8`` (before the correction)
gives zeros, otherwise Levinson-Durbin gives ``A(z) = 1 + a1 z^-1 + ... + a_p z^-p`` and the
features are ``a1..a_p``.

Video frame ``i`` (time ``i / fps``) sees ``n_frames`` consecutive grid frames starting at
``floor((t_i * rate - window / 2) / hop + 0.5)``: its window's centre snaps to the grid, so windows
of neighbouring video frames share grid frames, and each grid frame is computed once per clip.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .errors import MulTaNetError, from_json_object

NOISE_FLOOR = 1e-8  # r[0] below this (before the correction) is treated as digital silence
WHITE_NOISE_CORRECTION = 1e-4
_CHUNK = 8192  # grid frames per vectorised batch: bounds the FFT's temporary memory


@dataclass(frozen=True)
class FeatureConfig:
    """Everything that defines the features; stored in every checkpoint's metadata."""

    sample_rate: int = 16000
    window: int = 4096  # samples in one video frame's window (256 ms; Karras's 520 ms is 8320)
    n_frames: int = 64  # grid frames per window
    order: int = 32  # LPC order = features per grid frame

    def __post_init__(self) -> None:
        for name in ("sample_rate", "window", "n_frames", "order"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise MulTaNetError(f"feature config: {name} must be a positive integer, got {value!r}")
        if self.window % self.n_frames:
            raise MulTaNetError(
                f"feature config: window ({self.window} samples) must be a multiple of n_frames "
                f"({self.n_frames}) so that the window is made of whole grid frames"
            )
        if self.order >= self.frame_length:
            raise MulTaNetError(
                f"feature config: LPC order {self.order} must be below the frame length {self.frame_length}"
            )

    @property
    def hop(self) -> int:
        return self.window // self.n_frames

    @property
    def frame_length(self) -> int:
        return 2 * self.hop

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FeatureConfig:
        return from_json_object(cls, data, "feature config")


def n_video_frames(n_samples: int, fps: float, sample_rate: int) -> int:
    """``ceil(duration * fps)``, robust to the float rounding of exact products."""
    if fps <= 0 or not math.isfinite(fps):
        raise MulTaNetError(f"fps must be a positive number, got {fps!r}")
    return max(0, math.ceil(n_samples * fps / sample_rate - 1e-9))


def window_starts(n_frames_video: int, fps: float, config: FeatureConfig) -> np.ndarray:
    """First grid frame of each video frame's window, int64 [T] (computed in float64)."""
    t = np.arange(n_frames_video, dtype=np.float64) / float(fps)
    return np.floor((t * config.sample_rate - config.window / 2) / config.hop + 0.5).astype(np.int64)


def _grid_frames(samples: np.ndarray, first: int, count: int, config: FeatureConfig) -> np.ndarray:
    """Raw samples of grid frames ``first .. first+count-1``, float64 [count, frame_length]."""
    hop, length = config.hop, config.frame_length
    lo, hi = first * hop, (first + count - 1) * hop + length
    segment = np.zeros(hi - lo, dtype=np.float64)
    a, b = max(lo, 0), min(hi, samples.shape[0])
    if b > a:
        segment[a - lo : b - lo] = samples[a:b]
    return np.lib.stride_tricks.sliding_window_view(segment, length)[::hop]


def levinson(r: np.ndarray, order: int) -> np.ndarray:
    """Vectorised Levinson-Durbin in float64: r [K, order+1] -> a1..a_order [K, order].

    ``r[:, 0]`` must already carry the white-noise correction and be positive.
    """
    k_frames = r.shape[0]
    a = np.zeros((k_frames, order + 1), dtype=np.float64)
    a[:, 0] = 1.0
    err = r[:, 0].copy()
    for i in range(1, order + 1):
        acc = r[:, i] + np.einsum("kj,kj->k", a[:, 1:i], r[:, i - 1 : 0 : -1])
        refl = -acc / err
        a[:, 1:i] += refl[:, None] * a[:, i - 1 : 0 : -1]
        a[:, i] = refl
        err *= 1.0 - refl * refl
    return a[:, 1:]


def grid_lpc(samples: np.ndarray, first: int, count: int, config: FeatureConfig) -> np.ndarray:
    """LPC coefficients of grid frames ``first .. first+count-1``: float32 [count, order]."""
    samples = np.asarray(samples)
    out = np.zeros((count, config.order), dtype=np.float32)
    window = np.hanning(config.frame_length)
    n_fft = 1 << (config.frame_length + config.order).bit_length()
    for start in range(0, count, _CHUNK):
        n = min(_CHUNK, count - start)
        frames = _grid_frames(samples, first + start, n, config)
        frames = (frames - frames.mean(axis=1, keepdims=True)) * window
        spectrum = np.fft.rfft(frames, n_fft, axis=1)
        r = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, n_fft, axis=1)[:, : config.order + 1]
        voiced = r[:, 0] >= NOISE_FLOOR
        if voiced.any():
            rv = r[voiced]
            rv[:, 0] *= 1.0 + WHITE_NOISE_CORRECTION
            out[start : start + n][voiced] = levinson(rv, config.order)
    return out


def features(samples: np.ndarray, fps: float, config: FeatureConfig | None = None) -> np.ndarray:
    """Per-video-frame LPC windows of a 16 kHz mono clip: float32 [T, n_frames, order]."""
    config = config or FeatureConfig()
    samples = np.asarray(samples)
    n = n_video_frames(samples.shape[0], fps, config.sample_rate)
    starts = window_starts(n, fps, config)
    if n == 0:
        return np.zeros((0, config.n_frames, config.order), dtype=np.float32)
    first = int(starts[0])
    grid = grid_lpc(samples, first, int(starts[-1]) - first + config.n_frames, config)
    return grid[(starts - first)[:, None] + np.arange(config.n_frames)]
