"""LPC speech features on one global 4 ms grid (the definition that makes checkpoints compatible).

Grid frame ``k`` spans samples ``[k*hop, k*hop + 2*hop)`` of the 16 kHz signal, zeros outside it.
Each frame: remove its mean, Hann window (``np.hanning``), autocorrelation ``r[0..order]``,
white-noise correction ``r[0] *= 1 + 1e-4``; a frame with ``r[0] < 1e-8`` (before the correction)
gives zeros, otherwise Levinson-Durbin gives ``A(z) = 1 + a1 z^-1 + ... + a_p z^-p`` and the
features are ``a1..a_p``.

Video frame ``i`` (time ``i / fps``) sees ``n_frames`` consecutive grid frames starting at
``floor((t_i * rate - window / 2) / hop + 0.5)``: its window's centre snaps to the grid, so windows
of neighbouring video frames share grid frames, and each grid frame is computed once per clip.

LPC coefficients do not change with the signal's scale, so on their own they cannot tell a pause's
room tone from speech. With ``level="log_energy"`` every grid frame carries one more feature after
``a1..a_p``: its log power relative to the clip's speech level,
``clip((dB(frame) - reference) / 20, -4, 1)``, where ``dB`` is ``10 log10`` of the mean power of the
windowed frame and ``reference`` is the 98th percentile of the clip's grid-frame ``dB`` (at least
-90 dB): 0 at the loudest speech, -1 at 20 dB below it, -4 for digital silence. It is relative, so a
recording's gain does not change it; it needs the whole clip once (:func:`level_reference`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .errors import MulTaNetError, from_json_object

NOISE_FLOOR = 1e-8  # r[0] below this (before the correction) is treated as digital silence
WHITE_NOISE_CORRECTION = 1e-4
LEVELS = ("none", "log_energy")  # the per-grid-frame level feature: none (LPC only) or relative log power
LEVEL_PERCENTILE = 98.0  # the clip's speech level: this percentile of its grid frames' dB
LEVEL_MIN_REFERENCE_DB = -90.0
LEVEL_RANGE = (-4.0, 1.0)  # the feature, in units of 20 dB, is clipped to this range
_CHUNK = 8192  # grid frames per vectorised batch: bounds the FFT's temporary memory


@dataclass(frozen=True)
class FeatureConfig:
    """Everything that defines the features; stored in every checkpoint's metadata."""

    sample_rate: int = 16000
    window: int = 4096  # samples in one video frame's window (256 ms; Karras's 520 ms is 8320)
    n_frames: int = 64  # grid frames per window
    order: int = 32  # LPC order = features per grid frame
    level: str = "none"  # "log_energy": one more feature per grid frame, its level relative to the clip's speech

    def __post_init__(self) -> None:
        if not isinstance(self.level, str) or self.level not in LEVELS:
            raise MulTaNetError(f"feature config: level must be one of {LEVELS}, got {self.level!r}")
        for name, hi in (("sample_rate", 192_000), ("window", 1 << 16), ("n_frames", 1024), ("order", 1024)):
            value = getattr(self, name)  # bounded: the window alone sets the memory of every clip's features
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= hi:
                raise MulTaNetError(f"feature config: {name} must be an integer from 1 to {hi}, got {value!r}")
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

    @property
    def level_channels(self) -> int:
        """Features per grid frame after the ``order`` LPC coefficients (0 or 1)."""
        return 0 if self.level == "none" else 1

    @property
    def width(self) -> int:
        """Features per grid frame: ``order`` LPC coefficients, then the level feature if any."""
        return self.order + self.level_channels

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


def _power_db(r0: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Mean power of windowed grid frames in dB, from their lag-0 autocorrelation ``r0``."""
    return 10.0 * np.log10(np.maximum(r0 / float(np.sum(window * window)), 1e-12))


def grid_power_db(samples: np.ndarray, first: int, count: int, config: FeatureConfig) -> np.ndarray:
    """Mean power (dB) of grid frames ``first .. first+count-1``, framed as for the LPC: float64 [count]."""
    samples = np.asarray(samples)
    window = np.hanning(config.frame_length)
    out = np.empty(count, dtype=np.float64)
    for start in range(0, count, _CHUNK):
        n = min(_CHUNK, count - start)
        frames = _grid_frames(samples, first + start, n, config)
        frames = (frames - frames.mean(axis=1, keepdims=True)) * window
        out[start : start + n] = _power_db(np.einsum("kj,kj->k", frames, frames), window)
    return out


def level_reference(samples: np.ndarray, config: FeatureConfig) -> float:
    """The clip's speech level (dB) that the level feature is relative to: the 98th percentile of the
    power of every grid frame that touches the clip, and at least -90 dB."""
    samples = np.asarray(samples)
    count = -(-samples.shape[0] // config.hop)  # grid frames 0..count-1 start inside the clip
    if count == 0:
        return LEVEL_MIN_REFERENCE_DB
    db = grid_power_db(samples, 0, count, config)
    return max(float(np.percentile(db, LEVEL_PERCENTILE)), LEVEL_MIN_REFERENCE_DB)


def level_feature(power_db: np.ndarray, reference: float) -> np.ndarray:
    """Grid-frame power (dB) -> the level feature, ``clip((dB - reference) / 20, -4, 1)``."""
    return np.clip((np.asarray(power_db) - reference) / 20.0, *LEVEL_RANGE)


def grid_lpc(samples: np.ndarray, first: int, count: int, config: FeatureConfig,
             reference: float | None = None) -> np.ndarray:
    """Features of grid frames ``first..first+count-1``: float32 [count, config.width] (LPC coefficients,
    then the level feature relative to ``reference``, by default :func:`level_reference` of ``samples``)."""
    samples = np.asarray(samples)
    out = np.zeros((count, config.width), dtype=np.float32)
    if config.level_channels and reference is None:
        reference = level_reference(samples, config)
    level_at = float(reference) if reference is not None else 0.0
    window = np.hanning(config.frame_length)
    n_fft = 1 << (config.frame_length + config.order).bit_length()
    for start in range(0, count, _CHUNK):
        n = min(_CHUNK, count - start)
        frames = _grid_frames(samples, first + start, n, config)
        frames = (frames - frames.mean(axis=1, keepdims=True)) * window
        spectrum = np.fft.rfft(frames, n_fft, axis=1)
        r = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, n_fft, axis=1)[:, : config.order + 1]
        if config.level_channels:
            out[start : start + n, config.order] = level_feature(_power_db(r[:, 0], window), level_at)
        voiced = r[:, 0] >= NOISE_FLOOR
        if voiced.any():
            rv = r[voiced]
            rv[:, 0] *= 1.0 + WHITE_NOISE_CORRECTION
            block = out[start : start + n]
            block[voiced, : config.order] = levinson(rv, config.order)
    return out


def features(samples: np.ndarray, fps: float, config: FeatureConfig | None = None) -> np.ndarray:
    """Per-video-frame feature windows of a 16 kHz mono clip: float32 [T, n_frames, config.width]."""
    config = config or FeatureConfig()
    samples = np.asarray(samples)
    n = n_video_frames(samples.shape[0], fps, config.sample_rate)
    starts = window_starts(n, fps, config)
    if n == 0:
        return np.zeros((0, config.n_frames, config.width), dtype=np.float32)
    first = int(starts[0])
    grid = grid_lpc(samples, first, int(starts[-1]) - first + config.n_frames, config)
    return grid[(starts - first)[:, None] + np.arange(config.n_frames)]
