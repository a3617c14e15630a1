"""Audio in: decode (soundfile), check, down-mix to mono, resample to 16 kHz (polyphase, numpy).

Inside Blender the add-on decodes with Blender's own ``aud`` module and hands :func:`prepare`
an array, so both paths resample with :mod:`multanet_core.resample`; soundfile is imported only when a
file is read.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction

import numpy as np

from .errors import AudioError
from .paths import require_regular_file
from .resample import resample_poly, resample_stream

TARGET_RATE = 16000
MIN_RATE = 8000
MAX_SECONDS = 2 * 3600.0  # longer clips are refused before decoding: split them
SILENCE_PEAK = 10 ** (-60 / 20)  # a clip whose loudest sample is below -60 dBFS has no speech in it


def duration_text(seconds: float) -> str:
    """An exact length for people: ``2 h 0 min 1 s``, ``2 h``, ``5 min 3.5 s``, ``12.25 s``. Rounded up to the
    millisecond, so that a length just over a limit never reads as the limit itself."""
    ms = math.ceil(seconds * 1000 - 1e-6)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    parts = [f"{hours} h"] if hours else []
    if minutes or (hours and ms):
        parts.append(f"{minutes} min")
    if ms or not parts:
        parts.append(f"{ms / 1000:.3f}".rstrip("0").rstrip(".") + " s")
    return " ".join(parts)


def check_rate(rate: float, name: str) -> None:
    """Refuse a sample rate no feature can be computed from (not a finite number, or under :data:`MIN_RATE`)."""
    if not (isinstance(rate, int | float) and math.isfinite(rate)) or rate < MIN_RATE:
        shown = f"{rate:g}" if isinstance(rate, float) else f"{rate}"
        raise AudioError(f"{name}: sampled at {shown} Hz; speech features need at least {MIN_RATE} Hz")


def check_duration(seconds: float, name: str) -> None:
    """Refuse audio over :data:`MAX_SECONDS` (before it is decoded, where the length is known)."""
    if seconds > MAX_SECONDS:
        raise AudioError(f"{name}: {duration_text(seconds)} of audio is over the {duration_text(MAX_SECONDS)} "
                         f"limit; split it into shorter clips")


def check_length(rate: float, frames: int, name: str) -> None:
    """A sound's rate and length, before any of it is decoded: :func:`check_rate`, not empty,
    :func:`check_duration`. Every reader checks these, with the same words."""
    check_rate(rate, name)
    if frames <= 0:
        raise AudioError(f"{name}: the audio has no samples (zero length)")
    check_duration(frames / rate, name)


def check_audio(samples: np.ndarray, rate: float, name: str = "audio") -> None:
    """Raise :class:`AudioError` for audio no feature can be computed from; silence and clipping are fine."""
    check_rate(rate, name)  # first: a bad rate is named before a bad shape
    if samples.ndim not in (1, 2):
        raise AudioError(f"{name}: expected samples shaped [n] or [n, channels], got {samples.shape}")
    check_length(rate, samples.shape[0] if samples.size else 0, name)
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
    return resample_poly(samples, *_ratio(rate, target)).astype(np.float32)


def _ratio(rate: float, target: int = TARGET_RATE) -> tuple[int, int]:
    """(up, down): ``target / rate`` as a fraction (the rate to 1 / 10000)."""
    ratio = Fraction(target, 1) / Fraction(rate).limit_denominator(10000)
    return ratio.numerator, ratio.denominator


def _to_16k(mono_blocks, frames: int, rate: float) -> np.ndarray:
    """Mono blocks of a ``frames``-long sound at ``rate`` -> float32 at 16 kHz, resampled as they come
    (:func:`multanet_core.resample.resample_stream`, the numbers of :func:`resample` on the whole; a ValueError
    when the blocks hold fewer samples than ``frames``)."""
    if rate == TARGET_RATE:
        return np.concatenate(list(mono_blocks)).astype(np.float32, copy=False)
    return resample_stream(mono_blocks, frames, *_ratio(rate))


def prepare(samples: np.ndarray, rate: float, name: str = "audio") -> np.ndarray:
    """Checked, mono, float32, 16 kHz: what the features are computed from."""
    samples = np.asarray(samples)
    check_audio(samples, rate, name)
    return resample(to_mono(to_float(samples)), rate, TARGET_RATE, name)


def require_sound(samples: np.ndarray, name: str, channels: np.ndarray | None = None,
                  channel_peak: tuple[int, float] | None = None) -> np.ndarray:
    """``samples`` (mono) unless they are silent (peak below -60 dBFS); ``channels``, the audio before the
    down-mix (or ``channel_peak``: its channel count and peak, when it was read in blocks), lets the error say
    when the channels cancel each other (anti-phase stereo)."""
    peak = float(np.abs(samples).max(initial=0.0))
    if peak < SILENCE_PEAK:
        level = "every sample is zero" if peak == 0 else f"peak {20 * np.log10(peak):.0f} dBFS"
        if channels is not None:
            channel_peak = (channels.shape[1] if channels.ndim == 2 else 1, float(np.abs(channels).max(initial=0.0)))
        n_channels, before = channel_peak or (1, 0.0)
        if n_channels > 1 and before >= SILENCE_PEAK:
            raise AudioError(f"{name} is silent once its {n_channels} channels are mixed to mono ({level}; "
                             f"the channels peak at {20 * np.log10(before):.0f} dBFS): they cancel each other "
                             "(one is the other inverted); export one channel and use that")
        raise AudioError(f"{name} is silent ({level}): nothing to lip-sync")
    return samples


def wav_truncation(path: str) -> str | None:
    """For a RIFF WAVE file whose data chunk declares more bytes than the file holds: what is missing."""
    import struct

    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        block, rate = 0, 0
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            cid, n = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            start = f.tell()
            if cid == b"fmt " and n >= 16:
                fmt = f.read(14)
                if len(fmt) < 14:
                    return None  # not ours to judge: the decoder reports a broken header
                _, _, rate, _, block = struct.unpack("<HHIIH", fmt)
            if cid == b"data":
                held = size - start
                if n in (0, 0xFFFFFFFF) or n <= held or not (block and rate):  # streaming placeholders
                    return None
                return (f"its header declares {n // block / rate:.3f} s of audio but the file holds "
                        f"{held // block / rate:.3f} s")
            f.seek(start + n + (n & 1))


def _soundfile_for(path: str | os.PathLike):
    """(the checked path, the soundfile module): a regular file, not a truncated WAV, and soundfile installed."""
    path = require_regular_file(path, "audio file", AudioError)
    missing = wav_truncation(path)
    if missing:
        raise AudioError(f"audio file '{path}' is truncated: {missing}; export it again")
    try:
        import soundfile
    except ImportError as exc:  # pragma: no cover - inside Blender the add-on decodes with aud
        raise AudioError(f"reading '{path}' needs the soundfile package (pip install soundfile)") from exc
    return path, soundfile


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Decode a wav/flac/ogg file: float32 [n, channels] and its sample rate, with clear errors."""
    path, soundfile = _soundfile_for(path)
    try:
        info = soundfile.info(path)
        if info.samplerate > 0:
            check_duration(info.frames / info.samplerate, f"audio file '{path}'")
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except AudioError:
        raise
    except (RuntimeError, soundfile.LibsndfileError, ValueError) as exc:
        raise AudioError(
            f"audio file '{path}' cannot be decoded ({exc}); wav, flac and ogg are supported"
        ) from exc
    return samples, int(rate)


STREAM_BLOCK = 1 << 18  # frames read at a time by load_speech and load_pcm_wav (1 MB a channel)


def pcm_wav(path: str) -> bool:
    """Whether ``path`` is a WAV file of integer PCM that Python's own ``wave`` module reads (8, 16, 24 or 32
    bit): inside Blender, where soundfile is not installed, :func:`load_pcm_wav` reads those in blocks."""
    import wave

    try:
        with wave.open(path, "rb") as w:
            return w.getsampwidth() in (1, 2, 3, 4) and w.getnframes() > 0
    except (wave.Error, EOFError, OSError, ValueError):
        return False


def _pcm_to_float(raw: bytes, width: int, channels: int) -> np.ndarray:
    """Little-endian PCM bytes -> float32 [n, channels] in [-1, 1), as decoders scale it (unsigned 8 bit too)."""
    if width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        ints = (b[:, 0].astype(np.int32) | (b[:, 1].astype(np.int32) << 8) | (b[:, 2].astype(np.int32) << 16))
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        return (ints.astype(np.float64) / (1 << 23)).astype(np.float32).reshape(-1, channels)
    dtypes: dict[int, np.dtype] = {1: np.dtype(np.uint8), 2: np.dtype("<i2"), 4: np.dtype("<i4")}
    return to_float(np.frombuffer(raw, dtypes[width]).reshape(-1, channels))


def load_pcm_wav(path: str, name: str) -> np.ndarray:
    """:func:`load_speech` for an integer-PCM WAV file with Python's own ``wave`` module (what the add-on has
    where soundfile is not installed): read in blocks, mixed to mono and resampled as they come, so a 2 h file
    never sits in memory decoded. The samples are those soundfile (and Blender's decoder) give."""
    import wave

    with wave.open(path, "rb") as w:
        rate, channels, width, frames = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        check_length(rate, frames, name)
        peak = [0.0]

        def mono_blocks():
            for _ in range(0, frames, STREAM_BLOCK):
                block = _pcm_to_float(w.readframes(STREAM_BLOCK), width, channels)
                peak[0] = max(peak[0], float(np.abs(block).max(initial=0.0)))
                yield to_mono(block)

        try:
            samples = _to_16k(mono_blocks(), frames, rate)
        except ValueError as exc:
            raise AudioError(f"{name} is truncated: it holds fewer samples than its header's {frames}; "
                             f"export it again") from exc
    return require_sound(samples, name, channel_peak=(channels, peak[0]))


def load_speech(path: str | os.PathLike) -> np.ndarray:
    """A sound file ready for the features: checked, mono, float32 at 16 kHz, and not silent. The file is read
    in blocks, each mixed down to mono and resampled as it comes (:func:`multanet_core.resample.resample_stream`,
    the same numbers as :func:`prepare` on the whole file), so memory holds the 16 kHz result and a block, not
    the decoded file: 2 h of 48 kHz stereo is 2.8 GB decoded, 0.46 GB at 16 kHz mono."""
    path, soundfile = _soundfile_for(path)
    name = f"audio file '{path}'"
    try:
        info = soundfile.info(path)
    except (RuntimeError, soundfile.LibsndfileError, ValueError) as exc:
        raise AudioError(f"audio file '{path}' cannot be decoded ({exc}); wav, flac and ogg are supported") from exc
    rate, frames = info.samplerate, info.frames
    check_length(rate, frames, name)
    peak = [0.0]

    def mono_blocks():
        done = 0
        with soundfile.SoundFile(path) as f:
            for block in f.blocks(blocksize=STREAM_BLOCK, dtype="float32", always_2d=True):
                bad = ~np.isfinite(block)
                if bad.any():
                    first = done + int(np.argwhere(bad)[0][0])
                    raise AudioError(f"{name}: samples are NaN or infinite (first at {first / rate:.3f} s)")
                peak[0] = max(peak[0], float(np.abs(block).max(initial=0.0)))
                done += len(block)
                yield to_mono(block)

    try:
        samples = _to_16k(mono_blocks(), frames, rate)
    except AudioError:
        raise
    except ValueError as exc:
        if "blocks held" in str(exc):  # the decoder gave fewer samples than the file's header says
            raise AudioError(f"audio file '{path}' is truncated: it holds fewer samples than its header's "
                             f"{frames}; export it again") from exc
        raise AudioError(f"audio file '{path}' cannot be decoded ({exc})") from exc
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise AudioError(f"audio file '{path}' cannot be decoded ({exc}); wav, flac and ogg are supported") from exc
    return require_sound(samples, name, channel_peak=(info.channels, peak[0]))
