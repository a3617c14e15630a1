"""Audio in: decode (soundfile), check, down-mix to mono, resample to 16 kHz (polyphase, numpy).

Inside Blender the add-on decodes with Blender's own ``aud`` module and hands :func:`prepare`
an array, so both paths resample with :mod:`core.resample`; soundfile is imported only when a
file is read.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction

import numpy as np

from .errors import AudioError
from .resample import resample_poly

TARGET_RATE = 16000
MIN_RATE = 8000
MAX_SECONDS = 2 * 3600.0  # longer clips are refused before decoding: split them


def _fmt_seconds(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds:.1f} s"


def check_audio(samples: np.ndarray, rate: float, name: str = "audio") -> None:
    """Raise :class:`AudioError` for audio no feature can be computed from; silence and clipping are fine."""
    if not (isinstance(rate, int | float) and math.isfinite(rate)) or rate < MIN_RATE:
        raise AudioError(f"{name}: sampled at {rate} Hz; speech features need at least {MIN_RATE} Hz")
    if samples.ndim not in (1, 2):
        raise AudioError(f"{name}: expected samples shaped [n] or [n, channels], got {samples.shape}")
    if samples.shape[0] == 0 or samples.size == 0:
        raise AudioError(f"{name}: the audio has no samples (zero length)")
    if samples.shape[0] / rate > MAX_SECONDS:
        raise AudioError(
            f"{name}: {_fmt_seconds(samples.shape[0] / rate)} of audio is over the "
            f"{_fmt_seconds(MAX_SECONDS)} limit; split it into shorter clips"
        )
    if np.issubdtype(samples.dtype, np.floating):
        bad = ~np.isfinite(samples)
        if bad.any():
            first = int(np.argwhere(bad)[0][0])
            raise AudioError(
                f"{name}: {int(bad.sum())} samples are NaN or infinite (first at {first / rate:.3f} s)"
            )
    elif not np.issubdtype(samples.dtype, np.integer):
        raise AudioError(f"{name}: samples must be numbers, got dtype {samples.dtype}")


def to_float(samples: np.ndarray) -> np.ndarray:
    """Integer PCM to float in [-1, 1); floats pass through as float32."""
    if np.issubdtype(samples.dtype, np.integer):
        info = np.iinfo(samples.dtype)
        scale = float(-info.min) if info.min < 0 else float(info.max + 1) / 2
        offset = 0.0 if info.min < 0 else scale
        return ((samples.astype(np.float64) - offset) / scale).astype(np.float32)
    return samples.astype(np.float32, copy=False)


def to_mono(samples: np.ndarray) -> np.ndarray:
    return samples if samples.ndim == 1 else samples.mean(axis=1, dtype=np.float64).astype(np.float32)


def resample(samples: np.ndarray, rate: float, target: int = TARGET_RATE, name: str = "audio") -> np.ndarray:
    """Polyphase resampling (scipy's ``resample_poly`` design, in numpy) of a mono float signal to ``target`` Hz."""
    if rate == target:
        return samples
    ratio = Fraction(target, 1) / Fraction(rate).limit_denominator(10000)
    return resample_poly(samples, ratio.numerator, ratio.denominator).astype(np.float32)


def prepare(samples: np.ndarray, rate: float, name: str = "audio") -> np.ndarray:
    """Checked, mono, float32, 16 kHz: what the features are computed from."""
    samples = np.asarray(samples)
    check_audio(samples, rate, name)
    return resample(to_mono(to_float(samples)), rate, TARGET_RATE, name)


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Decode a wav/flac/ogg file: float32 [n, channels] and its sample rate, with clear errors."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioError(f"audio file '{path}' does not exist")
    if os.path.isdir(path):
        raise AudioError(f"audio file '{path}' is a folder, not a sound file")
    try:
        import soundfile
    except ImportError as exc:  # pragma: no cover - inside Blender the add-on decodes with aud
        raise AudioError(f"reading '{path}' needs the soundfile package (pip install soundfile)") from exc
    try:
        info = soundfile.info(path)
        if info.samplerate > 0 and info.frames / info.samplerate > MAX_SECONDS:
            raise AudioError(
                f"audio file '{path}': {_fmt_seconds(info.frames / info.samplerate)} of audio is over "
                f"the {_fmt_seconds(MAX_SECONDS)} limit; split it into shorter clips"
            )
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except AudioError:
        raise
    except (RuntimeError, soundfile.LibsndfileError, ValueError) as exc:
        raise AudioError(
            f"audio file '{path}' cannot be decoded ({exc}); wav, flac and ogg are supported"
        ) from exc
    return samples, int(rate)


def load_speech(path: str | os.PathLike) -> np.ndarray:
    """A sound file ready for the features: checked, mono, float32 at 16 kHz."""
    samples, rate = read_audio(path)
    return prepare(samples, rate, name=f"audio file '{os.fspath(path)}'")
